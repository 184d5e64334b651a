"""SPEC §3, second group: exits, the late death, badges, cards, flags, dossiers, retractions,
fact ids and malformed facts; and the member view of SPEC §4 those rules leave behind."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import pytest

from commands.record import record_fact
from ledger.errors import LedgerError
from tests.support import LedgerHarness, admitted, at, fact

NO_BIRTH = {"name": "Old Comrade", "gender": "male"}
"""A person without birth date: admissions long ago are not refused as under age."""


def known(day: str, hour: int = 9) -> datetime:
    """A known-at moment, Hanoi time."""
    return datetime.fromisoformat(at(day, hour))


def official(ledger: LedgerHarness, member: str = "m1", org: str = "c1") -> None:
    """Admit ``member`` on 2020-03-01 and recognise them official on 2021-03-01."""
    assert ledger.record(admitted(member, org, "2020-03-01", id=f"{member}-adm")) == "accepted"
    assert ledger.record(fact("probation_completed", member, "2021-03-01")) == "accepted"


def retraction(target: str, on: str, recorded: str | None = None, **extra: Any) -> dict[str, Any]:
    """A fact.retracted of ``target``."""
    return {"type": "fact.retracted", "on": on, "fact": target, "reason": "wrong decision",
            "recorded_at": recorded or at(on), **extra}  # fmt: skip


def facts_of(view: dict[str, Any]) -> list[tuple[str, bool, bool]]:
    """(id, retracted, anomaly) of each fact the view lists."""
    return [(f["id"], f["retracted"], f["anomaly"]) for f in view["facts"]]


# --- expelled ---------------------------------------------------------------------------------


def test_an_official_member_is_expelled_and_keeps_the_last_org(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger)
    assert ledger.record(fact("expelled", "m1", "2022-05-01")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "expelled", None, "c1", None,
    )  # fmt: skip
    assert ledger.view("m1", as_of="2022-04-30")["status"] == "official"


def test_a_probationary_member_cannot_be_expelled_placed_or_in_transit(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01"))
    assert ledger.code(fact("expelled", "m1", "2020-09-01")) == "not_official"
    ledger.record(fact("transferred_out", "m1", "2020-10-01", to_org="c3"))
    assert ledger.code(fact("expelled", "m1", "2020-11-01")) == "not_official"
    assert ledger.view("m1")["status"] == "in_transit"


def test_an_official_member_in_transit_can_be_expelled(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger)
    ledger.record(fact("transferred_out", "m1", "2022-01-10", to_org="c3"))
    assert ledger.record(fact("expelled", "m1", "2022-02-01")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["org"], view["to_org"]) == ("expelled", "c1", None)


def test_expelling_anyone_who_is_not_a_member_is_not_member(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.code(fact("expelled", "ghost", "2022-01-01")) == "not_member"
    official(ledger, "resigner")
    ledger.record(fact("resigned", "resigner", "2022-01-01"))
    assert ledger.code(fact("expelled", "resigner", "2022-02-01")) == "not_member"
    official(ledger, "away")
    ledger.record(fact("transferred_out", "away", "2022-01-01", to_external="Hà Nội"))
    assert ledger.code(fact("expelled", "away", "2022-02-01")) == "not_member"
    official(ledger, "dead")
    ledger.record(fact("died", "dead", "2022-01-01"))
    assert ledger.code(fact("expelled", "dead", "2022-02-01")) == "not_member"
    # dated before the admission: not yet a member on that day
    official(ledger, "m1")
    assert ledger.code(fact("expelled", "m1", "2020-01-01", at("2021-03-02"))) == "not_member"


# --- removed and resigned ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["removed", "resigned"])
def test_a_probationary_official_or_in_transit_member_can_be_removed_or_resign(
    ledger: LedgerHarness, kind: str
) -> None:
    ledger.tree()
    ledger.record(admitted("prob", "c1", "2020-03-01"))
    official(ledger, "off")
    official(ledger, "moving")
    ledger.record(fact("transferred_out", "moving", "2022-01-10", to_org="c3"))
    for member in ("prob", "off", "moving"):
        assert ledger.record(fact(kind, member, "2022-03-01")) == "accepted"
        view = ledger.view(member)
        assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
            kind, None, "c1", None,
        )  # fmt: skip


@pytest.mark.parametrize("kind", ["removed", "resigned"])
def test_removing_or_resigning_a_non_member_is_not_member(ledger: LedgerHarness, kind: str) -> None:
    ledger.tree()
    assert ledger.code(fact(kind, "ghost", "2022-01-01")) == "not_member"
    official(ledger, "gone")
    ledger.record(fact("expelled", "gone", "2022-01-01"))
    assert ledger.code(fact(kind, "gone", "2022-02-01")) == "not_member"
    official(ledger, "away")
    ledger.record(fact("transferred_out", "away", "2022-01-01", to_external="abroad"))
    assert ledger.code(fact(kind, "away", "2022-02-01")) == "not_member"
    official(ledger, "dead")
    ledger.record(fact("died", "dead", "2022-01-01"))
    assert ledger.code(fact(kind, "dead", "2022-02-01")) == "not_member"
    official(ledger, "m1")
    assert ledger.code(fact(kind, "m1", "2019-12-31", at("2022-03-01"))) == "not_member"
    assert ledger.view("gone")["status"] == "expelled"


# --- died -------------------------------------------------------------------------------------


def test_a_placed_or_in_transit_member_can_die(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("placed", "c2", "2020-03-01"))
    official(ledger, "moving")
    ledger.record(fact("transferred_out", "moving", "2022-01-10", to_org="c3"))
    assert ledger.record(fact("died", "placed", "2022-02-01")) == "accepted"
    assert ledger.record(fact("died", "moving", "2022-02-01")) == "accepted"
    placed, moving = ledger.view("placed"), ledger.view("moving")
    assert (placed["status"], placed["standing"], placed["org"]) == ("died", None, "c2")
    assert (moving["status"], moving["standing"], moving["org"], moving["to_org"]) == (
        "died", None, "c1", None,
    )  # fmt: skip


def test_the_death_of_an_exited_or_transferred_away_member_is_not_member(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    assert ledger.code(fact("died", "ghost", "2022-01-01")) == "not_member"
    official(ledger, "gone")
    ledger.record(fact("resigned", "gone", "2022-01-01"))
    assert ledger.code(fact("died", "gone", "2022-02-01")) == "not_member"
    official(ledger, "away")
    ledger.record(fact("transferred_out", "away", "2022-01-01", to_external="abroad"))
    assert ledger.code(fact("died", "away", "2022-02-01")) == "not_member"
    official(ledger, "dead")
    ledger.record(fact("died", "dead", "2022-01-01"))
    assert ledger.code(fact("died", "dead", "2022-02-01")) == "not_member"
    assert ledger.view("away")["status"] == "transferred_away"


# --- the late death ---------------------------------------------------------------------------


def late_death(ledger: LedgerHarness) -> None:
    """m1: admitted 1991-09-15, official, 30-year badge, moved c1 → c2 in 2021; then a death
    dated 2020-06-01 is recorded on 2022-01-10 (party age 28 then, 29 a year later)."""
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1991-09-15", id="adm"))
    ledger.record(fact("probation_completed", "m1", "1992-09-15", id="prob"))
    ledger.record(fact("badge_awarded", "m1", "2021-10-01", id="badge", years=30))
    ledger.record(fact("transferred_out", "m1", "2021-11-01", id="out", to_org="c2"))
    ledger.record(fact("transferred_in", "m1", "2021-11-20", id="in", org="c2"))
    assert ledger.record(fact("died", "m1", "2020-06-01", at("2022-01-10"), id="death")) == (
        "accepted"
    )


def test_a_late_death_is_accepted_and_makes_the_later_facts_inert_anomalies(
    ledger: LedgerHarness,
) -> None:
    late_death(ledger)
    view = ledger.view("m1")
    assert view["status"] == "died"
    assert view["standing"] is None
    assert view["org"] == "c1"
    assert view["to_org"] is None
    assert view["badges"] == []
    assert view["party_age_years"] == 28
    assert facts_of(view) == [
        ("adm", False, False),
        ("prob", False, False),
        ("death", False, False),
        ("badge", False, True),
        ("out", False, True),
        ("in", False, True),
    ]


def test_known_at_before_the_late_death_was_recorded_shows_the_old_picture(
    ledger: LedgerHarness,
) -> None:
    late_death(ledger)
    view = ledger.view("m1", known_at=known("2022-01-09"))
    assert (view["status"], view["standing"], view["org"]) == ("official", "official", "c2")
    assert view["badges"] == [30]
    assert view["party_age_years"] == 34
    assert facts_of(view) == [
        ("adm", False, False),
        ("prob", False, False),
        ("badge", False, False),
        ("out", False, False),
        ("in", False, False),
    ]


def test_a_fact_dated_after_a_death_and_recorded_after_it_is_refused(
    ledger: LedgerHarness,
) -> None:
    late_death(ledger)
    assert ledger.code(fact("resigned", "m1", "2021-12-15", at("2022-01-11"))) == "not_member"
    assert ledger.code(fact("went_away", "m1", "2022-01-11", at("2022-01-11"))) == "not_member"
    assert len(ledger.view("m1")["facts"]) == 6


def test_retracting_a_late_death_brings_the_inert_facts_back_to_life(
    ledger: LedgerHarness,
) -> None:
    late_death(ledger)
    assert ledger.record(retraction("death", "2022-02-01", id="undo")) == "accepted"
    view = ledger.view("m1")
    assert (view["status"], view["org"], view["badges"]) == ("official", "c2", [30])
    assert facts_of(view) == [
        ("adm", False, False),
        ("prob", False, False),
        ("death", True, False),
        ("badge", False, False),
        ("out", False, False),
        ("in", False, False),
    ]


def test_retracting_a_death_whose_inert_facts_cannot_live_again_is_a_retraction_conflict(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2019-01-10"))
    ledger.record(fact("went_away", "m1", "2021-09-01", id="away-late"))
    ledger.record(fact("died", "m1", "2021-06-01", at("2022-01-10"), id="death"))
    # learnt after the death: the member had gone away before dying
    early = fact("went_away", "m1", "2021-05-01", at("2022-01-11"), id="away-early")
    assert ledger.record(early) == "accepted"
    assert ledger.code(retraction("death", "2022-02-01")) == "retraction_conflict"
    view = ledger.view("m1")
    assert view["status"] == "died"
    assert facts_of(view)[-1] == ("away-late", False, True)


def test_retracting_an_anomaly_lists_it_as_retracted_and_no_longer_as_an_anomaly(
    ledger: LedgerHarness,
) -> None:
    late_death(ledger)
    assert ledger.record(retraction("badge", "2022-02-01")) == "accepted"
    view = ledger.view("m1")
    assert ("badge", True, False) in facts_of(view)
    assert ("out", False, True) in facts_of(view)
    assert view["status"] == "died"


def test_retracting_a_death_that_would_revive_a_stay_in_a_dissolved_org_is_refused(
    ledger: LedgerHarness,
) -> None:
    late_death(ledger)
    # with the death known, c2 never held the member: it can be dissolved
    dissolution = {"type": "organization.dissolved", "on": "2022-01-15", "org": "c2",
                   "recorded_at": at("2022-01-15")}  # fmt: skip
    assert ledger.record(dissolution) == "accepted"
    # decisions.md names both codes for this case (see the report of this test file)
    assert ledger.code(retraction("death", "2022-02-01")) in ("retraction_conflict", "org_inactive")
    assert ledger.view("m1")["status"] == "died"


# --- badges -----------------------------------------------------------------------------------

MILESTONES = [30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]


def test_each_milestone_is_awarded_from_the_day_the_party_age_reaches_it(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1931-01-10", person=NO_BIRTH))
    ledger.record(fact("probation_completed", "m1", "1932-01-10"))
    for years in MILESTONES:
        due = f"{1931 + years}-01-10"
        eve = f"{1931 + years}-01-09"
        assert ledger.code(fact("badge_awarded", "m1", eve, years=years)) == "not_eligible"
        assert ledger.record(fact("badge_awarded", "m1", due, years=years)) == "accepted"
    assert ledger.view("m1")["badges"] == MILESTONES
    assert ledger.view("m1", as_of="1990-12-31")["badges"] == [30, 40, 45, 50, 55]


def test_a_milestone_already_awarded_is_a_duplicate_badge_before_any_eligibility_check(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1985-04-01", person=NO_BIRTH))
    ledger.record(fact("probation_completed", "m1", "1986-04-01"))
    ledger.record(fact("badge_awarded", "m1", "2015-04-01", years=30))
    assert ledger.code(fact("badge_awarded", "m1", "2016-04-01", years=30)) == "duplicate_badge"
    ledger.record(fact("resigned", "m1", "2017-01-01"))
    assert ledger.code(fact("badge_awarded", "m1", "2018-04-01", years=30)) == "duplicate_badge"
    assert ledger.code(fact("badge_awarded", "m1", "2025-04-01", years=40)) == "not_eligible"
    assert ledger.view("m1")["badges"] == [30]


def test_an_early_badge_needs_the_milestone_within_12_months(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1995-06-15", person=NO_BIRTH))
    ledger.record(fact("probation_completed", "m1", "1996-06-15"))
    assert ledger.code(fact("badge_awarded", "m1", "2024-06-14", years=30, early=True)) == (
        "not_eligible"
    )
    assert ledger.code(fact("badge_awarded", "m1", "2024-06-15", years=30)) == "not_eligible"
    assert ledger.record(fact("badge_awarded", "m1", "2024-06-15", years=30, early=True)) == (
        "accepted"
    )
    assert ledger.view("m1")["badges"] == [30]


def test_an_early_badge_of_70_years_or_more_looks_24_months_ahead_and_65_only_12(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    for member in ("m70", "m65"):
        ledger.record(admitted(member, "c1", "1954-03-10", person=NO_BIRTH))
        ledger.record(fact("probation_completed", member, "1955-03-10"))
    assert ledger.code(fact("badge_awarded", "m70", "2022-03-09", years=70, early=True)) == (
        "not_eligible"
    )
    assert ledger.record(fact("badge_awarded", "m70", "2022-03-10", years=70, early=True)) == (
        "accepted"
    )
    # 65 years: 24 months ahead would suffice on 2017-03-10, 12 months do not
    assert ledger.code(fact("badge_awarded", "m65", "2017-03-10", years=65, early=True)) == (
        "not_eligible"
    )
    assert ledger.record(fact("badge_awarded", "m65", "2018-03-10", years=65, early=True)) == (
        "accepted"
    )
    assert ledger.view("m70")["badges"] == [70]
    assert ledger.view("m65")["badges"] == [65]


def test_a_posthumous_badge_needs_the_milestone_by_12_months_after_the_death(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    for member in ("m1", "m2"):
        ledger.record(admitted(member, "c1", "1990-06-01", person=NO_BIRTH))
        ledger.record(fact("probation_completed", member, "1991-06-01"))
    ledger.record(fact("died", "m1", "2019-06-01"))  # 30 years on 2020-06-01: just in time
    ledger.record(fact("died", "m2", "2019-05-31"))  # 30 years on 2020-06-01: one day late
    assert ledger.record(fact("badge_awarded", "m1", "2019-09-02", years=30)) == "accepted"
    assert ledger.code(fact("badge_awarded", "m2", "2019-09-02", years=30)) == "not_eligible"
    # the posthumous rule applies whatever the early flag (alive, 2021 + 12 months would do)
    assert ledger.code(fact("badge_awarded", "m2", "2021-01-01", years=30, early=True)) == (
        "not_eligible"
    )
    assert ledger.code(fact("badge_awarded", "m1", "2021-01-01", years=40)) == "not_eligible"
    m1, m2 = ledger.view("m1"), ledger.view("m2")
    assert (m1["status"], m1["badges"], m1["party_age_years"]) == ("died", [30], 29)
    assert (m2["status"], m2["badges"], m2["party_age_years"]) == ("died", [], 28)


def test_the_party_age_is_frozen_at_an_exit_and_an_exited_member_gets_no_badge(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1991-06-01", person=NO_BIRTH))
    ledger.record(fact("probation_completed", "m1", "1992-06-01"))
    ledger.record(fact("resigned", "m1", "2020-03-01"))
    assert ledger.view("m1", as_of="2020-02-29")["party_age_years"] == 28
    assert ledger.view("m1", as_of="2025-12-31")["party_age_years"] == 28
    assert ledger.code(fact("badge_awarded", "m1", "2022-01-01", years=30)) == "not_eligible"
    assert ledger.code(fact("badge_awarded", "m1", "2022-01-01", years=30, early=True)) == (
        "not_eligible"
    )
    assert ledger.view("m1")["badges"] == []


def test_a_badge_for_a_transferred_away_member_is_not_eligible_and_for_a_stranger_not_member(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1980-06-01", person=NO_BIRTH))
    ledger.record(fact("probation_completed", "m1", "1981-06-01"))
    ledger.record(fact("transferred_out", "m1", "2015-01-01", to_external="Đà Nẵng"))
    assert ledger.view("m1")["party_age_years"] == 45  # a transfer away is not an exit
    assert ledger.code(fact("badge_awarded", "m1", "2020-06-01", years=40)) == "not_eligible"
    assert ledger.code(fact("badge_awarded", "ghost", "2020-06-01", years=30)) == "not_member"
    # dated before the admission: the member was not yet admitted on that day
    early = fact("badge_awarded", "m1", "1980-05-01", at("2015-01-02"), years=30)
    assert ledger.code(early) == "not_member"


# --- card, flags, dossier ---------------------------------------------------------------------


def test_a_card_is_issued_to_official_members_only(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("prob", "c1", "2020-03-01"))
    assert ledger.code(fact("card_issued", "prob", "2020-06-01", card_no="1")) == "not_official"
    ledger.record(fact("transferred_out", "prob", "2020-07-01", to_org="c3"))
    assert ledger.code(fact("card_issued", "prob", "2020-08-01")) == "not_official"
    official(ledger, "off")
    assert ledger.record(fact("card_issued", "off", "2021-04-01", card_no="2")) == "accepted"
    ledger.record(fact("transferred_out", "off", "2021-05-01", to_org="c3"))
    assert ledger.record(fact("card_issued", "off", "2021-05-02")) == "accepted"
    ledger.record(fact("resigned", "off", "2021-06-01"))
    assert ledger.code(fact("card_issued", "off", "2021-07-01")) == "not_member"
    assert ledger.code(fact("card_issued", "ghost", "2021-07-01")) == "not_member"
    assert [f["type"] for f in ledger.view("off")["facts"]].count("member.card_issued") == 2


@pytest.mark.parametrize(
    ("on_kind", "off_kind", "flag"),
    [("went_away", "returned", "away"), ("exempted", "exemption_ended", "exempt")],
)
def test_a_flag_is_set_once_and_cleared_once(
    ledger: LedgerHarness, on_kind: str, off_kind: str, flag: str
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01"))
    assert ledger.code(fact(off_kind, "m1", "2020-04-01")) == "conflict"
    assert ledger.record(fact(on_kind, "m1", "2020-05-01")) == "accepted"
    assert ledger.view("m1")[flag] is True
    assert ledger.code(fact(on_kind, "m1", "2020-06-01")) == "conflict"
    assert ledger.record(fact(off_kind, "m1", "2020-07-01")) == "accepted"
    assert ledger.view("m1")[flag] is False
    assert ledger.view("m1", as_of="2020-06-30")[flag] is True
    assert ledger.code(fact(off_kind, "m1", "2020-08-01")) == "conflict"


@pytest.mark.parametrize(
    ("on_kind", "off_kind"), [("went_away", "returned"), ("exempted", "exemption_ended")]
)
def test_flags_need_a_placed_member(ledger: LedgerHarness, on_kind: str, off_kind: str) -> None:
    ledger.tree()
    assert ledger.code(fact(on_kind, "ghost", "2020-05-01")) == "not_member"
    assert ledger.code(fact(off_kind, "ghost", "2020-05-01")) == "not_member"
    ledger.record(admitted("m1", "c1", "2020-03-01"))
    ledger.record(fact("transferred_out", "m1", "2020-04-01", to_org="c3"))
    assert ledger.code(fact(on_kind, "m1", "2020-05-01")) == "in_transit"
    ledger.record(fact("transferred_in", "m1", "2020-05-10", org="c3"))
    ledger.record(fact("resigned", "m1", "2020-06-01"))
    assert ledger.code(fact(on_kind, "m1", "2020-07-01")) == "not_member"
    assert ledger.code(fact(off_kind, "m1", "2020-07-01")) == "not_member"


def test_a_transfer_out_clears_both_flags(ledger: LedgerHarness) -> None:
    ledger.tree()
    for member in ("moving", "leaving"):
        ledger.record(admitted(member, "c1", "2020-03-01"))
        ledger.record(fact("went_away", member, "2020-04-01"))
        ledger.record(fact("exempted", member, "2020-04-02"))
    ledger.record(fact("transferred_out", "moving", "2020-05-01", to_org="c3"))
    ledger.record(fact("transferred_out", "leaving", "2020-05-01", to_external="Huế"))
    for member in ("moving", "leaving"):
        before = ledger.view(member, as_of="2020-04-30")
        assert (before["away"], before["exempt"]) == (True, True)
        after = ledger.view(member, as_of="2020-05-01")
        assert (after["away"], after["exempt"]) == (False, False)
    # in transit the flags are off: nothing to end
    assert ledger.code(fact("returned", "moving", "2020-05-02")) == "conflict"
    assert ledger.code(fact("exemption_ended", "moving", "2020-05-02")) == "conflict"
    ledger.record(fact("transferred_in", "moving", "2020-06-01", org="c3"))
    arrived = ledger.view("moving")
    assert (arrived["status"], arrived["away"], arrived["exempt"]) == ("probationary", False, False)


@pytest.mark.parametrize("exit_kind", ["resigned", "removed", "died"])
def test_an_exit_clears_both_flags(ledger: LedgerHarness, exit_kind: str) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01"))
    ledger.record(fact("went_away", "m1", "2020-04-01"))
    ledger.record(fact("exempted", "m1", "2020-04-02"))
    ledger.record(fact(exit_kind, "m1", "2020-05-01"))
    view = ledger.view("m1")
    assert (view["status"], view["away"], view["exempt"]) == (exit_kind, False, False)


def test_a_dossier_needs_a_member_ever_admitted(ledger: LedgerHarness) -> None:
    ledger.tree()
    assert ledger.code(fact("dossier_recorded", "ghost", "2021-01-01")) == "not_member"
    ledger.record(admitted("m1", "c1", "2020-03-01", id="adm"))
    assert ledger.code(fact("dossier_recorded", "m1", "2020-02-01", at("2020-03-02"))) == (
        "not_member"
    )
    assert ledger.record(fact("dossier_recorded", "m1", "2020-03-05")) == "accepted"
    assert ledger.record(fact("dossier_recorded", "m1", "2020-03-06")) == "accepted"
    ledger.record(fact("died", "m1", "2021-01-01"))
    assert ledger.record(fact("dossier_recorded", "m1", "2021-06-01")) == "accepted"
    # a member whose only admission was retracted was never admitted
    ledger.record(admitted("m2", "c1", "2020-03-01", id="adm2"))
    ledger.record(retraction("adm2", "2020-04-01"))
    assert ledger.code(fact("dossier_recorded", "m2", "2020-05-01")) == "not_member"
    assert ledger.view("m2")["status"] == "not_member"


# --- retractions ------------------------------------------------------------------------------


def test_retracting_an_unknown_fact_is_unknown_fact(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger)
    assert ledger.code(retraction("no-such-fact", "2022-01-01")) == "unknown_fact"


def test_retracting_an_admission_followed_by_a_probation_completion_is_a_retraction_conflict(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger)
    assert ledger.code(retraction("m1-adm", "2022-01-01")) == "retraction_conflict"
    view = ledger.view("m1")
    assert view["status"] == "official"
    assert all(not f["retracted"] for f in view["facts"])


def test_a_retraction_or_an_org_registration_cannot_be_retracted(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01"))
    ledger.record(fact("went_away", "m1", "2020-04-01", id="away"))
    ledger.record(retraction("away", "2020-05-01", id="undo"))
    assert ledger.code(retraction("undo", "2020-06-01")) == "invalid_fact"
    ledger.record(
        {"type": "organization.registered", "on": "2020-01-01", "org": "c9", "name": "C9",
         "parent": "d1", "recorded_at": at("2020-01-01"), "id": "reg-c9"}
    )  # fmt: skip
    assert ledger.code(retraction("reg-c9", "2020-06-01")) == "invalid_fact"
    assert ledger.record(admitted("m2", "c9", "2020-07-01")) == "accepted"
    assert ledger.view("m1")["away"] is False


def test_retracting_a_fact_twice_is_a_conflict(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01"))
    ledger.record(fact("went_away", "m1", "2020-04-01", id="away"))
    assert ledger.record(retraction("away", "2020-05-01")) == "accepted"
    assert ledger.code(retraction("away", "2020-06-01", reason="again")) == "conflict"


def test_a_count_declaration_can_be_retracted_once(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(
        {"type": "organization.count_declared", "on": "2021-12-31", "org": "c1", "count": 12,
         "recorded_at": at("2022-01-05"), "id": "count"}
    )  # fmt: skip
    assert ledger.record(retraction("count", "2022-01-10", id="undo")) == "accepted"
    assert ledger.code(retraction("count", "2022-01-11", reason="again")) == "conflict"
    assert ledger.code(retraction("undo", "2022-01-12")) == "invalid_fact"


def test_a_retracted_fact_is_listed_as_retracted_and_no_longer_counts_at_any_date(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01", id="adm"))
    ledger.record(fact("probation_completed", "m1", "2021-03-01", id="prob"))
    ledger.record(fact("went_away", "m1", "2021-04-01", id="away"))
    assert ledger.record(retraction("prob", "2022-05-01", at("2022-05-01"), id="undo")) == (
        "accepted"
    )
    for as_of in ("2021-03-01", "2021-06-01", "2022-04-30", "2025-12-31"):
        view = ledger.view("m1", as_of=as_of)
        assert view["status"] == "probationary", as_of
        assert view["standing"] == "probationary"
        assert ("prob", True, False) in facts_of(view)
        assert "undo" not in [f["id"] for f in view["facts"]]
    # before the retraction was recorded, the completion still counted
    before = ledger.view("m1", as_of="2021-06-01", known_at=known("2022-05-01", 8))
    assert before["status"] == "official"
    assert facts_of(before) == [("adm", False, False), ("prob", False, False),
                                ("away", False, False)]  # fmt: skip
    after = ledger.view("m1", as_of="2021-06-01", known_at=known("2022-05-01", 9))
    assert after["status"] == "probationary"


def test_a_retracted_badge_is_no_longer_counted(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "1985-04-01", person=NO_BIRTH))
    ledger.record(fact("probation_completed", "m1", "1986-04-01"))
    ledger.record(fact("badge_awarded", "m1", "2015-04-01", id="b30", years=30))
    ledger.record(retraction("b30", "2016-01-01"))
    assert ledger.view("m1")["badges"] == []
    assert ledger.view("m1", known_at=known("2015-12-31"))["badges"] == [30]
    # the milestone is free again
    assert ledger.record(fact("badge_awarded", "m1", "2016-02-01", years=30)) == "accepted"
    assert ledger.view("m1")["badges"] == [30]


# --- fact ids ---------------------------------------------------------------------------------


def test_the_same_id_with_the_same_content_is_a_duplicate(ledger: LedgerHarness) -> None:
    ledger.tree()
    first = admitted("m1", "c1", "2020-03-01", id="adm-1")
    assert ledger.record(first) == "accepted"
    assert ledger.record(dict(reversed(list(first.items())))) == "duplicate"
    assert [f["id"] for f in ledger.view("m1")["facts"]] == ["adm-1"]


def test_the_same_id_with_other_content_is_a_duplicate_fact(ledger: LedgerHarness) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01", id="adm-1"))
    assert ledger.code(admitted("m1", "c1", "2020-03-01", id="adm-1", note="x")) == (
        "duplicate_fact"
    )
    assert ledger.code(admitted("m2", "c2", "2020-03-01", id="adm-1")) == "duplicate_fact"
    assert ledger.view("m2")["status"] == "not_member"


def test_a_fact_without_id_is_named_by_the_sha256_of_its_canonical_json(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    submitted = {
        "type": "member.admitted", "on": "2020-03-01", "member": "m1", "org": "c1",
        "youth_union": True, "occupation": "farmer", "recorded_at": "2020-03-02T08:30:00+07:00",
        "person": {"name": "Nguyễn Thị Hằng", "gender": "female", "birth_date": "1999-12-31"},
        "note": "Chi bộ Đảng thôn Đông",
    }  # fmt: skip
    canonical = (
        '{"member":"m1","note":"Chi bộ Đảng thôn Đông","occupation":"farmer","on":"2020-03-01",'
        '"org":"c1","person":{"birth_date":"1999-12-31","gender":"female",'
        '"name":"Nguyễn Thị Hằng"},"recorded_at":"2020-03-02T08:30:00+07:00",'
        '"type":"member.admitted","youth_union":true}'
    )
    by_json = json.dumps(submitted, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert by_json == canonical
    expected = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    escaped = json.dumps(submitted, sort_keys=True, separators=(",", ":"))
    assert "sha256:" + hashlib.sha256(escaped.encode()).hexdigest() != expected

    assert ledger.record(submitted) == "accepted"
    assert [f["id"] for f in ledger.view("m1")["facts"]] == [expected]
    assert ledger.record(dict(reversed(list(submitted.items())))) == "duplicate"
    assert ledger.record({**submitted, "id": expected}) == "duplicate"
    assert ledger.code(retraction("sha256:" + "0" * 64, "2020-04-01")) == "unknown_fact"
    assert ledger.record(retraction(expected, "2020-04-01")) == "accepted"
    assert facts_of(ledger.view("m1")) == [(expected, True, False)]


MALFORMED = {
    "unknown field": {**admitted("m1", "c1", "2020-03-01"), "hometown": "Hải Phòng"},
    "wrong type": admitted("m1", "c1", "2020-03-01", youth_union="yes"),
    "unknown type": {"type": "member.promoted", "on": "2020-03-01", "member": "m1",
                     "recorded_at": at("2020-03-01")},
    "bad date": admitted("m1", "c1", "2020-02-30"),
    "date not ISO": {**admitted("m1", "c1", "2020-03-01"), "on": "01/03/2020"},
    "missing field": {k: v for k, v in admitted("m1", "c1", "2020-03-01").items()
                      if k != "occupation"},
    "recorded_at without offset": admitted("m1", "c1", "2020-03-01",
                                           recorded="2020-03-01T09:00:00"),
    "unknown occupation": admitted("m1", "c1", "2020-03-01", occupation="poet"),
    "non-milestone badge": fact("badge_awarded", "m1", "2020-03-01", years=35),
    "member id with a space": admitted("m 1", "c1", "2020-03-01"),
    "years as text": fact("badge_awarded", "m1", "2020-03-01", years="30"),
    "two destinations": fact("transferred_out", "m1", "2020-03-01", to_org="c2",
                             to_external="Huế"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_fact_is_invalid_fact(ledger: LedgerHarness, case: str) -> None:
    ledger.tree()
    assert ledger.code(MALFORMED[case]) == "invalid_fact"
    assert ledger.view("m1")["facts"] == []


def test_a_line_that_is_not_json_is_invalid_fact(ledger: LedgerHarness) -> None:
    with pytest.raises(LedgerError) as refused:
        record_fact(ledger.app, '{"type": "member.died", "on": ')
    assert refused.value.code == "invalid_fact"


# --- the member view --------------------------------------------------------------------------

VIEW_KEYS = {"member", "as_of", "known_at", "status", "standing", "org", "to_org",
             "party_age_years", "badges", "exempt", "away", "facts"}  # fmt: skip
FACT_KEYS = {"id", "type", "on", "recorded_at", "retracted", "anomaly"}


def test_the_member_view_has_exactly_the_keys_of_the_spec(ledger: LedgerHarness) -> None:
    ledger.tree()
    official(ledger)
    view = ledger.view("m1", as_of="2021-06-30", known_at=known("2025-01-01"))
    assert set(view) == VIEW_KEYS
    assert view["member"] == "m1"
    assert view["as_of"] == "2021-06-30"
    assert datetime.fromisoformat(view["known_at"]) == known("2025-01-01")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "official", "official", "c1", None,
    )  # fmt: skip
    assert (view["party_age_years"], view["badges"], view["exempt"], view["away"]) == (
        1, [], False, False,
    )  # fmt: skip
    assert [set(f) for f in view["facts"]] == [FACT_KEYS, FACT_KEYS]
    first = view["facts"][0]
    assert (first["id"], first["type"], first["on"]) == ("m1-adm", "member.admitted", "2020-03-01")
    assert datetime.fromisoformat(first["recorded_at"]) == known("2020-03-01")
    assert (first["retracted"], first["anomaly"]) == (False, False)


def test_an_unknown_member_or_one_not_yet_admitted_has_no_standing_org_or_party_age(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger)
    for view in (ledger.view("ghost"), ledger.view("m1", as_of="2020-02-29")):
        assert set(view) == VIEW_KEYS
        assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
            "not_member", None, None, None,
        )  # fmt: skip
        assert (view["party_age_years"], view["badges"], view["facts"]) == (None, [], [])
    assert ledger.view("m1", as_of="2020-03-01")["party_age_years"] == 0


def test_in_transit_the_view_shows_the_source_org_the_destination_and_the_standing(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    official(ledger)
    ledger.record(fact("transferred_out", "m1", "2022-01-10", to_org="c3"))
    view = ledger.view("m1", as_of="2022-01-10")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "in_transit", "official", "c1", "c3",
    )  # fmt: skip
    ledger.record(fact("transferred_in", "m1", "2022-02-01", org="c3"))
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "official", "official", "c3", None,
    )  # fmt: skip
    assert ledger.view("m1", as_of="2022-01-31")["to_org"] == "c3"


def test_after_a_transfer_away_the_view_keeps_the_standing_and_the_last_org(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c2", "2020-03-01"))
    ledger.record(fact("transferred_out", "m1", "2020-09-01", to_external="TP Hồ Chí Minh"))
    view = ledger.view("m1")
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "transferred_away", "probationary", "c2", None,
    )  # fmt: skip
    assert view["party_age_years"] == 5


def test_the_view_lists_facts_up_to_as_of_in_timeline_order_without_retractions(
    ledger: LedgerHarness,
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-03-01", id="adm"))
    ledger.record(fact("went_away", "m1", "2020-06-01", id="away"))
    ledger.record(fact("returned", "m1", "2020-06-01", id="back"))  # same day, recorded later
    ledger.record(fact("dossier_recorded", "m1", "2020-03-02", at("2020-07-01"), id="dossier"))
    ledger.record(fact("probation_completed", "m1", "2021-03-01", id="prob"))
    ledger.record(retraction("dossier", "2021-04-01", id="undo"))
    view = ledger.view("m1", as_of="2021-12-31")
    assert facts_of(view) == [
        ("adm", False, False),
        ("dossier", True, False),
        ("away", False, False),
        ("back", False, False),
        ("prob", False, False),
    ]
    assert [f["on"] for f in view["facts"]] == [
        "2020-03-01", "2020-03-02", "2020-06-01", "2020-06-01", "2021-03-01",
    ]  # fmt: skip
    assert [f["id"] for f in ledger.view("m1", as_of="2020-06-01")["facts"]] == [
        "adm", "dossier", "away", "back",
    ]  # fmt: skip
    assert [f["id"] for f in ledger.view("m1", as_of="2020-05-31")["facts"]] == ["adm", "dossier"]
