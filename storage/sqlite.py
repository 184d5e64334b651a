"""SQLite: file creation, the connection pool, and the recorder with the ledger's key tables.

Besides the library's ``stored_events`` table, two tables are written *in the same
transaction* as the events (the recorder's ``_insert_events`` hook):

- ``ledger_facts``: one row per accepted fact id (primary key), with its subject, type and
  content digest. The primary key makes the fact id unique across writers: of two writers
  racing with the same fact, one commits, the other's transaction fails and is retried.
- ``ledger_links``: (org, subject) pairs, so that dissolving an org finds the members that
  ever referenced it and its child orgs without scanning the log.
- ``ledger_chain``: the hash chain's link of each event (storage.chain).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
)

from storage.chain import Chain, ChainTable, append_links, link_unlinked
from storage.connections import SQLITE_CACHE_KIB
from storage.keys import FactRow, KnownFact, LinkRow, chunks
from storage.urls import sqlite_lock_path

SQLITE_PAGE_BYTES = 16_384
"""Page size of a new SQLite database. Events and read-model rows land on random pages of
large indexes; bigger pages mean a third fewer page writes (and system calls) per commit."""


def create_sqlite_file(name: str) -> None:
    """Give a database that does not exist yet its page size and WAL mode.

    An existing database keeps its own: SQLite ignores the page size once the file has pages.
    """
    if os.path.exists(name) and os.path.getsize(name) > 0:
        return
    # Two processes creating the same file would race to switch it to WAL (one would get
    # "database is locked" at once): they take turns on the writer lock's file.
    with open(sqlite_lock_path(name), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.closing(sqlite3.connect(name, uri=True, timeout=30)) as connection:
            if connection.execute("PRAGMA page_count").fetchone()[0] == 0:
                connection.execute(f"PRAGMA page_size = {SQLITE_PAGE_BYTES}")
                connection.execute("PRAGMA journal_mode = WAL")


class LedgerSQLitePool(SQLiteConnectionPool):
    """The library's pool, whose connections get a page cache sized for a city's event log."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        # ``_sqlite_conn`` is the library's name for the sqlite3 connection it wraps (pinned by
        # tests/storage/test_library_contracts.py).
        connection._sqlite_conn.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        return connection


class LedgerSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, creating new files with the ledger's page size and using
    ``LedgerSQLitePool``."""

    def __init__(self, env: Any) -> None:
        name = env.get("SQLITE_DBNAME")
        if name and "mode=memory" not in name:
            create_sqlite_file(name)
        super().__init__(env)
        library_pool = self.datastore.pool
        # The datastore builds its pool itself: swap in ours, made with the same settings,
        # before any connection is opened.
        self.datastore.pool = LedgerSQLitePool(
            db_name=library_pool.db_name, lock_timeout=library_pool.lock_timeout
        )
        library_pool.close()


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite recorder that also writes the fact-id keys, org links and the hash chain."""

    chain: Chain | None = None
    """Set by the application once its mapper exists (the links hash decrypted content)."""

    def construct_create_table_statements(self) -> list[str]:
        """The library's tables plus the ledger's key tables."""
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS ledger_facts (fact_id TEXT PRIMARY KEY, "
            "subject TEXT NOT NULL, type TEXT NOT NULL, digest TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_links (org TEXT NOT NULL, subject TEXT NOT NULL, "
            "PRIMARY KEY (org, subject)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS ledger_chain (position INTEGER PRIMARY KEY, "
            "seq INTEGER NOT NULL, link BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]

    @property
    def chain_table(self) -> ChainTable:
        """The chain's statements on SQLite (the log numbers its events by rowid)."""
        return ChainTable(
            last="SELECT position, seq, link FROM ledger_chain ORDER BY position DESC LIMIT 1",
            before=f"SELECT max(rowid) AS position FROM {self.events_table_name} WHERE rowid < ?",
            insert="INSERT INTO ledger_chain VALUES (?, ?, ?)",
            unlinked=f"SELECT rowid AS position, originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT 5000",
        )

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        fact_rows: Sequence[FactRow] = (),
        links: Sequence[LinkRow] = (),
        contents: Sequence[bytes] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # The library inserts the events (and returns their notification ids) first, so the
        # transaction takes the write lock before it reads anything; the keys follow.
        ids = super()._insert_events(c, stored_events, **kwargs)
        if fact_rows:
            c.executemany("INSERT INTO ledger_facts VALUES (?, ?, ?, ?)", fact_rows)
        if links:
            c.executemany("INSERT OR IGNORE INTO ledger_links VALUES (?, ?)", links)
        if self.chain is None:
            raise RuntimeError("the recorder writes no event without its chain (set .chain)")
        assert ids is not None
        append_links(c, self.chain_table, self.chain, ids, stored_events, contents)
        return ids

    def link_unlinked(self, progress: Callable[[int], None] | None = None) -> int:
        """Link the events written before the chain existed (``ledger migrate``); how many."""
        assert self.chain is not None
        return link_unlinked(
            lambda: self.datastore.transaction(commit=True), self.chain_table, self.chain, progress
        )

    def select_known_facts(self, fact_ids: Sequence[str]) -> dict[str, KnownFact]:
        """The stored facts among ``fact_ids``."""
        found: dict[str, KnownFact] = {}
        with self.datastore.transaction(commit=False) as c:
            for chunk in chunks(fact_ids, 500):
                marks = ",".join("?" * len(chunk))
                c.execute(f"SELECT * FROM ledger_facts WHERE fact_id IN ({marks})", chunk)
                for row in c.fetchall():
                    found[row[0]] = KnownFact(row[0], row[1], row[2], row[3])
        return found

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of the given aggregates, in (aggregate, version) order."""
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in chunks([i.hex for i in originator_ids], 500):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state FROM "
                    f"{self.events_table_name} WHERE originator_id IN ({marks}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                found.extend(
                    StoredEvent(UUID(row[0]), row[1], row[2], row[3]) for row in c.fetchall()
                )
        return found

    def select_written_between(self, after: int, upto: int) -> set[UUID]:
        """The aggregates with an event at a position in (``after``, ``upto``]."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                "WHERE rowid > ? AND rowid <= ?",
                (after, upto),
            )
            return {UUID(row[0]) for row in c.fetchall()}

    def select_links(self, org: str) -> list[str]:
        """Subjects (``member:ID`` or ``org:ID``) that ever referenced ``org``."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT subject FROM ledger_links WHERE org = ? ORDER BY subject", (org,))
            return [row[0] for row in c.fetchall()]

    def select_meta(self) -> dict[str, str] | None:
        """The ``ledger_meta`` rows (storage.cipher), or None when the table is not there."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_meta'")
            if not c.fetchall():
                return None
            c.execute("SELECT name, value FROM ledger_meta")
            return {row[0]: row[1] for row in c.fetchall()}

    def replace_meta(self, rows: dict[str, str]) -> None:
        """Make ``rows`` the whole of ``ledger_meta``."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM ledger_meta")
            c.executemany("INSERT INTO ledger_meta VALUES (?, ?)", list(rows.items()))
