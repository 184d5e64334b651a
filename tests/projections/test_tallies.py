"""When the year-end tallies answer a question known at an earlier time (``tallies.answers``):
a root's are rewound while few facts were recorded since, a committee counts its rows. That
each path gives the fold's answer is the property test's part (``test_read_models``)."""

from __future__ import annotations

from datetime import datetime

from projections import tallies
from projections.knowledge import EVERYTHING, utc_text
from projections.queries import ReadModels
from tests.support import LedgerHarness, admitted, at


def test_a_root_rewinds_while_few_facts_were_recorded_since(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.tree()
    for n in range(8):
        ledger.record(admitted(f"m{n}", "c1", "2020-03-01", at("2020-03-02")))
    models.fresh()
    hp, d1 = models.org_path("hp"), models.org_path("d1")
    then = utc_text(datetime.fromisoformat(at("2021-01-01")))
    # Nothing recorded since: rewinding reads nothing.
    assert tallies.answers(models.store, hp, then)
    # Eight members on the roster: a quarter of a fact each is two facts.
    for n in range(2):
        ledger.record(admitted(f"late{n}", "c2", "2020-06-01", at("2021-02-01")))
    models.fresh()
    assert tallies.rewinding_pays(models.store, hp, then)
    ledger.record(admitted("late2", "c2", "2020-06-01", at("2021-02-01")))
    models.fresh()
    assert not tallies.rewinding_pays(models.store, hp, then)
    assert not tallies.answers(models.store, hp, then)
    # A later knowledge time has fewer facts after it.
    later = utc_text(datetime.fromisoformat(at("2021-02-02")))
    assert tallies.answers(models.store, hp, later)
    # Known now the tallies answer for a root and a committee; known earlier, never for a
    # committee.
    assert tallies.answers(models.store, hp, EVERYTHING)
    assert tallies.answers(models.store, d1, EVERYTHING)
    assert not tallies.answers(models.store, d1, later)
    assert not tallies.answers(models.store, models.org_path("c1"), EVERYTHING)
