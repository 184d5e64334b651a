"""``ledger rebuild``: replay the whole event log into fresh tables, then swap them in.

The new tables are filled batch by batch while the old ones keep answering queries. The swap
happens in one transaction holding the live tracking row: the rebuilt tables catch up with the
last notifications, the old tables are dropped, the new ones renamed, the position moved.
"""

from __future__ import annotations

from collections.abc import Callable

from projections.runner import NAME, ProjectionRunner
from projections.store import Store
from storage.event_log import EventLog

SUFFIX = "_rebuild"


def rebuild(log: EventLog, store: Store, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every read model from the event log; return the position reached."""
    store.drop_tables(SUFFIX)
    store.create_tables(SUFFIX)
    store.execute("DELETE FROM rm_tracking WHERE name = ?", (NAME + SUFFIX,))
    fresh = ProjectionRunner(log, store, suffix=SUFFIX)
    fresh.catch_up(progress)
    # The live row is moved below: it must be there (a ledger that never caught up has none).
    store.execute(
        "INSERT INTO rm_tracking (name, position) VALUES (?, 0) ON CONFLICT DO NOTHING", (NAME,)
    )
    with store.transaction():
        lock = " FOR UPDATE" if store.is_postgres else ""
        store.fetchone(f"SELECT position FROM rm_tracking WHERE name = ?{lock}", (NAME,))
        while fresh.step():
            pass
        position = fresh.position()
        store.drop_tables("")
        store.rename_tables(SUFFIX, "")
        store.execute("UPDATE rm_tracking SET position = ? WHERE name = ?", (position, NAME))
        store.execute("DELETE FROM rm_tracking WHERE name = ?", (NAME + SUFFIX,))
    return position
