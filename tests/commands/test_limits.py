"""The limits of SPEC §2: refused when the line is parsed, the same on SQLite and PostgreSQL.

Each case was once accepted (or crashed the import) and then took every read down, or was
accepted by one backend and refused by the other. Every refusal names the line and the field.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from commands.application import LedgerApplication
from commands.record import ImportSummary, import_facts
from commands.schema import parse_line
from ledger.errors import InvalidFact
from projections.queries import ReadModels
from tests.support import LedgerHarness, admitted, at, fact

GOOD = admitted("m-good", "c1", "2020-01-01", id="adm-good")


def line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def count_fact(count: object, **extra: Any) -> dict[str, Any]:
    return {
        "type": "organization.count_declared",
        "on": "2021-01-01",
        "org": "c1",
        "count": count,
        "recorded_at": at("2021-01-01"),
        **extra,
    }


BAD_LINES: dict[str, bytes] = {
    "count beyond the 64-bit range": line(count_fact(2**64 - 1)),
    "count beyond 10,000,000": line(count_fact(10_000_001)),
    "negative count": line(count_fact(-1)),
    "org registered in year 1 ahead of UTC": line(
        {
            "type": "organization.registered",
            "on": "2021-01-01",
            "org": "x1",
            "name": "X",
            "parent": "hp",
            "recorded_at": "0001-01-01T00:00:00+07:00",
        }
    ),
    "recorded_at at year 9999 behind UTC": line(
        admitted("m-late", "c1", "2021-01-01", recorded="9999-12-31T23:00:00-05:00")
    ),
    "date before 1800": line(admitted("m-old", "c1", "1799-12-31")),
    "date on 9999-12-31": line(fact("died", "m1", "9999-12-31")),
    "birth date in year 1": line(
        admitted(
            "m-b",
            "c1",
            "2020-01-01",
            person={"name": "B", "gender": "male", "birth_date": "0001-01-01"},
        )
    ),
    "NUL in a name": line(
        admitted("m-nul", "c1", "2020-01-01", person={"name": "A\u0000B", "gender": "male"})
    ),
    "DEL in a note": line(fact("dossier_recorded", "m1", "2020-02-01", note="a\x7fb")),
    "line break in an org name": line(
        {
            "type": "organization.renamed",
            "on": "2021-01-01",
            "org": "c1",
            "name": "C\nD",
            "recorded_at": at("2021-01-01"),
        }
    ),
    "NUL in a fact id": line(fact("dossier_recorded", "m1", "2020-02-01", id="f\u0000x")),
    "fact id of 257 characters": line(fact("dossier_recorded", "m1", "2020-02-01", id="f" * 257)),
    "retraction naming an id of 257 characters": line(
        {
            "type": "fact.retracted",
            "on": "2021-01-01",
            "fact": "f" * 257,
            "reason": "r",
            "recorded_at": at("2021-01-01"),
        }
    ),
    "note of 2,001 characters": line(fact("dossier_recorded", "m1", "2020-02-01", note="n" * 2001)),
    "nesting of 300 levels": b'{"a":' * 300 + b"1" + b"}" * 300,
    "nesting of 9 levels in a note": line(
        fact("dossier_recorded", "m1", "2020-02-01", note=[[[[[[[["x"]]]]]]]])
    ),
    "line over 64 KiB": line(fact("dossier_recorded", "m1", "2020-02-01", ref="r" * 70_000)),
    "two members in one line": (
        b'{"type":"member.died","on":"2021-01-01","member":"m1","member":"m2",'
        b'"recorded_at":"2021-01-01T09:00:00+07:00"}'
    ),
    "a duplicate key with spaces": (
        b'{"type" : "member.died", "on" : "2021-01-01", "member" : "m1", '
        b'"recorded_at" : "2021-01-01T09:00:00+07:00", "type" : "member.died"}'
    ),
    "a duplicate key in the person": line(admitted("m-p", "c1", "2020-01-01")).replace(
        b'"gender": "female"', b'"gender": "female", "gender": "male"'
    ),
    "a duplicate key beside an escaped quote": (
        b'{"type":"member.died","on":"2021-01-01","member":"m1","note":"say \\"hi\\": x",'
        b'"note":"y","recorded_at":"2021-01-01T09:00:00+07:00"}'
    ),
    "an array, not an object": b'[{"type":"member.died"}]',
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_value_outside_the_limits_is_refused_as_invalid_fact_when_parsed(case: str) -> None:
    with pytest.raises(InvalidFact):
        parse_line(BAD_LINES[case])


def test_values_at_the_limits_are_accepted_by_the_parser() -> None:
    edge = [
        count_fact(10_000_000),
        count_fact(0),
        admitted("m-e", "c1", "1800-01-01", recorded="1800-01-01T09:00:00+07:00"),
        fact("dossier_recorded", "m1", "2020-02-01", id="f" * 256, note="n" * 2000),
        fact("died", "m1", "9999-12-30", recorded="9999-12-30T23:00:00+00:00"),
        admitted(
            "m-v", "c1", "2020-01-01", person={"name": "Nguyễn Thị Ánh\u00a0", "gender": "female"}
        ),
    ]
    for value in edge:
        parse_line(line(value))
    # a note that holds quotes, colons and backslashes without duplicating a key
    parse_line(
        b'{"type":"member.died","on":"2021-01-01","member":"m1","note":"\\":\\\\ {\\"a\\":1}"}'
    )


def test_each_refusal_names_the_field_and_the_limit() -> None:
    messages = {
        case: _refusal(BAD_LINES[case])
        for case in ("count beyond 10,000,000", "date before 1800", "NUL in a name",
                     "fact id of 257 characters", "nesting of 300 levels", "line over 64 KiB",
                     "two members in one line", "org registered in year 1 ahead of UTC")
    }  # fmt: skip
    assert "count" in messages["count beyond 10,000,000"]
    assert "10000000" in messages["count beyond 10,000,000"]
    assert "'on'" in messages["date before 1800"] and "1800-01-01" in messages["date before 1800"]
    assert "person.name" in messages["NUL in a name"] and "U+0000" in messages["NUL in a name"]
    assert "'id'" in messages["fact id of 257 characters"]
    assert "256" in messages["fact id of 257 characters"]
    assert "300 levels" in messages["nesting of 300 levels"]
    assert "65,536" in messages["line over 64 KiB"]
    assert "'member'" in messages["two members in one line"]
    assert "recorded_at" in messages["org registered in year 1 ahead of UTC"]


def _refusal(text: bytes) -> str:
    try:
        parse_line(text)
    except InvalidFact as err:
        return err.message
    raise AssertionError(f"accepted: {text[:80]!r}")


# --- through the import, on both backends ---------------------------------------------------


@pytest.fixture
def history(ledger: LedgerHarness) -> LedgerHarness:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2010-01-01", id="adm-m1"))
    return ledger


def test_bad_lines_are_refused_by_line_and_the_good_lines_of_their_batch_are_stored(
    app: LedgerApplication, history: LedgerHarness
) -> None:
    cases = sorted(BAD_LINES)
    lines = [BAD_LINES[c] for c in cases] + [line(GOOD)]
    before = app.recorder.max_notification_id()
    summary = import_facts(app, lines)
    assert (summary.accepted, summary.duplicates, summary.rejected) == (1, 0, len(cases))
    assert [r.line for r in summary.rejects] == list(range(1, len(cases) + 1))
    assert {r.error for r in summary.rejects} == {"invalid_fact"}
    assert app.recorder.max_notification_id() == (before or 0) + 1  # only the good line
    assert set(app.known_facts(["adm-good", "f" * 257])) == {"adm-good"}


def test_every_read_answers_after_an_import_of_every_bad_line(
    app: LedgerApplication, history: LedgerHarness
) -> None:
    import_facts(app, [*BAD_LINES.values(), line(GOOD)])
    models = ReadModels(app.event_log)
    try:
        assert (
            models.roster("hp", as_of=date(2021, 1, 1), known_at=None, label="now").model_dump()[
                "count"
            ]
            == 2
        )
        assert models.annual("hp", year=2021, known_at=None, label="now").model_dump()["balanced"]
        assert models.member("m1", as_of=date(2021, 1, 1), known_at=None, label="now").model_dump()
        assert models.quality("hp", as_of=date(2021, 1, 1), known_at=None, label="now").model_dump()
        assert models.badges_due("hp", on=date(2021, 1, 1)).model_dump()["due"] == []
    finally:
        models.close()


def test_a_retraction_recorded_before_the_fact_it_retracts_is_refused(
    history: LedgerHarness,
) -> None:
    history.record(count_fact(5, id="count-1", recorded_at=at("2021-03-01")))
    early = {"type": "fact.retracted", "on": "2021-01-01", "fact": "count-1", "reason": "typo",
             "recorded_at": at("2021-02-01")}  # fmt: skip
    assert history.code(early) == "conflict"
    history.record(fact("dossier_recorded", "m1", "2021-03-01", id="dos-1"))
    member_early = {**early, "fact": "dos-1", "id": "r-2"}
    assert history.code(member_early) == "conflict"
    assert history.record({**early, "recorded_at": at("2021-03-02")}) == "accepted"


def test_a_summary_given_to_the_import_counts_the_batches_committed_before_a_failure(
    app: LedgerApplication, history: LedgerHarness
) -> None:
    def lines() -> Any:
        yield line(admitted("m-a", "c1", "2020-01-01", id="a1"))
        yield line(admitted("m-b", "c1", "2020-01-01", id="b1"))
        raise KeyboardInterrupt

    summary = ImportSummary()
    with pytest.raises(KeyboardInterrupt):
        import_facts(app, lines(), batch_size=1, summary=summary)
    assert (summary.accepted, summary.rejected) == (2, 0)
    assert set(app.known_facts(["a1", "b1"])) == {"a1", "b1"}
