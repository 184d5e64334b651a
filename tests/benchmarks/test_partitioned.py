"""``benchmarks/partitioned.py``: a city split into two partitions by committee, each its own
ledger, gives the city's annual report once the partitions' reports are added up and the
transfers between them accounted for (docs/operations.md, "Past one machine")."""

from __future__ import annotations

from pathlib import Path

import orjson

from benchmarks import partitioned
from commands.application import LedgerApplication
from commands.record import import_facts
from demo.emit import build, lines
from demo.plan import SEED_PLAN


def imported(url: str, facts: list[bytes]) -> None:
    app = LedgerApplication(url)
    try:
        summary = import_facts(app, facts)
        assert summary.rejected == 0, summary.rejects[:3]
    finally:
        app.close()


def test_every_committee_goes_to_one_partition_of_about_half_the_members() -> None:
    parts = partitioned.committees_split()
    assert len(parts) == 35 and set(parts.values()) == {0, 1}
    weights = dict.fromkeys((0, 1), 0.0)
    for number, (_, _, weight, _) in enumerate(partitioned.COMMITTEES, start=1):
        weights[parts[f"hp.d{number:02d}"]] += weight
    assert abs(weights[0] - weights[1]) < 1.0  # percent of the members


def test_the_partitions_add_up_to_the_city(tmp_path: Path) -> None:
    facts = list(lines(build(None, SEED_PLAN.scaled(0.02))))
    halves, crossings = partitioned.split(facts, partitioned.committees_split())
    assert crossings.left and crossings.arrived  # members did cross: the adjustments are used
    # Nothing is lost: every fact of the city is in one partition (orgs in both), plus the
    # dossier entries that travel with the members who cross.
    orgs = sum(1 for line in facts if b'"organization.registered"' in line)
    carried = sum(1 for h in halves for line in h if b'-dossier"' in line)
    assert sum(map(len, halves)) == len(facts) + orgs + carried
    for half in halves:  # a crossing is an arrival from outside for the destination
        for line in half:
            fact = orjson.loads(line)
            assert "to_org" not in fact or partitioned.partition_of(
                fact["to_org"], partitioned.committees_split()
            ) == halves.index(half)
    urls = [f"sqlite:///{tmp_path}/{name}.db" for name in ("whole", "a", "b")]
    for url, history in zip(urls, (facts, *halves), strict=True):
        imported(url, history)
    for year in (2021, 2020):
        whole = partitioned.annual_figures(urls[0], year)
        reports = [partitioned.annual_figures(url, year) for url in urls[1:]]
        rows = partitioned.compare(whole, reports, crossings, year)
        assert {name for name, row in rows.items() if not row["holds"]} == set(), rows
        # The plain sums differ where members crossed: moves inside the city are transfers
        # out of one partition and into the other.
        total = partitioned.combined(reports)
        left = sum(1 for on in crossings.left if on.startswith(str(year)))
        assert total["internal_moves"] == whole["internal_moves"] - left
        assert total["transferred_out"] == whole["transferred_out"] + left
