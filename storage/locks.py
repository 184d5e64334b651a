"""Locks between processes: one writer at a time, and table creation in turn."""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from collections.abc import Iterator
from typing import Any

from storage.connections import connect_postgres
from storage.urls import Database


class WriterLock:
    """Serialises writers across processes, so validation reads what the write will follow.

    SQLite: an exclusive ``flock`` on ``PATH.lock``. PostgreSQL: a session advisory lock.
    Aggregate versions and the fact-id key still guard against writers that bypass it.
    """

    ADVISORY_KEY = 0x1ED6E2

    def __init__(self, database: Database, datastore: Any) -> None:
        self.database = database
        self.datastore = datastore

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the duration of the block."""
        if self.database.is_postgres:
            # One ledger per schema: writers to other schemas of the database do not wait.
            key = self.ADVISORY_KEY ^ zlib.crc32(self.database.env["POSTGRES_SCHEMA"].encode())
            with self.datastore.get_connection() as conn:
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            return
        if self.database.lock_path is None:
            yield
            return
        fd = os.open(self.database.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


SETUP_LOCK_KEY = 0x1ED6E3


@contextlib.contextmanager
def setup_lock(database: Database) -> Iterator[None]:
    """Serialise schema and table creation across processes (PostgreSQL's IF NOT EXISTS races).

    Also creates the configured schema. SQLite needs nothing: its DDL takes the write lock.
    """
    if not database.is_postgres:
        yield
        return
    from psycopg.sql import SQL, Identifier  # only for PostgreSQL (see storage.connections)

    env = database.env
    with connect_postgres(database) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        try:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(env["POSTGRES_SCHEMA"]))
            )
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
