"""What the fault tests check after a crash or an outage: the facts in the event log, and the
read models against a rebuild of them from that log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from commands.application import LedgerApplication
from ledger.events import FactEvent
from projections.rebuild import rebuild
from projections.store import TABLES, Store

ROOT = Path(__file__).resolve().parents[2]

Tables = dict[str, list[tuple[Any, ...]]]


def ledger_command(*argv: str) -> list[str]:
    """The argv of ``ledger ARGV…`` run from this checkout (``python -m api.cli``)."""
    return [sys.executable, "-m", "api.cli", *argv]


def run_ledger(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``ledger ARGV…`` to its end, its output captured."""
    return subprocess.run(
        ledger_command(*argv), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def logged_fact_ids(url: str) -> list[str]:
    """The id of every fact in the event log at ``url``, in log order (repeats kept)."""
    app = LedgerApplication(url, create_tables=False)
    try:
        log = app.event_log
        ids: list[str] = []
        position = 0
        while batch := log.notifications(position, 5_000):
            for item in batch:
                event = log.decode(item)
                if isinstance(event, FactEvent):
                    ids.append(event.fact_id)
            position = batch[-1].id
        return ids
    finally:
        app.close()


def read_model_tables(store: Store) -> Tables:
    """Every read-model row, sorted, per table (the tracking row aside)."""
    return {
        table: sorted(
            store.fetchall(f"SELECT * FROM {table}"), key=lambda row: [str(v) for v in row]
        )
        for table in TABLES
    }


def read_models_and_rebuild(url: str) -> tuple[Tables, Tables]:
    """The read models as they are at ``url``, then as ``ledger rebuild`` makes them from the
    same log (the rebuild replaces them: call this last)."""
    app = LedgerApplication(url, create_tables=False)
    store = Store(app.database, migrate=False)
    try:
        current = read_model_tables(store)
        rebuild(app.event_log, store)
        return current, read_model_tables(store)
    finally:
        store.close()
        app.close()


def assert_read_models_equal_a_rebuild(url: str) -> None:
    """The read models at ``url`` hold exactly what a rebuild from the log derives, table by
    table (a short message names the tables that differ)."""
    current, rebuilt = read_models_and_rebuild(url)
    differing = [t for t in TABLES if current[t] != rebuilt[t]]
    assert not differing, f"read models differ from a rebuild in {differing}"
    assert sum(len(rows) for rows in rebuilt.values()) > 0, "nothing was projected"
