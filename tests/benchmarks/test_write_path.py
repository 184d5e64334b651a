"""The write-path benchmark's variants still import what the ledger imports (they override
``LedgerApplication.commit``, whose signature the write path may change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.write_path import WithIndexAggregates, WithoutKeys, synthetic_history
from commands.application import LedgerApplication
from commands.record import import_facts


@pytest.mark.parametrize("variant", [LedgerApplication, WithoutKeys, WithIndexAggregates])
def test_every_variant_accepts_the_whole_synthetic_history(
    variant: type[LedgerApplication], tmp_path: Path
) -> None:
    lines = synthetic_history(400)
    app = variant(f"sqlite:///{tmp_path / 'bench.db'}")
    try:
        summary = import_facts(app, lines, batch_size=50)
        assert (summary.accepted, summary.rejected) == (400, 0), summary.rejects[:3]
        stored = len(app.event_log.notifications(0, 10_000))
    finally:
        app.close()
    # The index-aggregate variant stores one extra event per fact; the others one per fact.
    assert stored == (800 if variant is WithIndexAggregates else 400)
