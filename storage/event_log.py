"""The event log as the read side sees it: notifications in commit order, an aggregate's stored
events, and their decoding. The projections read the log through this, never through the
write side's application."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from storage.urls import Database

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper, Notification, StoredEvent


def position_query(database: Database) -> str:
    """``EventLog.position`` as one SQL query for any connection to the ledger's database (in
    its schema), without loading the library: its recorders' own statement. SQLite's recorder
    keeps the library's default table and numbers notifications by rowid; PostgreSQL's names
    the table after the application (``ledger``). Pinned by tests/storage/test_event_log.py."""
    if database.is_postgres:
        return "SELECT max(notification_id) FROM ledger_events"
    return "SELECT max(rowid) FROM stored_events"


class _Recorder(Protocol):
    def max_notification_id(self) -> int | None: ...

    def select_notifications(
        self, start: int | None, limit: int, *, inclusive_of_start: bool = True
    ) -> Sequence[Notification]: ...

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]: ...


class EventLog:
    """Read-only access to a ledger's stored events (the recorder and mapper of its store).

    ``opener`` gives the recorder and the mapper when the log is first read: a reader whose
    read models are up to date never reads the log, and so never opens the event store nor
    loads the event-sourcing library and the aggregates' event classes (most of its start-up).
    """

    def __init__(
        self, database: Database, opener: Callable[[], tuple[_Recorder, Mapper[UUID]]]
    ) -> None:
        self.database = database
        self._opener = opener
        self._opened: tuple[_Recorder, Mapper[UUID]] | None = None

    def _store(self) -> tuple[_Recorder, Mapper[UUID]]:
        if self._opened is None:
            self._opened = self._opener()
        return self._opened

    def forget(self) -> None:
        """Let go of the store opened so far: the next read asks ``opener`` again."""
        self._opened = None

    def position(self) -> int:
        """The id of the last notification in the log (0 when empty)."""
        return self._store()[0].max_notification_id() or 0

    def notifications(self, after: int, limit: int) -> Sequence[Notification]:
        """Up to ``limit`` notifications following position ``after``, in commit order."""
        return self._store()[0].select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )

    def events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of the given aggregates, in (aggregate, version) order."""
        return self._store()[0].select_events_of(originator_ids)

    def decode(self, item: StoredEvent) -> Any:
        """The domain event of a stored event (raises if it cannot be decoded)."""
        return self._store()[1].to_domain_event(item)
