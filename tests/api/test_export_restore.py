"""``ledger export`` and ``ledger import --restore``: a ledger moved SQLite → PostgreSQL → SQLite
answers every question as before, and exports to the same bytes."""

from __future__ import annotations

import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from commands.application import LedgerApplication
from commands.record import import_facts
from demo import SEED_PLAN, generate
from tests.api.example import EXAMPLE
from tests.conftest import fresh_schema

runner = CliRunner()
KNOWN = "2022-01-15T09:00:00+07:00"
"""A fixed knowledge time inside both histories (the annual reports of 2021 were due then)."""
RECORDERS = ("cli:registrar", "token:d03-clerk", None)
"""Who imports each third of a history: a clerk, an API token, and no one known (a log written
before the ledger kept recorders)."""


def ask(*args: str) -> str:
    """``ledger ARGS`` in-process: its stdout, once it succeeded."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def ask_json(*args: str, now: bool = False) -> Any:
    """The JSON answer of ``ledger ARGS --json``; ``now``: asked as known now, whose label (the
    moment of asking) is left out."""
    answer = orjson.loads(ask(*args, "--json"))
    return _without_known_at(answer) if now else answer


def _without_known_at(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_known_at(v) for k, v in value.items() if k != "known_at"}
    return value


def fingerprint(url: str) -> dict[str, Any]:
    """Everything a migration must keep, as the ledger at ``url`` answers it: its export (the
    facts, their order, ids, recording times, recorders and digests, byte for byte) and its
    reports, as known at a fixed time and now, and the head of its hash chain (``ledger
    digest``: the same facts in the same order give the same chain on any backend)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.jsonl"
        ask("export", str(path), "--db", url)
        export = path.read_bytes()
    db = ("--db", url)
    return {
        "export": export,
        "chain head": ask_json("digest", *db)["head"],
        "annual city then": ask_json("report", "annual", "hp", "--year", "2021",
                                     "--known-at", KNOWN, *db),
        "annual city now": ask_json("report", "annual", "hp", "--year", "2021", *db, now=True),
        "annual committee then": ask_json("report", "annual", "hp.d03", "--year", "2021",
                                          "--known-at", KNOWN, *db),
        "annual committee now": ask_json("report", "annual", "hp.d03", "--year", "2022", *db,
                                         now=True),
        "roster then": ask_json("roster", "hp", "--as-of", "2021-12-31", "--known-at", KNOWN,
                                *db),
        "roster now": ask_json("roster", "hp", "--as-of", "2022-12-31", *db, now=True),
        "quality now": ask_json("report", "quality", "hp", "--as-of", "2022-01-31", *db,
                                now=True),
        "badges": ask_json("report", "badges", "hp", "--on", "2021-09-02", *db),
        "facts": ask_json("facts", *db),
        "members": {
            member: (
                ask_json("member", member, "--as-of", "2022-12-31", *db, now=True),
                # The text shows who recorded each fact (the JSON is SPEC §4's, without it).
                ask("member", member, "--as-of", "2022-12-31", "--known-at", "2099-12-31",
                    "--lang", "en", *db),
            )
            for member in _members(export)
        },
    }  # fmt: skip


def _members(export: bytes) -> list[str]:
    """Some members worth asking about: those who died (anomalies, posthumous badges), the
    subjects of retractions, and the first and last admitted."""
    facts = [orjson.loads(line) for line in export.splitlines()]
    by_id = {f["id"]: f for f in facts}
    admitted = [f["member"] for f in facts if f["type"] == "member.admitted"]
    chosen = {f["member"] for f in facts if f["type"] == "member.died"}
    chosen.update(
        by_id[f["fact"]]["member"]
        for f in facts
        if f["type"] == "fact.retracted" and "member" in by_id[f["fact"]]
    )
    chosen.update(admitted[:1] + admitted[-1:])
    return sorted(chosen)[:8]


def load(url: str, lines: list[bytes]) -> None:
    """Import ``lines`` in three parts, each recorded by one of RECORDERS."""
    application = LedgerApplication(url)
    try:
        third = len(lines) // 3
        parts = (lines[:third], lines[third : 2 * third], lines[2 * third :])
        for part, recorder in zip(parts, RECORDERS, strict=True):
            summary = import_facts(application, part, recorded_by=recorder)
            assert summary.rejected == 0, summary.rejects[:3]
    finally:
        application.close()


@pytest.fixture
def postgres() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema."""
    with fresh_schema() as url:
        yield url


def _example() -> list[bytes]:
    return [line for line in EXAMPLE.read_bytes().splitlines() if line.strip()]


def _demo_city() -> list[bytes]:
    return [orjson.dumps(fact) for fact in generate(7, SEED_PLAN.scaled(0.01))]


@pytest.mark.parametrize("history", [_example, _demo_city], ids=["example", "demo_1pct"])
def test_a_ledger_moved_to_postgresql_and_back_answers_the_same_and_exports_the_same_bytes(
    history: Any, postgres: str, tmp_path: Path
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    load(source, history())
    exported = tmp_path / "source.jsonl"
    ask("export", str(exported), "--db", source)  # from the log alone: no read models yet
    ask("migrate", "--db", source)
    before = fingerprint(source)
    assert before["export"] == exported.read_bytes()
    recorders = {orjson.loads(line)["recorded_by"] for line in before["export"].splitlines()}
    assert recorders == set(RECORDERS)  # the round trip has every kind of recorder to keep

    ask("import", str(exported), "--restore", "--db", postgres)
    on_postgres = fingerprint(postgres)
    assert on_postgres == before

    again = tmp_path / "postgres.jsonl"
    ask("export", str(again), "--db", postgres)
    assert again.read_bytes() == exported.read_bytes()
    back = f"sqlite:///{tmp_path / 'back.db'}"
    ask("import", str(again), "--restore", "--db", back)
    assert fingerprint(back) == before


def test_the_original_facts_are_still_duplicates_after_a_restore(
    postgres: str, tmp_path: Path
) -> None:
    # Facts submitted without id or recorded_at, with a date-time spelled "Z", with an explicit
    # null: their export is spelled otherwise, but the ledger must still know them as the same
    # facts (a re-run of the original file stores nothing twice).
    original = tmp_path / "facts.jsonl"
    original.write_text(
        '{"type": "organization.registered", "on": "1930-04-05", "org": "hp", "name": "HP",'
        ' "parent": null, "note": null}\n'
        '{"type": "organization.registered", "on": "1955-06-01", "org": "hp.d01", "name": "D1",'
        ' "parent": "hp", "recorded_at": "2020-01-06T01:00:00.000Z"}\n'
        '{"id": "a1", "type": "member.admitted", "on": "2020-02-01", "org": "hp.d01",'
        ' "member": "m1", "person": {"gender": "female", "name": "Lan"}, "youth_union": true,'
        ' "occupation": "farmer"}\n',
        encoding="utf-8",
    )
    source = f"sqlite:///{tmp_path / 'source.db'}"
    ask("import", str(original), "--db", source)
    exported = tmp_path / "export.jsonl"
    ask("export", str(exported), "--db", source)
    lines = [orjson.loads(line) for line in exported.read_bytes().splitlines()]
    assert all(line["id"] and line["recorded_at"] for line in lines)
    assert lines[1]["recorded_at"] == "2020-01-06T01:00:00+00:00"

    ask("import", str(exported), "--restore", "--db", postgres)
    again = orjson.loads(ask("import", str(original), "--json", "--db", postgres))
    assert again == {"accepted": 0, "duplicates": 3, "rejected": 0, "rejects": []}


# --- refusals ------------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def source(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert invoke("import", str(EXAMPLE), "--db", db)[0] == 0
    return db


def test_an_export_never_overwrites_the_database_nor_an_existing_file_unasked(
    source: str, tmp_path: Path
) -> None:
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm", "ledger.db.lock"):
        code, output = invoke("export", str(tmp_path / name), "--force", "--db", source)
        assert code == 2 and "would destroy it" in output, output
    kept = tmp_path / "kept.jsonl"
    kept.write_text("yesterday's export\n")
    code, output = invoke("export", str(kept), "--db", source)
    assert code == 2 and "--force" in output
    assert kept.read_text() == "yesterday's export\n"
    assert invoke("export", str(kept), "--force", "--db", source)[0] == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # people's records: the owner's only
    assert len(kept.read_bytes().splitlines()) == 122
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_event_that_cannot_be_decoded_stops_the_export_before_any_file_is_written(
    source: str, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "ledger.db") as damaged:
        damaged.execute("UPDATE stored_events SET state = X'00' WHERE rowid = 5")
    target = tmp_path / "export.jsonl"
    code, output = invoke("export", str(target), "--db", source)
    assert code == 2 and "position 5 cannot be decoded" in output, output
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_an_export_to_stdout_is_the_same_lines_with_the_summary_on_stderr(
    source: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["export", "--db", source])
    assert result.exit_code == 0
    ask("export", str(tmp_path / "file.jsonl"), "--db", source)
    assert result.stdout_bytes == (tmp_path / "file.jsonl").read_bytes()
    assert "exported 122 facts up to log position 122" in result.stderr


def _export_lines(source: str) -> list[bytes]:
    return runner.invoke(app, ["export", "--db", source]).stdout_bytes.splitlines()


def _restore(lines: list[bytes], tmp_path: Path, *extra: str) -> tuple[int, Any]:
    path = tmp_path / "restore.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    result = runner.invoke(app, ["import", str(path), "--json", *extra, "--db", target])
    return result.exit_code, orjson.loads(result.stdout) if result.exit_code < 2 else None


def test_without_restore_an_exported_line_is_refused_with_a_pointer_to_restore(
    source: str, tmp_path: Path
) -> None:
    code, summary = _restore(_export_lines(source)[:1], tmp_path)
    assert code == 1
    (reject,) = summary["rejects"]
    assert reject["error"] == "invalid_fact" and reject["line"] == 1
    assert "recorded_by" in reject["message"] and "--restore" in reject["message"]


@pytest.mark.parametrize(
    ("recorder", "words"),
    [
        (42, "recorded_by"),
        ({"name": "x"}, "recorded_by"),
        ("", "non-empty"),
        ("x" * 257, "at most 256"),
    ],
)
def test_a_restored_line_whose_recorder_is_not_a_short_string_is_refused(
    source: str, tmp_path: Path, recorder: Any, words: str
) -> None:
    lines = _export_lines(source)[:3]
    bad = orjson.loads(lines[1])
    bad["recorded_by"] = recorder
    code, summary = _restore([lines[0], orjson.dumps(bad), lines[2]], tmp_path, "--restore")
    assert code == 1 and summary["accepted"] == 2
    (reject,) = summary["rejects"]
    assert (reject["line"], reject["id"], reject["error"]) == (2, bad["id"], "invalid_fact")
    assert words in reject["message"] and "recorded_by" in reject["message"]


def test_a_restored_line_with_a_malformed_digest_is_refused(source: str, tmp_path: Path) -> None:
    lines = _export_lines(source)[:1]
    bad = orjson.loads(lines[0])
    bad["digest"] = "sha256:" + bad["digest"]
    code, summary = _restore([orjson.dumps(bad)], tmp_path, "--restore")
    assert code == 1 and "digest" in summary["rejects"][0]["message"]


def test_a_truncated_export_is_refused_at_its_cut_line(source: str, tmp_path: Path) -> None:
    lines = _export_lines(source)
    cut = [*lines[:-1], lines[-1][: len(lines[-1]) // 2]]  # the copy stopped mid-line
    code, summary = _restore(cut, tmp_path, "--restore")
    assert code == 1 and summary["accepted"] == len(lines) - 1
    (reject,) = summary["rejects"]
    assert reject["line"] == len(lines) and reject["error"] == "invalid_fact"
    assert "not valid JSON" in reject["message"]


def test_a_restore_into_a_ledger_that_holds_facts_is_refused(source: str, tmp_path: Path) -> None:
    exported = tmp_path / "export.jsonl"
    ask("export", str(exported), "--db", source)
    code, output = invoke("import", str(exported), "--restore", "--db", source)
    assert code == 2 and "needs an empty database" in output and "122 events" in output
