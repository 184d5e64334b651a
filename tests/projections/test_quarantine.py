"""The read side never raises on what the log holds (SPEC §4 ``unreadable_history``).

The rules run when a fact is recorded. A history written under other rules (an older release,
a stricter rule today) or altered outside the ledger is stored all the same; the projection
must still answer every query. Such histories are written here the way an older release
would have: events appended to the aggregates without today's checks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from commands.application import LedgerApplication
from commands.schema import parse_object
from ledger.events import event_fields
from ledger.facts import Fact
from ledger.member import MEMBER_EVENTS
from ledger.organization import ORG_EVENTS
from projections.queries import ReadModels
from projections.rebuild import rebuild
from tests.support import LedgerHarness, admitted, at, fact


def force(app: LedgerApplication, value: dict[str, Any], **overrides: Any) -> str:
    """Append ``value`` to its aggregate's events without today's rules; return its id."""
    parsed = parse_object(value)
    model = parsed.model
    data = {**parsed.data(), **overrides.pop("data", {})}
    recorded_at = overrides.pop("recorded_at", model.recorded_at)
    stored = Fact(parsed.id, parsed.type, model.on, recorded_at, 0, data, model.ref, model.note)
    if parsed.type.startswith("member."):
        aggregate: Any = app.member(model.member)
        events, subject = MEMBER_EVENTS, f"member:{model.member}"
    else:
        aggregate = app.organization(model.org)
        events, subject = ORG_EVENTS, f"org:{model.org}"
    assert aggregate is not None
    aggregate.trigger_event(events[parsed.type], **event_fields(stored))
    app.commit([aggregate], fact_rows=[(parsed.id, subject, parsed.type, parsed.digest)])
    return parsed.id


def roster(models: ReadModels, org: str = "hp", day: str = "2022-12-31") -> list[str]:
    report = models.roster(
        org, as_of=date.fromisoformat(day), known_at=None, label="now"
    ).model_dump()
    return [m["member"] for m in report["members"]]


def unreadable(models: ReadModels, org: str = "hp", known_at: datetime | None = None) -> list[Any]:
    report = models.quality(
        org, as_of=date(2022, 12, 31), known_at=known_at, label="t"
    ).model_dump()
    found = [f for f in report["findings"] if f["kind"] == "unreadable_history"]
    assert report["counts"]["unreadable_history"] == len(found)
    return [(f["member"], f["org"], f["fact"]) for f in found]


def every_read_answers(models: ReadModels) -> None:
    day = date(2022, 12, 31)
    models.roster("hp", as_of=day, known_at=None, label="now").model_dump()
    assert models.annual("hp", year=2021, known_at=None, label="now").model_dump()["balanced"]
    models.member("m1", as_of=day, known_at=None, label="now").model_dump()
    models.badges_due("hp", on=day).model_dump()
    models.quality("hp", as_of=day, known_at=None, label="now").model_dump()


@pytest.fixture
def city(ledger: LedgerHarness) -> LedgerHarness:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2015-01-01", id="adm-m1"))
    ledger.record(admitted("m2", "c3", "2015-01-01", id="adm-m2"))
    return ledger


def test_a_member_whose_history_breaks_todays_rules_is_quarantined_not_fatal(
    app: LedgerApplication, city: LedgerHarness, models: ReadModels
) -> None:
    # Probation completed after two months: refused today, accepted by "an older release".
    bad = force(app, fact("probation_completed", "m1", "2015-03-01", id="early-m1"))
    every_read_answers(models)
    assert roster(models) == ["m2"]
    assert unreadable(models) == [("m1", "c1", "early-m1")]
    assert unreadable(models, "d2") == []  # m1's history is c1's business, not d2's
    view = models.member("m1", as_of=date(2022, 12, 31), known_at=None, label="now").model_dump()
    assert (view["status"], view["facts"]) == ("not_member", [])
    fact_id, detail = models.unreadable("m1", known_at=None) or ("", "")
    assert fact_id == "early-m1" and "too_early" in detail
    assert models.unreadable("m2", known_at=None) is None
    # Before the bad fact was recorded, m1 was readable (and on the roster).
    before = datetime.fromisoformat(at("2015-02-01"))
    report = models.roster("hp", as_of=date(2015, 2, 1), known_at=before, label="then").model_dump()
    assert [m["member"] for m in report["members"]] == ["m1", "m2"]
    assert unreadable(models, known_at=before) == []
    assert bad == "early-m1"


def test_a_retraction_of_the_fact_that_cannot_be_applied_mends_the_history(
    app: LedgerApplication, city: LedgerHarness, models: ReadModels
) -> None:
    force(app, fact("probation_completed", "m1", "2015-03-01", id="early-m1"))
    assert roster(models) == ["m2"]
    # Recording another fact for m1 is refused cleanly, naming the fact that breaks.
    refusal = city.refusal(fact("dossier_recorded", "m1", "2016-01-01", recorded=at("2023-01-01")))
    assert "early-m1" in refusal.message
    mend = {"type": "fact.retracted", "on": "2023-01-02", "fact": "early-m1",
            "reason": "recorded under the old rules", "recorded_at": at("2023-01-02")}  # fmt: skip
    city.record(mend)
    assert roster(models) == ["m1", "m2"]
    assert unreadable(models) == []
    then = datetime.fromisoformat(at("2022-06-01"))
    assert unreadable(models, known_at=then) == [("m1", "c1", "early-m1")]


def test_a_history_naming_an_org_that_was_never_registered_is_quarantined(
    app: LedgerApplication, city: LedgerHarness, models: ReadModels
) -> None:
    force(app, fact("transferred_out", "m1", "2016-01-01", to_org="c2", id="out-m1"))
    force(app, fact("transferred_in", "m1", "2016-02-01", org="c2", id="in-m1"),
          data={"org": "ghost"})  # fmt: skip
    every_read_answers(models)
    assert roster(models) == ["m2"]
    assert [f[0] for f in unreadable(models)] == ["m1"]


def test_an_event_that_cannot_be_decoded_quarantines_its_member_only(
    app: LedgerApplication, city: LedgerHarness, models: ReadModels
) -> None:
    city.record(fact("dossier_recorded", "m1", "2016-01-01", id="dos-m1"))
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    models.store.execute(
        f"UPDATE {table} SET state = ? WHERE originator_version = 2", (b"{not json",)
    )
    every_read_answers(models)
    assert roster(models) == ["m2"]
    [(member, _, culprit)] = unreadable(models)
    assert member == "m1" and culprit is not None and "event 2" in culprit
    assert rebuild(app.event_log, models.store) > 0
    assert roster(models) == ["m2"]


def test_org_facts_the_read_models_cannot_hold_are_noted_and_every_read_answers(
    app: LedgerApplication, city: LedgerHarness, models: ReadModels
) -> None:
    count = {"type": "organization.count_declared", "on": "2021-01-01", "org": "c1",
             "recorded_at": at("2021-01-01")}  # fmt: skip
    force(app, {**count, "count": 1, "id": "huge"}, data={"count": 2**64 - 1})
    year_one = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    force(app, {**count, "count": 3, "id": "year-one"}, recorded_at=year_one)
    renamed = {"type": "organization.renamed", "on": "2021-01-01", "org": "c3", "name": "C3",
               "recorded_at": at("2021-01-01")}  # fmt: skip
    force(app, renamed, data={"name": "C\u00003"})
    every_read_answers(models)
    assert roster(models) == ["m1", "m2"]
    assert unreadable(models) == [(None, "c1", "huge")]
    mismatches = [f for f in models.quality("hp", as_of=date(2022, 1, 1), known_at=None,
                                             label="now").model_dump()["findings"]
                  if f["kind"] == "count_mismatch"]  # fmt: skip
    assert [f["fact"] for f in mismatches] == ["year-one"]  # 3 declared, 1 on the register
    name = models.store.fetchone("SELECT name FROM rm_orgs WHERE org = 'c3'")
    assert name == ("C\ufffd3",)
    assert rebuild(app.event_log, models.store) > 0
    assert unreadable(models) == [(None, "c1", "huge")]
    city.record({"type": "fact.retracted", "on": "2022-01-01", "fact": "huge", "reason": "typo",
                 "recorded_at": at("2022-01-02")})  # fmt: skip
    assert unreadable(models) == []
