"""Which database errors mean "the database cannot be reached now, try again later".

The API answers those with 503 and ``Retry-After`` instead of a 500; the command line with a
one-line message. A server that is down, restarting or refusing connections, a connection it
dropped, a pool that got no connection in time, a lock or statement timeout, a SQLite file
locked by another process: each passes once the database is back, without any change to the
request.
"""

from __future__ import annotations

import sqlite3
import sys

RETRY_AFTER_SECONDS = 5
"""What a 503 tells the client to wait before trying again."""

_TRANSIENT_NAMES = (
    ("psycopg", "OperationalError"),  # also the pool's PoolTimeout and AdminShutdown
    ("psycopg", "InterfaceError"),  # a connection already closed
    ("eventsourcing.persistence", "OperationalError"),  # the library's wrapping of those
    ("eventsourcing.persistence", "InterfaceError"),
)

_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def _transient_types() -> tuple[type[BaseException], ...]:
    # Looked up among the modules already loaded: a driver that raised an error is loaded by
    # then, and asking must not load psycopg for a SQLite database.
    found: list[type[BaseException]] = []
    for module, name in _TRANSIENT_NAMES:
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


def unavailable(error: BaseException) -> bool:
    """True when ``error`` (or an error it was raised from) says the database is out of reach
    for now, rather than that the request or the data is wrong."""
    transient = _transient_types()
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if transient and isinstance(current, transient):
            return True
        if isinstance(current, sqlite3.OperationalError) and str(current) in _SQLITE_BUSY:
            return True
        current = current.__cause__  # the library raises its errors from the driver's
    return False


def first_line(error: BaseException) -> str:
    """The error's message on one line (a driver's may span several, with hints)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return "; ".join(lines) or type(error).__name__
