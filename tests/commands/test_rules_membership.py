"""SPEC §3, first group of rules: dates, orgs, admission, probation, transfers, late facts.

Every test runs on SQLite and on PostgreSQL (the ``ledger`` fixture). The clock stands at
2026-01-01 12:00 +07:00; facts carry an explicit ``recorded_at`` (``at(day)``: 09:00 Hanoi time)
unless a test is about the omitted one. Where the spec is silent, docs/decisions.md decides.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from commands.application import LedgerApplication
from commands.record import import_facts
from projections.queries import member_report
from tests.support import Clock, LedgerHarness, admitted, at, fact

# --- a few words for the facts these tests use -------------------------------------------------


def org_fact(
    kind: str, org: str, on: str, recorded: str | None = None, **fields: Any
) -> dict[str, Any]:
    """An organisation fact: ``org_fact("dissolved", "c2", "2022-01-01")``."""
    return {
        "type": f"organization.{kind}",
        "on": on,
        "org": org,
        "recorded_at": recorded or at(on),
        **fields,
    }


def registered(
    org: str, parent: str | None, on: str, recorded: str | None = None
) -> dict[str, Any]:
    """An organization.registered fact."""
    return org_fact("registered", org, on, recorded, name=org.upper(), parent=parent)


def dissolved(org: str, on: str, recorded: str | None = None) -> dict[str, Any]:
    """An organization.dissolved fact."""
    return org_fact("dissolved", org, on, recorded)


def out(
    member: str, on: str, to_org: str | None = None, recorded: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A transfer out to an org of the ledger (``to_org``) or elsewhere (``to_external=``)."""
    if to_org is not None:
        fields["to_org"] = to_org
    return fact("transferred_out", member, on, recorded, **fields)


def arrival(
    member: str, org: str, on: str, recorded: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A transfer in."""
    return fact("transferred_in", member, on, recorded, org=org, **fields)


OUTSIDER_FIELDS: dict[str, Any] = {
    "from_external": "Hà Nội",
    "person": {"name": "Người từ nơi khác", "gender": "male", "birth_date": "1970-01-01"},
    "youth_union": False,
    "occupation": "civil_servant",
    "standing": "official",
    "admitted_on": "2000-01-10",
}


def outsider(
    member: str, org: str, on: str, recorded: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A member unknown to the ledger arriving from outside, with every field it needs."""
    return arrival(member, org, on, recorded, **{**OUTSIDER_FIELDS, **fields})


def official(ledger: LedgerHarness, member: str, org: str = "c1", on: str = "2015-01-05") -> None:
    """An official member of ``org``: admitted on ``on``, probation completed a year later."""
    assert ledger.record(admitted(member, org, on)) == "accepted"
    year_later = f"{int(on[:4]) + 1}{on[4:]}"
    assert ledger.record(fact("probation_completed", member, year_later)) == "accepted"


def stored_events(ledger: LedgerHarness) -> int:
    """The position of the event log: it moves whenever anything is stored."""
    return ledger.app.recorder.max_notification_id() or 0  # type: ignore[attr-defined, no-any-return]


def assert_placed(view: dict[str, Any], org: str, standing: str) -> None:
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        standing,
        standing,
        org,
        None,
    )


# --- dates ------------------------------------------------------------------------------------


def test_a_fact_dated_after_the_day_of_its_recorded_at_is_a_future_date(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.code(admitted("m1", "c1", "2021-03-02", at("2021-03-01", 23))) == "future_date"
    assert ledger.view("m1")["status"] == "not_member"
    assert ledger.record(admitted("m1", "c1", "2021-03-01", at("2021-03-01", 0))) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_a_fact_recorded_after_now_is_a_future_date(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert (
        ledger.code(admitted("m1", "c1", "2026-01-01", "2026-01-01T12:00:01+07:00"))
        == "future_date"
    )
    assert (
        ledger.code(admitted("m1", "c1", "2025-12-01", "2026-02-01T09:00:00+07:00"))
        == "future_date"
    )
    assert (
        ledger.record(admitted("m1", "c1", "2026-01-01", "2026-01-01T12:00:00+07:00")) == "accepted"
    )
    assert_placed(ledger.view("m1", as_of="2026-01-01"), "c1", "probationary")


def test_on_is_compared_with_the_date_of_recorded_at_in_its_own_offset(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    # 2025-06-01 20:00 at -05:00 is already 2025-06-02 08:00 in Hanoi, but its own date is June 1.
    late_evening = "2025-06-01T20:00:00-05:00"
    assert ledger.code(admitted("m1", "c1", "2025-06-02", late_evening)) == "future_date"
    # 2025-06-02 01:00 at +09:00 is still 2025-06-01 23:00 in Hanoi, but its own date is June 2.
    early_morning = "2025-06-02T01:00:00+09:00"
    assert ledger.record(admitted("m1", "c1", "2025-06-02", early_morning)) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_recorded_at_after_now_in_another_offset_is_a_future_date(ledger: LedgerHarness) -> None:
    ledger.tree()
    # Now is 2026-01-01 12:00 +07:00 = 05:00 UTC.
    assert ledger.code(admitted("m1", "c1", "2025-12-31", "2026-01-01T05:00:01Z")) == "future_date"
    assert (
        ledger.code(admitted("m1", "c1", "2025-12-31", "2025-12-31T22:01:00-07:00"))
        == "future_date"
    )
    assert (
        ledger.record(admitted("m1", "c1", "2026-01-01", "2026-01-01T05:00:00+00:00")) == "accepted"
    )
    assert_placed(ledger.view("m1", as_of="2026-01-01"), "c1", "probationary")


def test_a_fact_dated_today_in_utc_but_yesterday_in_its_offset_is_a_future_date(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    # 2025-12-31 23:00 -05:00 is 2026-01-01 04:00 UTC, before now, but its own date is Dec 31.
    assert (
        ledger.code(admitted("m1", "c1", "2026-01-01", "2025-12-31T23:00:00-05:00"))
        == "future_date"
    )
    assert ledger.view("m1", as_of="2026-01-01")["status"] == "not_member"


def test_a_fact_without_recorded_at_is_recorded_now(ledger: LedgerHarness, clock: Clock) -> None:
    ledger.tree()
    tomorrow = admitted("m1", "c1", "2026-01-02")
    del tomorrow["recorded_at"]
    assert ledger.code(tomorrow) == "future_date"
    today = admitted("m1", "c1", "2026-01-01")
    del today["recorded_at"]
    assert ledger.record(today) == "accepted"
    view = ledger.view("m1", as_of="2026-01-01")
    assert_placed(view, "c1", "probationary")
    assert datetime.fromisoformat(view["facts"][0]["recorded_at"]) == clock.now


def test_a_member_fact_recorded_before_the_members_latest_fact_is_a_conflict(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    first = admitted("m1", "c1", "2020-01-01", at("2021-06-01"), id="adm-m1")
    assert ledger.record(first) == "accepted"
    err = ledger.refusal(fact("probation_completed", "m1", "2021-01-01", at("2021-05-31")))
    assert err.code == "conflict"
    assert "adm-m1" in err.message
    assert ledger.view("m1")["status"] == "probationary"
    # The same recording time is allowed: the order is non-decreasing.
    assert (
        ledger.record(fact("probation_completed", "m1", "2021-01-01", at("2021-06-01")))
        == "accepted"
    )
    assert_placed(ledger.view("m1"), "c1", "official")


def test_the_recording_order_compares_instants_not_wall_clocks(ledger: LedgerHarness) -> None:
    ledger.tree()
    # Recorded 2021-06-01 09:00 +07:00 = 02:00 UTC.
    assert ledger.record(admitted("m1", "c1", "2020-01-01", at("2021-06-01"))) == "accepted"
    # 10:00 at +09:00 reads later but is 01:00 UTC: earlier.
    earlier = fact("probation_completed", "m1", "2021-01-01", "2021-06-01T10:00:00+09:00")
    assert ledger.code(earlier) == "conflict"
    # 22:00 on May 31 at -05:00 reads earlier but is 03:00 UTC on June 1: later.
    later = fact("probation_completed", "m1", "2021-01-01", "2021-05-31T22:00:00-05:00")
    assert ledger.record(later) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "official")


def test_the_recording_order_is_per_member(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01", at("2021-06-01"))) == "accepted"
    assert ledger.record(admitted("m2", "c1", "2020-01-01", at("2020-01-01"))) == "accepted"
    assert_placed(ledger.view("m2"), "c1", "probationary")


def test_the_recording_order_is_checked_before_the_referenced_org(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01", at("2021-06-01"))) == "accepted"
    assert ledger.code(out("m1", "2021-01-01", "nowhere", at("2021-05-31"))) == "conflict"
    assert ledger.code(out("m1", "2021-01-01", "nowhere", at("2021-06-01"))) == "unknown_org"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_future_date_is_checked_before_the_recording_order(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01", at("2021-06-01"))) == "accepted"
    assert (
        ledger.code(fact("probation_completed", "m1", "2021-05-31", at("2021-05-30")))
        == "future_date"
    )


# --- organisations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param(admitted("m2", "nowhere", "2021-01-01"), id="admitted"),
        pytest.param(out("m1", "2021-01-01", "nowhere"), id="transferred_out"),
        pytest.param(outsider("m2", "nowhere", "2021-01-01"), id="transferred_in"),
    ],
)
def test_a_member_fact_naming_an_unregistered_org_is_unknown_org(
    ledger: LedgerHarness, candidate: dict[str, Any]
) -> None:
    ledger.tree()
    official(ledger, "m1")
    assert ledger.code(candidate) == "unknown_org"
    assert_placed(ledger.view("m1"), "c1", "official")
    assert ledger.view("m2")["status"] == "not_member"


def test_an_org_is_inactive_before_the_day_of_its_registration(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.org("c4", "d1", on="2020-05-10")
    assert ledger.code(admitted("m1", "c4", "2020-05-09")) == "org_inactive"
    assert ledger.record(admitted("m1", "c4", "2020-05-10")) == "accepted"
    assert_placed(ledger.view("m1"), "c4", "probationary")


def test_a_transfer_to_an_org_before_its_registration_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1")
    ledger.org("c4", "d1", on="2020-05-10")
    assert ledger.code(out("m1", "2020-05-09", "c4")) == "org_inactive"
    assert ledger.record(out("m1", "2020-05-10", "c4")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["org"], view["to_org"]) == ("in_transit", "c1", "c4")


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param(admitted("m2", "c2", "2022-03-01"), id="admitted-on-the-day"),
        pytest.param(admitted("m2", "c2", "2023-07-01"), id="admitted-after"),
        pytest.param(out("m1", "2022-03-01", "c2"), id="transfer-to-it-on-the-day"),
        pytest.param(outsider("m2", "c2", "2022-03-01"), id="arrival-on-the-day"),
    ],
)
def test_an_org_is_inactive_from_the_day_of_its_dissolution(
    ledger: LedgerHarness, candidate: dict[str, Any]
) -> None:
    ledger.tree()
    official(ledger, "m1")
    assert ledger.record(dissolved("c2", "2022-03-01")) == "accepted"
    assert ledger.code(candidate) == "org_inactive"
    assert_placed(ledger.view("m1"), "c1", "official")
    assert ledger.view("m2")["status"] == "not_member"


def test_an_org_is_still_active_the_day_before_its_dissolution(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1")
    assert ledger.record(out("m1", "2022-02-28", "c2")) == "accepted"
    assert ledger.record(arrival("m1", "c2", "2022-02-28")) == "accepted"
    assert ledger.record(out("m1", "2022-02-28", "c1")) == "accepted"
    assert ledger.record(arrival("m1", "c1", "2022-02-28")) == "accepted"
    assert ledger.record(dissolved("c2", "2022-03-01")) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "official")


def test_registering_an_existing_org_id_is_a_conflict(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.code(registered("c1", "d2", "2021-01-01")) == "conflict"
    assert ledger.code(registered("hp", None, "1945-09-02")) == "conflict"
    # c1 is still the cell of d1 it was: a member admitted there is placed in c1.
    assert ledger.record(admitted("m1", "c1", "2021-01-01")) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_registering_under_an_unknown_parent_is_unknown_org(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.code(registered("c4", "nowhere", "2021-01-01")) == "unknown_org"
    assert ledger.code(admitted("m1", "c4", "2021-01-02")) == "unknown_org"


def test_registering_under_a_parent_not_yet_registered_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.org("d3", "hp", on="2020-01-01")
    assert ledger.code(registered("c4", "d3", "2019-12-31")) == "org_inactive"
    assert ledger.code(admitted("m1", "c4", "2020-01-02")) == "unknown_org"
    assert ledger.record(registered("c4", "d3", "2020-01-01")) == "accepted"
    assert ledger.record(admitted("m1", "c4", "2020-01-02")) == "accepted"
    assert_placed(ledger.view("m1"), "c4", "probationary")


@pytest.mark.parametrize("on", ["2022-01-01", "2022-06-01"])
def test_registering_under_a_dissolved_parent_is_org_inactive(
    ledger: LedgerHarness, on: str
) -> None:
    ledger.tree()
    ledger.org("d3", "hp", on="2020-01-01")
    assert ledger.record(dissolved("d3", "2022-01-01")) == "accepted"
    assert ledger.code(registered("c4", "d3", on)) == "org_inactive"
    assert ledger.code(admitted("m1", "c4", on)) == "unknown_org"


def test_dissolving_an_org_with_a_member_placed_in_it_is_a_conflict(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
    assert ledger.code(dissolved("c1", "2022-01-01")) == "conflict"
    assert ledger.record(admitted("m2", "c1", "2022-02-01")) == "accepted"
    assert_placed(ledger.view("m2"), "c1", "probationary")


def test_dissolving_an_org_a_member_joins_after_that_date_is_a_conflict(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c2", "2022-06-01")) == "accepted"
    assert ledger.code(dissolved("c2", "2022-01-01", at("2022-07-01"))) == "conflict"
    assert_placed(ledger.view("m1"), "c2", "probationary")


def test_dissolving_an_org_with_a_member_in_transit_towards_it_is_a_conflict(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1")
    assert ledger.record(out("m1", "2021-12-01", "c2")) == "accepted"
    assert ledger.code(dissolved("c2", "2022-01-01")) == "conflict"
    assert ledger.record(arrival("m1", "c2", "2022-01-05")) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "official")


def test_dissolving_an_org_with_an_active_child_is_a_conflict(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.code(dissolved("d1", "2022-01-01")) == "conflict"
    # A child dissolved only later is still active on the date.
    assert ledger.record(dissolved("c1", "2022-06-01")) == "accepted"
    assert ledger.record(dissolved("c2", "2022-06-01")) == "accepted"
    assert ledger.code(dissolved("d1", "2022-05-31", at("2022-06-01", 10))) == "conflict"
    # d1 is still active: a new cell can be registered under it.
    assert ledger.record(registered("c9", "d1", "2022-05-31", at("2022-06-01", 11))) == "accepted"


def test_dissolving_an_org_on_the_day_its_last_children_are_dissolved_is_accepted(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(dissolved("c1", "2022-01-01")) == "accepted"
    assert ledger.record(dissolved("c2", "2022-01-01")) == "accepted"
    assert ledger.record(dissolved("d1", "2022-01-01")) == "accepted"
    assert ledger.code(registered("c9", "d1", "2022-01-02")) == "org_inactive"


def test_dissolution_is_accepted_once_every_member_has_left(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1", "c2", "2020-01-01")
    official(ledger, "m2", "c2", "2020-01-01")
    official(ledger, "m3", "c2", "2020-01-01")
    assert ledger.record(admitted("m4", "c2", "2020-01-01")) == "accepted"
    assert ledger.record(out("m1", "2022-01-01", "c1")) == "accepted"
    assert ledger.record(arrival("m1", "c1", "2022-01-10")) == "accepted"
    assert ledger.record(out("m2", "2021-09-01", to_external="Đà Nẵng")) == "accepted"
    assert ledger.record(fact("resigned", "m3", "2021-06-01")) == "accepted"
    assert ledger.record(fact("died", "m4", "2021-03-01")) == "accepted"
    # On Dec 31 m1 is still placed in c2; from Jan 1 c2 has nobody.
    assert ledger.code(dissolved("c2", "2021-12-31", at("2022-02-01"))) == "conflict"
    assert ledger.record(dissolved("c2", "2022-01-01", at("2022-02-01"))) == "accepted"
    assert ledger.code(admitted("m5", "c2", "2022-01-02", at("2022-02-02"))) == "org_inactive"
    assert_placed(ledger.view("m1"), "c1", "official")
    assert ledger.view("m2")["status"] == "transferred_away"


@pytest.mark.parametrize("kind", ["renamed", "count_declared", "dissolved"])
def test_an_org_fact_about_an_unregistered_org_is_unknown_org(
    ledger: LedgerHarness, kind: str
) -> None:
    ledger.tree()
    fields = {"renamed": {"name": "X"}, "count_declared": {"count": 3}, "dissolved": {}}[kind]
    assert ledger.code(org_fact(kind, "nowhere", "2021-01-01", **fields)) == "unknown_org"


@pytest.mark.parametrize("on", ["2019-12-31", "2022-01-01", "2023-05-05"])
@pytest.mark.parametrize("kind", ["renamed", "count_declared"])
def test_an_org_fact_about_an_inactive_org_is_org_inactive(
    ledger: LedgerHarness, kind: str, on: str
) -> None:
    ledger.tree()
    ledger.org("c4", "d1", on="2020-01-01")
    fields = {"renamed": {"name": "X"}, "count_declared": {"count": 3}}[kind]
    assert ledger.record(org_fact(kind, "c4", "2021-12-31", **fields)) == "accepted"
    assert ledger.record(dissolved("c4", "2022-01-01")) == "accepted"
    assert ledger.code(org_fact(kind, "c4", on, at("2023-06-01"), **fields)) == "org_inactive"


def test_dissolving_an_org_before_its_registration_is_org_inactive(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.org("c4", "d1", on="2020-01-01")
    assert ledger.code(dissolved("c4", "2019-12-31", at("2020-01-02"))) == "org_inactive"
    # Not dissolved: a member can still be admitted there.
    assert ledger.record(admitted("m1", "c4", "2021-01-01")) == "accepted"
    assert_placed(ledger.view("m1"), "c4", "probationary")


@pytest.mark.parametrize("on", ["2019-12-31", "2021-06-01", "2022-01-01", "2023-05-05"])
def test_dissolving_an_org_a_second_time_is_a_conflict_whatever_its_date(
    ledger: LedgerHarness, on: str
) -> None:
    ledger.tree()
    ledger.org("c4", "d1", on="2020-01-01")
    assert ledger.record(dissolved("c4", "2022-01-01")) == "accepted"
    assert ledger.code(dissolved("c4", on, at("2023-06-01"))) == "conflict"
    # The first dissolution date stands: c4 is still active on 2021-12-31.
    assert ledger.record(org_fact("renamed", "c4", "2021-12-31", name="X")) == "accepted"
    assert ledger.code(admitted("m1", "c4", "2022-01-01")) == "org_inactive"


def test_a_late_admission_that_would_leave_a_member_in_a_dissolved_org_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(dissolved("c2", "2022-01-01")) == "accepted"
    late = admitted("m1", "c2", "2021-06-01", at("2022-02-01"))
    err = ledger.refusal(late)
    assert err.code == "org_inactive"
    assert ledger.view("m1")["status"] == "not_member"


def test_a_late_arrival_that_would_leave_a_member_in_a_dissolved_org_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(dissolved("c2", "2022-01-01")) == "accepted"
    assert ledger.code(outsider("m1", "c2", "2021-06-01", at("2022-02-01"))) == "org_inactive"
    assert ledger.view("m1")["status"] == "not_member"


def test_a_transfer_that_would_leave_a_member_in_transit_to_a_dissolved_org_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(dissolved("c2", "2022-01-01")) == "accepted"
    assert ledger.code(out("m1", "2021-12-01", "c2", at("2022-02-01"))) == "org_inactive"
    assert_placed(ledger.view("m1"), "c1", "official")


def test_a_late_fact_that_would_keep_a_member_in_an_org_past_its_dissolution_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2021-03-01", "c2")) == "accepted"
    assert ledger.record(arrival("m1", "c2", "2021-03-10")) == "accepted"
    assert ledger.record(out("m1", "2021-06-01", to_external="Quảng Ninh")) == "accepted"
    assert ledger.record(dissolved("c2", "2022-01-01")) == "accepted"
    # A late arrival back in c2 before the dissolution would leave m1 placed there after it.
    late = arrival("m1", "c2", "2021-09-01", at("2022-02-01"), from_external="Quảng Ninh")
    assert ledger.code(late) == "org_inactive"
    view = ledger.view("m1")
    assert (view["status"], view["org"], view["standing"]) == ("transferred_away", "c2", "official")


# --- admission --------------------------------------------------------------------------------


def _placed(ledger: LedgerHarness) -> None:
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"


def _official(ledger: LedgerHarness) -> None:
    official(ledger, "m1", "c1", "2020-01-01")


def _in_transit(ledger: LedgerHarness) -> None:
    official(ledger, "m1", "c1", "2020-01-01")
    assert ledger.record(out("m1", "2022-01-01", "c3")) == "accepted"


def _transferred_away(ledger: LedgerHarness) -> None:
    official(ledger, "m1", "c1", "2020-01-01")
    assert ledger.record(out("m1", "2022-01-01", to_external="TP Hồ Chí Minh")) == "accepted"


@pytest.mark.parametrize(
    ("history", "status"),
    [
        pytest.param(_placed, "probationary", id="placed-probationary"),
        pytest.param(_official, "official", id="placed-official"),
        pytest.param(_in_transit, "in_transit", id="in-transit"),
        pytest.param(_transferred_away, "transferred_away", id="transferred-away"),
    ],
)
def test_admitting_someone_who_is_still_a_party_member_is_already_member(
    ledger: LedgerHarness, history: Any, status: str
) -> None:
    ledger.tree()
    history(ledger)
    assert ledger.code(admitted("m1", "c2", "2025-06-01")) == "already_member"
    view = ledger.view("m1")
    assert view["status"] == status
    assert view["org"] == "c1"


EXITS = ["expelled", "removed", "resigned"]


def _exited(ledger: LedgerHarness, exit_kind: str, exit_on: str) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(fact(exit_kind, "m1", exit_on)) == "accepted"
    assert ledger.view("m1", as_of=exit_on)["status"] == exit_kind


READMISSION_DAYS = [
    # exit, one day before exit + 36 months, exit + 36 months (clamped to the month's end)
    pytest.param("2020-02-29", "2023-02-27", "2023-02-28", id="leap-day-clamped"),
    pytest.param("2019-08-31", "2022-08-30", "2022-08-31", id="month-end"),
    pytest.param("2019-07-15", "2022-07-14", "2022-07-15", id="mid-month"),
]


@pytest.mark.parametrize(("exit_on", "day_before", "eligible_on"), READMISSION_DAYS)
@pytest.mark.parametrize("exit_kind", EXITS)
def test_readmission_one_day_before_36_months_after_the_exit_is_not_eligible(
    ledger: LedgerHarness, exit_kind: str, exit_on: str, day_before: str, eligible_on: str
) -> None:
    _exited(ledger, exit_kind, exit_on)
    assert ledger.code(admitted("m1", "c2", day_before)) == "not_eligible"
    assert ledger.view("m1")["status"] == exit_kind


@pytest.mark.parametrize(("exit_on", "day_before", "eligible_on"), READMISSION_DAYS)
@pytest.mark.parametrize("exit_kind", EXITS)
def test_readmission_36_months_after_the_exit_is_accepted(
    ledger: LedgerHarness, exit_kind: str, exit_on: str, day_before: str, eligible_on: str
) -> None:
    _exited(ledger, exit_kind, exit_on)
    assert ledger.record(admitted("m1", "c2", eligible_on)) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "probationary")


def test_a_second_readmission_is_a_readmission_limit(ledger: LedgerHarness) -> None:
    _exited(ledger, "resigned", "2016-06-01")
    assert ledger.record(admitted("m1", "c1", "2019-06-01")) == "accepted"
    assert (
        ledger.record(fact("removed", "m1", "2020-01-01", reason="không được công nhận"))
        == "accepted"
    )
    assert ledger.code(admitted("m1", "c1", "2025-06-01")) == "readmission_limit"
    assert ledger.view("m1")["status"] == "removed"


def test_the_readmission_limit_is_checked_before_the_36_month_delay(ledger: LedgerHarness) -> None:
    _exited(ledger, "resigned", "2016-06-01")
    assert ledger.record(admitted("m1", "c1", "2019-06-01")) == "accepted"
    assert ledger.record(fact("resigned", "m1", "2024-01-01")) == "accepted"
    assert ledger.code(admitted("m1", "c1", "2024-06-01")) == "readmission_limit"
    assert ledger.view("m1")["status"] == "resigned"


def test_admitting_a_dead_member_is_not_eligible(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(fact("died", "m1", "2018-01-01")) == "accepted"
    assert ledger.code(admitted("m1", "c1", "2025-01-01")) == "not_eligible"
    assert ledger.view("m1")["status"] == "died"


@pytest.mark.parametrize(
    ("birth_date", "day_before", "birthday"),
    [
        pytest.param("2004-02-29", "2022-02-27", "2022-02-28", id="born-on-a-leap-day"),
        pytest.param("2003-06-15", "2021-06-14", "2021-06-15", id="ordinary-birthday"),
    ],
)
def test_admission_before_the_18th_birthday_is_under_age(
    ledger: LedgerHarness, birth_date: str, day_before: str, birthday: str
) -> None:
    ledger.tree()
    person = {"name": "Trẻ", "gender": "male", "birth_date": birth_date}
    assert ledger.code(admitted("m1", "c1", day_before, person=person)) == "under_age"
    assert ledger.view("m1")["status"] == "not_member"
    assert ledger.record(admitted("m1", "c1", birthday, person=person)) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_admission_without_a_birth_date_is_not_checked_for_age(ledger: LedgerHarness) -> None:
    ledger.tree()
    person = {"name": "Không rõ ngày sinh", "gender": "female"}
    assert ledger.record(admitted("m1", "c1", "2021-06-14", person=person)) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_readmission_of_an_under_age_person_is_under_age(ledger: LedgerHarness) -> None:
    ledger.tree()
    person = {"name": "Trẻ", "gender": "male", "birth_date": "2004-02-29"}
    # Admitted without a birth date, which is not checked; the re-admission gives one.
    no_birth = {"name": "Trẻ", "gender": "male"}
    assert ledger.record(admitted("m1", "c1", "2018-01-01", person=no_birth)) == "accepted"
    assert ledger.record(fact("removed", "m1", "2019-01-01")) == "accepted"
    assert ledger.code(admitted("m1", "c1", "2022-02-27", person=person)) == "under_age"
    assert ledger.record(admitted("m1", "c1", "2022-02-28", person=person)) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_party_age_does_not_count_the_gap_between_exit_and_readmission(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2000-01-10")
    assert ledger.record(fact("resigned", "m1", "2003-01-10")) == "accepted"
    assert ledger.record(admitted("m1", "c2", "2006-01-10")) == "accepted"
    # Frozen at 3 during the exit.
    assert ledger.view("m1", as_of="2005-06-01")["party_age_years"] == 3
    assert ledger.view("m1", as_of="2006-01-10")["party_age_years"] == 3
    # The 1096-day gap shifts the start from 2000-01-10 to 2003-01-10.
    assert ledger.view("m1", as_of="2023-01-09")["party_age_years"] == 19
    assert ledger.view("m1", as_of="2023-01-10")["party_age_years"] == 20
    assert ledger.view("m1")["party_age_years"] == 22


# --- probation --------------------------------------------------------------------------------


PROBATION_DAYS = [
    # admission, one day before admission + 12 months, admission + 12 months
    pytest.param("2020-02-29", "2021-02-27", "2021-02-28", id="leap-day-clamped"),
    pytest.param("2021-03-31", "2022-03-30", "2022-03-31", id="month-end"),
    pytest.param("2020-03-15", "2021-03-14", "2021-03-15", id="mid-month"),
]


@pytest.mark.parametrize(("admitted_on", "day_before", "due"), PROBATION_DAYS)
def test_probation_completed_one_day_before_twelve_months_is_too_early(
    ledger: LedgerHarness, admitted_on: str, day_before: str, due: str
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", admitted_on)) == "accepted"
    assert ledger.code(fact("probation_completed", "m1", day_before)) == "too_early"
    assert_placed(ledger.view("m1"), "c1", "probationary")


@pytest.mark.parametrize(("admitted_on", "day_before", "due"), PROBATION_DAYS)
def test_probation_completed_twelve_months_after_admission_makes_the_member_official(
    ledger: LedgerHarness, admitted_on: str, day_before: str, due: str
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", admitted_on)) == "accepted"
    assert ledger.record(fact("probation_completed", "m1", due)) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "official")
    assert ledger.view("m1", as_of=day_before)["status"] == "probationary"


def test_probation_completed_while_in_transit_is_in_transit(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
    assert ledger.record(out("m1", "2020-11-01", "c3")) == "accepted"
    assert ledger.code(fact("probation_completed", "m1", "2021-01-01")) == "in_transit"
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["to_org"]) == (
        "in_transit",
        "probationary",
        "c3",
    )


def _probationary_then(*facts: dict[str, Any]) -> Any:
    def history(ledger: LedgerHarness) -> None:
        assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
        for later_fact in facts:
            assert ledger.record(later_fact) == "accepted"

    return history


@pytest.mark.parametrize(
    ("history", "status"),
    [
        pytest.param(lambda ledger: None, "not_member", id="never-admitted"),
        pytest.param(
            _probationary_then(fact("removed", "m1", "2020-09-01")), "removed", id="removed"
        ),
        pytest.param(
            _probationary_then(fact("resigned", "m1", "2020-09-01")), "resigned", id="resigned"
        ),
        pytest.param(_probationary_then(fact("died", "m1", "2020-09-01")), "died", id="died"),
        pytest.param(
            _probationary_then(out("m1", "2020-09-01", to_external="Lào")),
            "transferred_away",
            id="transferred-away",
        ),
    ],
)
def test_probation_completed_for_a_non_member_is_not_member(
    ledger: LedgerHarness, history: Any, status: str
) -> None:
    ledger.tree()
    history(ledger)
    assert ledger.code(fact("probation_completed", "m1", "2021-06-01")) == "not_member"
    assert ledger.view("m1")["status"] == status


def test_probation_completed_for_an_official_member_is_a_conflict(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2020-01-01")
    assert ledger.code(fact("probation_completed", "m1", "2022-01-01")) == "conflict"
    view = ledger.view("m1")
    assert_placed(view, "c1", "official")
    assert [f["type"] for f in view["facts"]].count("member.probation_completed") == 1


def test_a_readmitted_members_probation_runs_from_the_readmission(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2010-01-01")
    assert ledger.record(fact("resigned", "m1", "2015-01-01")) == "accepted"
    assert ledger.record(admitted("m1", "c2", "2020-02-29")) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "probationary")
    assert ledger.code(fact("probation_completed", "m1", "2021-02-27")) == "too_early"
    assert ledger.record(fact("probation_completed", "m1", "2021-02-28")) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "official")


# --- transfers out ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param(out("m1", "2022-06-01", "c2"), id="to-org"),
        pytest.param(out("m1", "2022-06-01", to_external="Nhật Bản"), id="to-external"),
        pytest.param(out("m1", "2022-06-01", "c1"), id="back-to-source"),
    ],
)
def test_a_transfer_out_of_a_member_in_transit_is_in_transit(
    ledger: LedgerHarness, candidate: dict[str, Any]
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2020-01-01")
    assert ledger.record(out("m1", "2022-01-01", "c3")) == "accepted"
    assert ledger.code(candidate) == "in_transit"
    view = ledger.view("m1")
    assert (view["status"], view["org"], view["to_org"]) == ("in_transit", "c1", "c3")


@pytest.mark.parametrize(
    ("history", "status"),
    [
        pytest.param(lambda ledger: None, "not_member", id="never-admitted"),
        pytest.param(
            _probationary_then(fact("resigned", "m1", "2020-09-01")), "resigned", id="resigned"
        ),
        pytest.param(_probationary_then(fact("died", "m1", "2020-09-01")), "died", id="died"),
        pytest.param(
            _probationary_then(out("m1", "2020-09-01", to_external="Lào")),
            "transferred_away",
            id="transferred-away",
        ),
    ],
)
@pytest.mark.parametrize("to", ["c2", None])
def test_a_transfer_out_of_a_non_member_is_not_member(
    ledger: LedgerHarness, history: Any, status: str, to: str | None
) -> None:
    ledger.tree()
    history(ledger)
    candidate = out("m1", "2021-06-01", to) if to else out("m1", "2021-06-01", to_external="Lào")
    assert ledger.code(candidate) == "not_member"
    assert ledger.view("m1")["status"] == status


def test_a_transfer_to_the_members_current_org_is_a_conflict(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2020-01-01", "c2")) == "accepted"
    assert ledger.record(arrival("m1", "c2", "2020-01-05")) == "accepted"
    assert ledger.code(out("m1", "2021-01-01", "c2")) == "conflict"
    assert_placed(ledger.view("m1"), "c2", "official")
    # Back to the former org is a move like any other.
    assert ledger.record(out("m1", "2021-01-01", "c1")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "in_transit",
        "official",
        "c2",
        "c1",
    )


@pytest.mark.parametrize(
    "destination",
    [
        pytest.param({"to_org": "c2", "to_external": "Hà Nội"}, id="both"),
        pytest.param({}, id="neither"),
        pytest.param({"to_org": None, "to_external": None}, id="both-null"),
    ],
)
def test_a_transfer_out_needs_exactly_one_destination(
    ledger: LedgerHarness, destination: dict[str, Any]
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.code(fact("transferred_out", "m1", "2021-01-01", **destination)) == "invalid_fact"
    assert_placed(ledger.view("m1"), "c1", "official")


def test_a_transfer_out_to_an_org_puts_the_member_in_transit(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
    assert ledger.record(out("m1", "2020-06-01", "c3")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "in_transit",
        "probationary",
        "c1",
        "c3",
    )


def test_a_transfer_out_to_an_external_destination_transfers_the_member_away(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2020-06-01", to_external="Bình Dương")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "transferred_away",
        "official",
        "c1",
        None,
    )


# --- transfers in -----------------------------------------------------------------------------


def test_an_arrival_in_another_org_than_the_destination_is_wrong_destination(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2021-01-01", "c2", id="out-m1")) == "accepted"
    for org in ("c3", "c1"):
        err = ledger.refusal(arrival("m1", org, "2021-01-10"))
        assert err.code == "wrong_destination"
        assert "out-m1" in err.message
    view = ledger.view("m1")
    assert (view["status"], view["to_org"]) == ("in_transit", "c2")


def test_an_arrival_from_outside_while_in_transit_to_an_org_is_wrong_destination(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2021-01-01", "c2")) == "accepted"
    for org in ("c2", "c3"):
        candidate = arrival("m1", org, "2021-01-10", from_external="Hải Dương")
        assert ledger.code(candidate) == "wrong_destination"
    view = ledger.view("m1")
    assert (view["status"], view["to_org"]) == ("in_transit", "c2")
    assert ledger.record(arrival("m1", "c2", "2021-01-10")) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "official")


def test_an_arrival_after_a_transfer_away_without_from_external_is_invalid_fact(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2021-01-01", to_external="Hưng Yên")) == "accepted"
    assert ledger.code(arrival("m1", "c2", "2022-01-10")) == "invalid_fact"
    assert ledger.view("m1")["status"] == "transferred_away"


def test_a_member_transferred_away_comes_back_from_outside_without_person_fields(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2021-01-01", to_external="Hưng Yên")) == "accepted"
    back = arrival("m1", "c2", "2022-01-10", from_external="Hưng Yên")
    assert ledger.record(back) == "accepted"
    view = ledger.view("m1")
    assert_placed(view, "c2", "official")
    # A transfer away is not an exit: the party age kept counting from 2015-01-05.
    assert view["party_age_years"] == 10


def test_an_unknown_member_arriving_without_from_external_is_invalid_fact(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    fields = {k: v for k, v in OUTSIDER_FIELDS.items() if k != "from_external"}
    assert ledger.code(arrival("m1", "c1", "2021-01-10", **fields)) == "invalid_fact"
    assert ledger.view("m1")["status"] == "not_member"


@pytest.mark.parametrize(
    "missing", ["person", "youth_union", "occupation", "standing", "admitted_on"]
)
def test_an_unknown_member_arriving_from_outside_without_every_arrival_field_is_invalid_fact(
    ledger: LedgerHarness, missing: str
) -> None:
    ledger.tree()
    candidate = outsider("m1", "c1", "2021-01-10")
    del candidate[missing]
    assert ledger.code(candidate) == "invalid_fact"
    assert ledger.view("m1")["status"] == "not_member"


def test_an_arrival_admitted_after_its_arrival_date_is_invalid_fact(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert (
        ledger.code(outsider("m1", "c1", "2021-01-10", admitted_on="2021-01-11")) == "invalid_fact"
    )
    assert ledger.record(outsider("m1", "c1", "2021-01-10", admitted_on="2021-01-10")) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "official")


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param(arrival("m1", "c2", "2022-01-10", from_external="Hà Nam"), id="from-outside"),
        pytest.param(arrival("m1", "c1", "2022-01-10", from_external="Hà Nam"), id="into-own-org"),
        pytest.param(arrival("m1", "c2", "2022-01-10"), id="second-arrival"),
        pytest.param(outsider("m1", "c3", "2022-01-10"), id="as-an-outsider"),
    ],
)
def test_a_placed_member_cannot_arrive(ledger: LedgerHarness, candidate: dict[str, Any]) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    if candidate["org"] == "c2" and "from_external" not in candidate:
        assert ledger.record(out("m1", "2021-01-01", "c2")) == "accepted"
        assert ledger.record(arrival("m1", "c2", "2021-01-10")) == "accepted"
    where = ledger.view("m1")["org"]
    assert ledger.code(candidate) == "already_member"
    assert_placed(ledger.view("m1"), where, "official")


@pytest.mark.parametrize(
    ("history", "status"),
    [
        pytest.param(
            _probationary_then(fact("resigned", "m1", "2020-09-01")), "resigned", id="resigned"
        ),
        pytest.param(
            _probationary_then(fact("removed", "m1", "2020-09-01")), "removed", id="removed"
        ),
        pytest.param(_probationary_then(fact("died", "m1", "2020-09-01")), "died", id="died"),
    ],
)
def test_a_member_who_exited_or_died_cannot_arrive(
    ledger: LedgerHarness, history: Any, status: str
) -> None:
    ledger.tree()
    history(ledger)
    assert ledger.code(outsider("m1", "c2", "2022-01-10")) == "not_member"
    assert ledger.view("m1")["status"] == status


def test_a_transfer_keeps_an_official_standing(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2015-01-05")
    assert ledger.record(out("m1", "2021-01-01", "c3")) == "accepted"
    assert ledger.view("m1")["standing"] == "official"
    assert ledger.record(arrival("m1", "c3", "2021-01-20")) == "accepted"
    assert_placed(ledger.view("m1"), "c3", "official")
    assert ledger.code(fact("probation_completed", "m1", "2022-01-01")) == "conflict"


def test_a_transfer_keeps_a_probationary_standing_and_its_probation_start(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-02-29")) == "accepted"
    assert ledger.record(out("m1", "2020-06-01", "c3")) == "accepted"
    assert ledger.record(arrival("m1", "c3", "2020-06-10")) == "accepted"
    assert_placed(ledger.view("m1"), "c3", "probationary")
    # The probation still runs from the admission, not from the arrival.
    assert ledger.code(fact("probation_completed", "m1", "2021-02-27")) == "too_early"
    assert ledger.record(fact("probation_completed", "m1", "2021-02-28")) == "accepted"
    assert_placed(ledger.view("m1"), "c3", "official")


def test_a_probationary_arrival_from_outside_completes_probation_from_admitted_on(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    arriving = outsider("m1", "c2", "2024-06-01", standing="probationary", admitted_on="2024-02-29")
    assert ledger.record(arriving) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "probationary")
    assert ledger.code(fact("probation_completed", "m1", "2025-02-27")) == "too_early"
    assert ledger.record(fact("probation_completed", "m1", "2025-02-28")) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "official")


def test_an_official_arrival_from_outside_counts_its_party_age_from_admitted_on(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(outsider("m1", "c2", "2024-06-01", admitted_on="2000-01-10")) == "accepted"
    assert_placed(ledger.view("m1"), "c2", "official")
    assert ledger.view("m1", as_of="2025-01-09")["party_age_years"] == 24
    assert ledger.view("m1", as_of="2025-01-10")["party_age_years"] == 25
    assert ledger.code(fact("probation_completed", "m1", "2025-01-10")) == "conflict"


# --- out-of-order facts -----------------------------------------------------------------------


def test_a_late_admission_before_an_existing_admission_is_refused_with_the_existing_facts_code(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-06-01", id="adm-2020")) == "accepted"
    err = ledger.refusal(admitted("m1", "c2", "2020-01-01", at("2020-07-01"), id="adm-2020-late"))
    assert err.code == "already_member"
    assert err.fact == "adm-2020-late"
    assert "adm-2020" in err.message and "adm-2020-late" in err.message
    assert_placed(ledger.view("m1"), "c1", "probationary")


def test_a_late_transfer_before_a_probation_decision_is_refused_as_in_transit(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
    assert ledger.record(fact("probation_completed", "m1", "2021-02-01", id="pc-m1")) == "accepted"
    err = ledger.refusal(out("m1", "2020-12-01", "c3", at("2021-03-01"), id="out-late"))
    assert err.code == "in_transit"
    assert err.fact == "out-late"
    assert "pc-m1" in err.message
    assert_placed(ledger.view("m1"), "c1", "official")


def test_a_late_exit_before_later_facts_is_refused_with_the_later_facts_code(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2020-01-01")
    assert ledger.record(out("m1", "2022-01-01", "c2", id="out-m1")) == "accepted"
    err = ledger.refusal(fact("resigned", "m1", "2021-06-01", at("2022-02-01"), id="res-late"))
    assert err.code == "not_member"
    assert err.fact == "res-late"
    assert "out-m1" in err.message
    view = ledger.view("m1")
    assert (view["status"], view["to_org"]) == ("in_transit", "c2")


def test_a_late_candidate_that_breaks_its_own_rule_gets_its_own_code(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
    assert ledger.record(out("m1", "2022-01-01", "c2")) == "accepted"
    # Too early on its own date, although the later transfer-out stays valid.
    assert (
        ledger.code(fact("probation_completed", "m1", "2020-12-31", at("2022-02-01")))
        == "too_early"
    )
    assert ledger.view("m1")["standing"] == "probationary"


def test_a_late_fact_that_breaks_nothing_takes_its_place_in_the_timeline(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01")) == "accepted"
    assert ledger.record(out("m1", "2022-01-01", "c2")) == "accepted"
    assert ledger.record(arrival("m1", "c2", "2022-01-10")) == "accepted"
    assert (
        ledger.record(fact("probation_completed", "m1", "2021-01-01", at("2022-02-01")))
        == "accepted"
    )
    view = ledger.view("m1")
    assert_placed(view, "c2", "official")
    assert [f["type"] for f in view["facts"]] == [
        "member.admitted",
        "member.probation_completed",
        "member.transferred_out",
        "member.transferred_in",
    ]
    assert ledger.view("m1", as_of="2021-12-31")["status"] == "official"


REFUSED = [
    pytest.param(fact("probation_completed", "m1", "2020-12-31"), "too_early", id="too_early"),
    pytest.param(out("m1", "2020-06-01", "c1"), "conflict", id="conflict"),
    pytest.param(
        admitted("m1", "c2", "2019-06-01", at("2020-02-01")), "already_member", id="late-breaking"
    ),
    pytest.param(out("m1", "2020-06-01", "nowhere"), "unknown_org", id="unknown_org"),
    pytest.param(
        fact("resigned", "m1", "2020-01-02", at("2020-01-02")), "conflict", id="recording-order"
    ),
    pytest.param(arrival("m1", "c2", "2020-06-01", id="reused"), "already_member", id="with-an-id"),
]


@pytest.mark.parametrize(("candidate", "code"), REFUSED)
def test_nothing_is_stored_when_a_fact_is_refused(
    ledger: LedgerHarness, database_url: str, clock: Clock, candidate: dict[str, Any], code: str
) -> None:
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2020-01-01", at("2020-01-10"))) == "accepted"
    before = ledger.view("m1")
    position = stored_events(ledger)
    assert ledger.code(candidate) == code
    assert stored_events(ledger) == position
    assert ledger.view("m1") == before
    # A fresh application on the same database sees the same: nothing reached the store.
    other = LedgerApplication(database_url, clock=clock)
    try:
        label = clock.now.isoformat()
        seen = member_report(
            other.event_log, "m1", as_of=date(2025, 12, 31), known_at=None, label=label
        ).model_dump()
        assert seen == before
    finally:
        other.close()
    # The refused fact's id is free: a fact with other content may take it.
    reuse = fact("probation_completed", "m1", "2021-01-01", id=candidate.get("id", "fresh"))
    assert ledger.record(reuse) == "accepted"
    assert_placed(ledger.view("m1"), "c1", "official")


def test_a_refused_first_fact_leaves_the_member_unknown(ledger: LedgerHarness) -> None:
    ledger.tree()
    position = stored_events(ledger)
    young = {"name": "Trẻ", "gender": "female", "birth_date": "2010-01-01"}
    assert ledger.code(admitted("m1", "c1", "2021-01-01", person=young)) == "under_age"
    assert stored_events(ledger) == position
    view = ledger.view("m1")
    assert (view["status"], view["org"], view["facts"]) == ("not_member", None, [])
    # Other member facts still find the member unknown.
    assert ledger.code(fact("probation_completed", "m1", "2022-01-01")) == "not_member"
    assert ledger.record(admitted("m1", "c1", "2021-01-01")) == "accepted"
    view = ledger.view("m1")
    assert_placed(view, "c1", "probationary")
    assert len(view["facts"]) == 1


def test_an_import_stores_nothing_of_its_refused_lines(ledger: LedgerHarness) -> None:
    ledger.tree()
    position = stored_events(ledger)
    young = {"name": "Trẻ", "gender": "female", "birth_date": "2010-01-01"}
    lines = [
        admitted("m1", "c1", "2021-01-01", person=young),  # under_age: m1 stays unknown
        admitted("m2", "c1", "2020-01-01"),
        fact("probation_completed", "m2", "2020-12-31"),  # too_early
        fact("probation_completed", "m2", "2021-01-01"),
    ]
    summary = import_facts(ledger.app, [json.dumps(line, ensure_ascii=False) for line in lines])
    assert [(r.line, r.error) for r in summary.rejects] == [(1, "under_age"), (3, "too_early")]
    assert summary.accepted == 2
    # m2's admission (which opens its aggregate) and its probation decision.
    assert stored_events(ledger) == position + 2
    view = ledger.view("m1")
    assert (view["status"], view["facts"]) == ("not_member", [])
    view = ledger.view("m2")
    assert_placed(view, "c1", "official")
    assert [f["type"] for f in view["facts"]] == ["member.admitted", "member.probation_completed"]


def test_an_org_is_not_dissolved_under_a_member_admitted_in_the_same_import(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    lines = [admitted("m1", "c2", "2021-01-01"), dissolved("c2", "2022-01-01")]
    summary = import_facts(ledger.app, [json.dumps(line) for line in lines])
    assert [(r.line, r.error) for r in summary.rejects] == [(2, "conflict")]
    assert_placed(ledger.view("m1"), "c2", "probationary")


def test_registering_a_child_under_a_parent_dissolved_later_is_org_inactive(
    ledger: LedgerHarness,
) -> None:
    ledger.org("hp")
    ledger.org("d3", "hp")
    ledger.record(
        {"type": "organization.dissolved", "on": "2022-01-01", "org": "d3",
         "recorded_at": at("2022-01-02")}
    )  # fmt: skip
    refusal = ledger.refusal(
        {"type": "organization.registered", "on": "2021-06-01", "org": "c9", "name": "C9",
         "parent": "d3", "recorded_at": at("2022-02-01")}
    )  # fmt: skip
    assert refusal.code == "org_inactive"
    assert "dissolved" in refusal.message
