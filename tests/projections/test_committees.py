"""The subordinate committees of an org and those recording facts in a year (the annual
text's "35/35"), on a small history, on both backends."""

from __future__ import annotations

from datetime import datetime

import pytest

from ledger.errors import UnknownOrg
from projections.queries import ReadModels
from projections.reports.committees import committees
from tests.support import LedgerHarness, admitted, at, fact


def history(ledger: LedgerHarness) -> None:
    """hp with d1 (c1, c2), d2 (c3), d3 registered mid-2021, d4 dissolved early 2021."""
    ledger.tree()
    ledger.org("d3", "hp", on="2021-06-01")
    ledger.org("d4", "hp")
    ledger.record({"type": "organization.dissolved", "on": "2021-03-01", "org": "d4",
                   "recorded_at": at("2021-03-01")})  # fmt: skip
    ledger.record(admitted("m2", "c3", "2019-05-01"))
    ledger.record(fact("probation_completed", "m2", "2020-05-01"))
    ledger.record(admitted("m1", "c1", "2021-03-01"))
    ledger.record({"type": "organization.count_declared", "on": "2021-12-31", "org": "d3",
                   "count": 0, "recorded_at": at("2021-12-31")})  # fmt: skip


def test_committees_are_the_children_at_the_year_end_and_recording_means_a_fact_in_the_year(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    history(ledger)
    year = committees(models, "hp", 2021)
    assert year.committees == ("d1", "d2", "d3")  # d4 dissolved, d3 registered in the year
    assert year.recording == ("d1", "d3")  # an admission in c1; a head count declared for d3
    before = committees(models, "hp", 2020)
    assert (before.committees, before.recording) == (("d1", "d2", "d4"), ("d2",))


def test_a_transfer_out_records_for_the_source_only_and_knowledge_time_is_honoured(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    history(ledger)
    ledger.record(fact("transferred_out", "m1", "2022-02-01", to_org="c3"))
    assert committees(models, "hp", 2022).recording == ("d1",)
    early = datetime.fromisoformat("2021-02-01T00:00:00+07:00")
    assert committees(models, "hp", 2021, early).recording == ()
    assert committees(models, "d1", 2021).committees == ("c1", "c2")
    assert committees(models, "d1", 2021).recording == ("c1",)
    assert committees(models, "c1", 2021).committees == ()


def test_an_unknown_org_is_refused(ledger: LedgerHarness, models: ReadModels) -> None:
    ledger.tree()
    with pytest.raises(UnknownOrg):
        committees(models, "nowhere", 2021)
