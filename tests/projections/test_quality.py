"""The badges-due and data-quality reports of SPEC §4, on small histories, on both backends."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest

from projections import tallies
from projections.queries import ReadModels
from tests.support import LedgerHarness, admitted, at, fact


def quality(models: ReadModels, org: str, as_of: str, known_at: datetime | None = None) -> Any:
    return models.quality(
        org, as_of=date.fromisoformat(as_of), known_at=known_at, label="t"
    ).model_dump()


def kinds(report: dict[str, Any], kind: str) -> list[tuple[str | None, str | None, str | None]]:
    return [(f["org"], f["member"], f["fact"]) for f in report["findings"] if f["kind"] == kind]


def official(ledger: LedgerHarness, member: str, org: str, on: str, **extra: Any) -> None:
    """Admit a member on ``on`` and make them official 12 months later, with a dossier."""
    person = {"name": f"Person {member}", "gender": "male", "birth_date": "1940-01-01"}
    ledger.record(admitted(member, org, on, id=f"{member}-adm", person=person, **extra))
    year = int(on[:4]) + 1
    ledger.record(fact("probation_completed", member, f"{year}{on[4:]}", id=f"{member}-off"))
    ledger.record(fact("dossier_recorded", member, f"{year}{on[4:]}", id=f"{member}-dos"))


def test_every_kind_is_counted_even_when_there_is_no_finding(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2010-03-01")
    report = quality(models, "hp", "2020-01-01")
    assert report["counts"] == {
        "transfer_overdue": 0, "away_over_12_months": 0, "probation_overdue": 0,
        "late_report": 0, "missing_dossier": 0, "anomaly": 0, "count_mismatch": 0,
        "unreadable_history": 0,
    }  # fmt: skip
    assert report["findings"] == []
    assert set(report) == {"org", "as_of", "known_at", "counts", "findings"}


def test_a_transfer_not_completed_within_90_days_is_overdue_for_the_source_subtree(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2010-03-01")
    ledger.record(fact("transferred_out", "m1", "2020-01-10", to_org="c3", id="out1"))
    # On day 90 it is not overdue yet; on day 91 it is.
    assert kinds(quality(models, "hp", "2020-04-09"), "transfer_overdue") == []
    assert kinds(quality(models, "hp", "2020-04-10"), "transfer_overdue") == [("c1", "m1", "out1")]
    # The source's committee reports it although the destination is outside it.
    assert kinds(quality(models, "d1", "2020-04-10"), "transfer_overdue") == [("c1", "m1", "out1")]
    assert kinds(quality(models, "d2", "2020-04-10"), "transfer_overdue") == []
    ledger.record(fact("transferred_in", "m1", "2020-05-01", org="c3"))
    assert kinds(quality(models, "hp", "2020-06-01"), "transfer_overdue") == []


def test_a_member_away_for_twelve_months_without_a_transfer_is_reported(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c2", "2010-03-01")
    ledger.record(fact("went_away", "m1", "2019-03-15", id="away1"))
    assert kinds(quality(models, "d1", "2020-03-14"), "away_over_12_months") == []
    assert kinds(quality(models, "d1", "2020-03-15"), "away_over_12_months") == [
        ("c2", "m1", "away1")
    ]
    ledger.record(fact("returned", "m1", "2020-06-01"))
    assert kinds(quality(models, "d1", "2020-07-01"), "away_over_12_months") == []


def test_a_probation_without_decision_after_twelve_months_and_thirty_days_is_overdue(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-01-15", id="adm1"))
    ledger.record(fact("dossier_recorded", "m1", "2020-02-01"))
    # Probation start + 12 months = 2021-01-15; + 30 days = 2021-02-14; overdue after that.
    assert kinds(quality(models, "hp", "2021-02-14"), "probation_overdue") == []
    assert kinds(quality(models, "hp", "2021-02-15"), "probation_overdue") == [("c1", "m1", "adm1")]
    ledger.record(fact("probation_completed", "m1", "2021-03-01"))
    assert kinds(quality(models, "hp", "2021-04-01"), "probation_overdue") == []


def test_a_probationary_arrival_from_outside_is_overdue_from_its_admission_date(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    ledger.record(
        fact("transferred_in", "m9", "2020-06-01", id="arr9", org="c3", from_external="Thái Bình",
             person={"name": "Trần Thị B", "gender": "female"}, youth_union=True,
             occupation="teacher_or_health", standing="probationary", admitted_on="2020-01-10")
    )  # fmt: skip
    assert kinds(quality(models, "hp", "2021-02-10"), "probation_overdue") == [("c3", "m9", "arr9")]


def test_a_fact_recorded_more_than_30_days_late_is_a_late_report_for_a_year(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2010-03-01")
    official(ledger, "m2", "c3", "2010-03-01")
    ledger.record(fact("died", "m1", "2021-01-10", at("2021-02-10"), id="death1"))  # 31 days
    ledger.record(fact("died", "m2", "2021-01-10", at("2021-02-09"), id="death2"))  # 30 days
    report = quality(models, "hp", "2021-06-30")
    assert kinds(report, "late_report") == [("c1", "m1", "death1")]
    assert kinds(quality(models, "d2", "2021-06-30"), "late_report") == []
    assert kinds(quality(models, "d1", "2021-06-30"), "late_report") == [("c1", "m1", "death1")]
    # Only facts dated in the 365 days up to D count.
    assert kinds(quality(models, "hp", "2022-01-09"), "late_report") == [("c1", "m1", "death1")]
    assert kinds(quality(models, "hp", "2022-01-10"), "late_report") == []
    # Known before the death was recorded, there was nothing to report.
    before = datetime.fromisoformat("2021-02-01T00:00:00+07:00")
    assert kinds(quality(models, "hp", "2021-06-30", before), "late_report") == []


def test_members_without_a_dossier_by_the_date_are_missing_dossiers(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    ledger.record(admitted("m1", "c1", "2020-01-15"))
    ledger.record(fact("dossier_recorded", "m1", "2020-09-01"))
    ledger.record(admitted("m2", "c2", "2020-01-15"))
    assert kinds(quality(models, "hp", "2020-08-31"), "missing_dossier") == [
        ("c1", "m1", None),
        ("c2", "m2", None),
    ]
    assert kinds(quality(models, "hp", "2020-09-01"), "missing_dossier") == [("c2", "m2", None)]


def test_facts_made_inert_by_a_late_death_are_anomalies_where_the_death_counted(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2010-03-01")
    ledger.record(fact("card_issued", "m1", "2021-05-01", id="card1"))
    ledger.record(fact("died", "m1", "2021-03-01", at("2021-08-01"), id="death1"))
    assert kinds(quality(models, "hp", "2021-12-31"), "anomaly") == [("c1", "m1", "card1")]
    assert kinds(quality(models, "d1", "2021-12-31"), "anomaly") == [("c1", "m1", "card1")]
    assert kinds(quality(models, "d2", "2021-12-31"), "anomaly") == []
    before = datetime.fromisoformat("2021-07-01T00:00:00+07:00")
    assert kinds(quality(models, "hp", "2021-12-31", before), "anomaly") == []
    ledger.record(
        {"type": "fact.retracted", "on": "2021-09-01", "fact": "card1", "reason": "after death",
         "recorded_at": at("2021-09-01")}
    )  # fmt: skip
    assert kinds(quality(models, "hp", "2021-12-31"), "anomaly") == []


def test_a_declared_count_that_differs_from_the_register_is_a_count_mismatch(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "2010-03-01")
    official(ledger, "m2", "c2", "2010-03-01")
    official(ledger, "m3", "c2", "2010-03-01")
    ledger.record(fact("transferred_out", "m3", "2021-06-01", to_external="Hà Nội"))
    ledger.record(fact("transferred_in", "m3", "2021-06-01", org="c3", from_external="x"))
    # d1's hand count was never reduced for m3, who left it.
    ledger.record(
        {"id": "count-d1", "type": "organization.count_declared", "on": "2021-12-31",
         "org": "d1", "count": 3, "recorded_at": at("2022-01-05")}
    )  # fmt: skip
    ledger.record(
        {"id": "count-d2", "type": "organization.count_declared", "on": "2021-12-31",
         "org": "d2", "count": 1, "recorded_at": at("2022-01-05")}
    )  # fmt: skip
    report = quality(models, "hp", "2022-01-31")
    assert kinds(report, "count_mismatch") == [("d1", None, "count-d1")]
    assert "declared 3" in report["findings"][0]["detail"]
    assert "holds 2" in report["findings"][0]["detail"]
    # Before the declaration's date there is nothing to compare.
    assert kinds(quality(models, "hp", "2021-12-30"), "count_mismatch") == []
    # A later, corrected declaration replaces it.
    ledger.record(
        {"id": "count-d1b", "type": "organization.count_declared", "on": "2022-01-20",
         "org": "d1", "count": 2, "recorded_at": at("2022-01-21")}
    )  # fmt: skip
    assert kinds(quality(models, "hp", "2022-01-31"), "count_mismatch") == []


@pytest.mark.parametrize("rewinding", [True, False], ids=["rewound", "rows"])
def test_a_declared_count_is_compared_with_the_roster_as_known_then(
    ledger: LedgerHarness, models: ReadModels, monkeypatch: pytest.MonkeyPatch, rewinding: bool
) -> None:
    """Known at an earlier time, the committees' year-end counts are their tallies rewound by
    what changed since (when few facts were recorded since; forced here) or counted from the
    rows: a transfer out after the year end, recorded after that time, must not reach back
    into the year end's count either way."""
    monkeypatch.setattr(tallies, "FACTS_PER_MEMBER", math.inf if rewinding else 0.0)
    ledger.tree()
    official(ledger, "m1", "c1", "2010-03-01")
    ledger.record(
        {"id": "count-d1", "type": "organization.count_declared", "on": "2021-12-31",
         "org": "d1", "count": 1, "recorded_at": at("2022-01-05")}
    )  # fmt: skip
    ledger.record(
        fact("transferred_out", "m1", "2022-02-01", at("2022-03-01"), to_external="Hà Nội")
    )
    then = datetime.fromisoformat(at("2022-02-15"))
    assert kinds(quality(models, "hp", "2022-01-31", known_at=then), "count_mismatch") == []
    assert kinds(quality(models, "hp", "2022-01-31"), "count_mismatch") == []
    # The declaration is still compared: one more member on the year end's roster, recorded
    # after that time, is a mismatch now but was none then.
    ledger.record(admitted("m2", "c2", "2021-03-01", at("2022-03-02")))
    assert kinds(quality(models, "hp", "2022-01-31", known_at=then), "count_mismatch") == []
    assert kinds(quality(models, "hp", "2022-01-31"), "count_mismatch") == [
        ("d1", None, "count-d1")
    ]


def test_findings_are_sorted_by_kind_org_member_and_fact(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    ledger.record(admitted("m2", "c2", "2020-01-15"))
    ledger.record(admitted("m1", "c2", "2020-01-15"))
    ledger.record(admitted("m3", "c1", "2020-01-15"))
    report = quality(models, "hp", "2021-06-01")
    keys = [(f["kind"], f["org"], f["member"]) for f in report["findings"]]
    assert keys == sorted(keys)
    assert keys[:3] == [
        ("missing_dossier", "c1", "m3"),
        ("missing_dossier", "c2", "m1"),
        ("missing_dossier", "c2", "m2"),
    ]


# --- badges due ---------------------------------------------------------------------------


def due(models: ReadModels, org: str, on: str) -> list[tuple[str, int, int]]:
    report = models.badges_due(org, on=date.fromisoformat(on)).model_dump()
    assert set(report) == {"org", "on", "due"}
    return [(d["member"], d["years"], d["party_age_years"]) for d in report["due"]]


def test_the_highest_milestone_reached_and_not_awarded_is_due(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "1975-06-01")
    official(ledger, "m2", "c2", "1985-06-01")
    # m1: 45 years on 2020-06-01 → 45 due (not 30 or 40); m2: 35 → 30 due.
    assert due(models, "hp", "2020-06-01") == [("m1", 45, 45), ("m2", 30, 35)]
    assert due(models, "hp", "2020-05-31") == [("m1", 40, 44), ("m2", 30, 34)]
    assert due(models, "d1", "2020-06-01") == [("m1", 45, 45), ("m2", 30, 35)]
    assert due(models, "c2", "2020-06-01") == [("m2", 30, 35)]


def test_an_awarded_milestone_is_no_longer_due_but_the_next_one_will_be(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "1975-06-01")
    ledger.record(fact("badge_awarded", "m1", "2020-06-01", years=45))
    assert due(models, "hp", "2020-06-01") == []
    assert due(models, "hp", "2025-06-01") == [("m1", 50, 50)]


def test_an_early_badge_awarded_before_the_milestone_settles_it(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "1975-06-01")
    ledger.record(fact("badge_awarded", "m1", "2024-09-01", years=50, early=True))
    assert due(models, "hp", "2025-06-01") == []


def test_the_gap_before_a_readmission_delays_the_milestone(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "1980-01-01")
    ledger.record(fact("resigned", "m1", "1990-01-01"))
    person = {"name": "Person m1", "gender": "male", "birth_date": "1940-01-01"}
    ledger.record(admitted("m1", "c1", "1995-01-01", id="m1-readm", person=person))
    # The 1,826 days between the exit and the re-admission are not counted: the party age
    # runs from 1980-01-01 + 1,826 days = 1984-12-31, so 30 years are reached on 2014-12-31.
    assert due(models, "hp", "2014-12-30") == []
    assert due(models, "hp", "2014-12-31") == [("m1", 30, 30)]


def test_dead_and_departed_members_are_not_on_the_roster_so_nothing_is_due(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    official(ledger, "m1", "c1", "1970-01-01")
    official(ledger, "m2", "c1", "1970-01-01")
    ledger.record(fact("died", "m1", "2019-01-01"))
    ledger.record(fact("transferred_out", "m2", "2019-01-01", to_external="Hà Nội"))
    assert due(models, "hp", "2020-06-01") == []
    assert due(models, "hp", "2018-12-31") == [("m1", 45, 48), ("m2", 45, 48)]
