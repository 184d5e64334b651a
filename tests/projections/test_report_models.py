"""The report models of ``projections.reports``: their JSON is exactly the JSON the ledger
printed before there were models, on both backends, and every report the read models build
(without validation, for speed) is valid against its own model.

``golden/demo_1pct.json`` holds the reports of the demo city scaled to 1 % (seed 7) as the
dictionaries of the ledger before the models printed them; regenerate it only when SPEC §4
changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from commands.application import LedgerApplication
from commands.record import import_facts
from demo import SEED_PLAN, generate
from projections.queries import ReadModels
from projections.reports.annual import AnnualReport
from projections.reports.badges import BadgesDue
from projections.reports.member import MemberView
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster

GOLDEN = Path(__file__).parent / "golden" / "demo_1pct.json"
KNOWN = datetime.fromisoformat("2022-01-15T09:00:00+07:00")


@pytest.fixture(scope="module")
def facts() -> list[dict[str, Any]]:
    return list(generate(7, SEED_PLAN.scaled(0.01)))


@pytest.fixture
def reports(database_url: str, facts: list[dict[str, Any]]) -> Iterator[dict[str, BaseModel]]:
    app = LedgerApplication(database_url)
    models = ReadModels(app.event_log)
    try:
        summary = import_facts(app, (orjson.dumps(fact) for fact in facts))
        assert summary.rejected == 0
        died = next(f["member"] for f in facts if f["type"] == "member.died")
        yield {
            "annual": models.annual("hp", year=2021, known_at=KNOWN, label="then"),
            "annual_now": models.annual("hp.d03", year=2021, known_at=None, label="now"),
            "roster": models.roster(
                "hp.d03", as_of=date(2021, 12, 31), known_at=KNOWN, label="then"
            ),
            "member": models.member(died, as_of=date(2022, 12, 31), known_at=None, label="now"),
            "badges": models.badges_due("hp", on=date(2021, 9, 2)),
            "quality": models.quality("hp", as_of=date(2022, 1, 31), known_at=None, label="now"),
        }
    finally:
        models.close()
        app.close()


def test_the_models_give_the_json_the_ledger_printed(reports: dict[str, BaseModel]) -> None:
    golden = orjson.loads(GOLDEN.read_bytes())
    assert {name: report.model_dump() for name, report in reports.items()} == golden
    # The JSON is printed in field order: the order of SPEC §4.
    assert list(reports["annual"].model_dump()) == [
        "org", "year", "known_at", "members_at_start", "members_at_end", "admitted",
        "readmitted", "admitted_by", "probation_completed", "transferred_in", "transferred_out",
        "internal_moves", "badges_awarded", "badges_by_years", "expelled", "removed", "resigned",
        "died", "in_transit_at_end", "dossiers_recorded_at_end", "admitted_with_dossier",
        "balanced", "previous_year",
    ]  # fmt: skip
    assert list(reports["member"].model_dump()) == [
        "member", "as_of", "known_at", "status", "standing", "org", "to_org",
        "party_age_years", "badges", "exempt", "away", "facts",
    ]  # fmt: skip


def test_every_report_is_valid_against_its_model(reports: dict[str, BaseModel]) -> None:
    kinds = {
        "annual": AnnualReport,
        "annual_now": AnnualReport,
        "roster": Roster,
        "member": MemberView,
        "badges": BadgesDue,
        "quality": QualityReport,
    }
    for name, report in reports.items():
        assert type(report) is kinds[name]
        checked = kinds[name].model_validate_json(report.model_dump_json())
        assert checked == report, name
        assert checked.model_dump_json() == report.model_dump_json()


def test_a_report_refuses_keys_the_spec_does_not_have() -> None:
    roster = {"org": "hp", "as_of": "2021-12-31", "known_at": "now", "count": 0, "members": []}
    assert Roster.model_validate(roster).count == 0
    with pytest.raises(ValueError, match="extra"):
        Roster.model_validate({**roster, "total": 0})
    with pytest.raises(ValueError, match="status"):
        Roster.model_validate(
            {**roster, "count": 1, "members": [
                {"member": "m1", "org": "hp", "status": "asleep", "since": "2021-01-01"}]}
        )  # fmt: skip


def test_the_models_document_every_field_for_the_http_api() -> None:
    schema = AnnualReport.model_json_schema()
    assert schema["required"][:3] == ["org", "year", "known_at"]
    assert "previous_year" in schema["properties"]
    entry = Roster.model_json_schema()["$defs"]["RosterEntry"]
    assert entry["properties"]["since"]["format"] == "date"
    assert entry["properties"]["status"]["enum"] == ["probationary", "official", "in_transit"]


def test_a_kept_answer_is_asked_again_after_any_new_fact(database_url: str) -> None:
    # The read models keep report answers by (question, position of the log): a fact recorded
    # later but dated (in recording time) before the knowledge time asked must still show.
    from commands.record import record_fact
    from tests.support import admitted

    app = LedgerApplication(database_url)
    models = ReadModels(app.event_log)
    try:
        record_fact(app, {"type": "organization.registered", "on": "2000-01-01", "org": "hp",
                          "name": "HP", "parent": None, "id": "reg-hp",
                          "recorded_at": "2000-01-01T09:00:00+07:00"})  # fmt: skip
        record_fact(app, admitted("m1", "hp", "2021-03-01", id="adm-m1"))
        asked = datetime.fromisoformat("2022-01-15T09:00:00+07:00")
        first = models.annual("hp", year=2021, known_at=asked, label="then")
        assert first.admitted == 1 and first.known_at == "then"
        again = models.annual("hp", year=2021, known_at=asked, label="again")
        assert again == first.model_copy(
            update={"known_at": "again",
                    "previous_year": first.previous_year.model_copy(update={"known_at": "again"})}
        )  # fmt: skip
        # A second admission, imported now but recorded (by its own recorded_at) before "asked".
        record_fact(app, admitted("m2", "hp", "2021-05-01", id="adm-m2",
                                  recorded_at="2021-05-02T09:00:00+07:00"))  # fmt: skip
        after = models.annual("hp", year=2021, known_at=asked, label="then")
        assert after.admitted == 2 and after.members_at_end == 2
        assert (
            models.quality("hp", as_of=date(2022, 1, 31), known_at=None, label="x").known_at == "x"
        )
    finally:
        models.close()
        app.close()
