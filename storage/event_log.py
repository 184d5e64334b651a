"""The event log as the read side sees it: notifications in commit order, an aggregate's stored
events, and their decoding. The projections read the log through this, never through the
write side's application."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification, StoredEvent

from storage.urls import Database


class _Recorder(Protocol):
    def max_notification_id(self) -> int | None: ...

    def select_notifications(
        self, start: int | None, limit: int, *, inclusive_of_start: bool = True
    ) -> Sequence[Notification]: ...

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]: ...


class EventLog:
    """Read-only access to a ledger's stored events (the recorder and mapper of its store)."""

    def __init__(self, database: Database, recorder: _Recorder, mapper: Mapper[UUID]) -> None:
        self.database = database
        self._recorder = recorder
        self._mapper = mapper

    def position(self) -> int:
        """The id of the last notification in the log (0 when empty)."""
        return self._recorder.max_notification_id() or 0

    def notifications(self, after: int, limit: int) -> Sequence[Notification]:
        """Up to ``limit`` notifications following position ``after``, in commit order."""
        return self._recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )

    def events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of the given aggregates, in (aggregate, version) order."""
        return self._recorder.select_events_of(originator_ids)

    def decode(self, item: StoredEvent) -> Any:
        """The domain event of a stored event (raises if it cannot be decoded)."""
        return self._mapper.to_domain_event(item)
