"""The composition root: a database URL wired into the write side, the event log and the read
models, the same way for every interface (the command line now, HTTP next)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from commands.application import LedgerApplication, local_now
from projections.queries import ReadModels
from projections.store import Store
from storage.event_log import EventLog
from storage.urls import Database, parse_database_url


class Ledger:
    """One ledger database, opened for writing (``migrate``: tables created or upgraded) or
    for reading only (no DDL; the read models must be there already)."""

    def __init__(
        self, url: str, *, migrate: bool, clock: Callable[[], datetime] = local_now
    ) -> None:
        self.database: Database = parse_database_url(url)
        self.migrate = migrate
        self.app = LedgerApplication(url, clock=clock, create_tables=migrate)
        self._models: ReadModels | None = None
        if migrate:  # the read models' tables too, so that the next read finds them
            self.models.runner.position()

    @property
    def log(self) -> EventLog:
        """The event log as the read side reads it."""
        return self.app.event_log

    @property
    def models(self) -> ReadModels:
        """The read models (opened on first use: an import does not need them)."""
        if self._models is None:
            self._models = ReadModels(self.log, Store(self.database, migrate=self.migrate))
        return self._models

    def close(self) -> None:
        """Close the read models' connection and the event store's pool."""
        if self._models is not None:
            self._models.close()
        self.app.close()
