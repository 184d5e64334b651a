"""``kill -9`` of ``ledger project --follow`` mid-batch, twice: restarted, the worker reaches
the read models a rebuild derives from the same log."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

from benchmarks.write_path import synthetic_history
from commands.application import LedgerApplication
from commands.record import import_facts
from projections.store import Store
from tests.faults.kill import DEADLINE, kill_when, log_position
from tests.faults.support import ROOT, assert_read_models_equal_a_rebuild, ledger_command


def _moved_past(store: Store, position: int) -> Callable[[], bool]:
    """Whether the read models have committed a batch past ``position``."""
    return lambda: store.tracked_position() > position


def test_a_projection_worker_killed_twice_mid_batch_resumes_to_a_rebuilds_state(
    database_url: str,
) -> None:
    app = LedgerApplication(database_url)
    store = Store(app.database)  # the read-model tables, watched from here
    try:
        import_facts(app, synthetic_history(3000))
        end = log_position(app)
        worker = ledger_command("project", "--follow", "--batch-size", "50", "--db", database_url)
        killed_at = 0
        for kill in range(2):
            run = subprocess.Popen(
                worker, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            since = killed_at
            kill_when(run, _moved_past(store, since), f"the worker's batches after kill {kill}")
            killed_at = store.tracked_position()
            assert since < killed_at < end, "the worker must be killed mid-way through the log"
        run = subprocess.Popen(
            worker, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            give_up = time.monotonic() + DEADLINE
            while store.tracked_position() < end:
                assert run.poll() is None, run.stderr.read() if run.stderr else ""
                assert time.monotonic() < give_up, "the restarted worker did not catch up"
                time.sleep(0.05)
        finally:
            run.terminate()  # stopping a follower at any moment is safe
            run.communicate(timeout=30)
        assert store.tracked_position() == end
    finally:
        store.close()
        app.close()
    assert_read_models_equal_a_rebuild(database_url)
