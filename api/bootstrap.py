"""The composition root: a database URL wired into the write side, the event log and the read
models, the same way for every interface (the command line now, HTTP next)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from commands.clock import local_now
from projections.queries import ReadModels
from projections.store import Store
from storage.event_log import EventLog
from storage.urls import Database, parse_database_url

if TYPE_CHECKING:
    from commands.application import LedgerApplication
    from storage.tokens import TokenStore


class Ledger:
    """One ledger database, opened for writing (``migrate``: tables created or upgraded) or
    for reading only (no DDL; the read models must be there already).

    A writer opens the event store (the write side's application) at once; a reader opens the
    read models at once (unless it reads the log alone) and the event store only when it needs
    the log: when the read models are behind it, so that a query on up-to-date read models
    loads neither the event-sourcing library nor the aggregates (docs/operations.md, start-up).
    """

    def __init__(
        self,
        url: str,
        *,
        migrate: bool,
        clock: Callable[[], datetime] = local_now,
        read_models: bool = True,
    ) -> None:
        self.url = url
        self.database: Database = parse_database_url(url)
        self.migrate = migrate
        self.clock = clock
        self._app: LedgerApplication | None = None
        self._tokens: TokenStore | None = None
        if migrate:
            self.app  # noqa: B018 - creates the event log's tables
            self.tokens  # noqa: B018 - and the API tokens' table
        # A writer creates the read models' tables too, so that the next read finds them; a
        # reader checks that they are there (and fails here when it cannot open them). A
        # reader of the log alone (``ledger export``) needs none: it works before a migration.
        self._models = (
            ReadModels(self.log, Store(self.database, migrate=migrate)) if read_models else None
        )

    @property
    def models(self) -> ReadModels:
        """The read models (not for a ledger opened with ``read_models=False``)."""
        if self._models is None:
            raise RuntimeError("this ledger was opened without its read models")
        return self._models

    @property
    def app(self) -> LedgerApplication:
        """The write side's application and event store (opened on first use)."""
        if self._app is None:
            from commands.application import LedgerApplication

            self._app = LedgerApplication(self.url, clock=self.clock, create_tables=self.migrate)
        return self._app

    @property
    def log(self) -> EventLog:
        """The event log as the read side reads it (the event store opened on first read)."""
        return EventLog(self.database, lambda: (self.app.keys, self.app.mapper))

    @property
    def tokens(self) -> TokenStore:
        """The API's tokens (their table is created by writers and ``ledger migrate``)."""
        if self._tokens is None:
            from storage.tokens import TokenStore

            self._tokens = TokenStore(self.database, migrate=self.migrate)
        return self._tokens

    def reconnect(self) -> None:
        """Close the event store and its pool after an outage: the next read of the log opens
        a new one at once, instead of waiting for the old pool to reconnect with its backoff.
        (The read models' own connection reopens by itself.)"""
        if self._app is not None:
            app, self._app = self._app, None
            with contextlib.suppress(Exception):  # a pool whose server is gone: dropped anyway
                app.close()
        self.models.log.forget()

    def close(self) -> None:
        """Close the read models' connection, the tokens' and the event store's pool."""
        if self._models is not None:
            self._models.close()
        if self._tokens is not None:
            self._tokens.close()
        if self._app is not None:
            self._app.close()
