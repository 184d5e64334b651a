"""What every route shares: the ledgers of one API process and its clock.

Reads borrow a ledger from a bounded pool (one request at a time per connection). Writes go
through one ledger opened for writing, one request at a time in this process (the writer lock
of ``commands.application`` serialises writers across processes too).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

from fastapi import Request

from api.bootstrap import Ledger
from api.http.auth import Forbidden
from api.http.pool import LedgerPool
from api.timeparse import parse_known_at
from ledger.errors import LedgerError

POOL_SIZE = 8
"""Ledgers (database connections) per API process for reads."""


class BadRequest(Exception):
    """A parameter FastAPI's own validation lets through but the ledger cannot use."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    """No such thing for this request (404)."""


class Service:
    """The ledgers of one API process."""

    def __init__(self, url: str, clock: Callable[[], datetime], pool_size: int = POOL_SIZE):
        self.url = url
        self.clock = clock
        self.readers = LedgerPool(lambda: Ledger(url, migrate=False, clock=clock), pool_size)
        self._writer: Ledger | None = None
        self._writing = threading.Lock()

    @contextmanager
    def writer(self) -> Iterator[Ledger]:
        """The process's writing ledger, for this request alone until the block ends."""
        with self._writing:
            if self._writer is None:
                self._writer = Ledger(self.url, migrate=False, clock=self.clock)
            try:
                yield self._writer
            except (LedgerError, Forbidden):  # a refusal: the connections are fine
                raise
            except BaseException:
                # An outage or a failed write may leave a broken connection behind: the next
                # request opens a new ledger (as the readers' pool does).
                broken, self._writer = self._writer, None
                broken.close()
                raise

    def today(self) -> date:
        return self.clock().date()

    def known_at(self, text: str | None) -> tuple[datetime | None, str]:
        """The knowledge time asked for (None: now) and its label, as the command line has it."""
        now = self.clock()
        if text is None:
            return None, now.isoformat()
        try:
            moment = parse_known_at(text, now)
        except ValueError as err:
            raise BadRequest(f"known_at: {err}") from err
        return moment, moment.isoformat()

    def close(self) -> None:
        self.readers.close()
        with self._writing:
            if self._writer is not None:
                self._writer.close()
                self._writer = None


def service(request: Request) -> Service:
    """The dependency that hands a route its process's ``Service``."""
    found: Service = request.app.state.service
    return found
