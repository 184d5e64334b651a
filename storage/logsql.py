"""The ledger's own tables, read with plain SQL on one connection in one snapshot: for
``verify`` and ``digest``, which read the log as stored, bypassing the event store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from storage.connections import connect_postgres, connect_sqlite
from storage.urls import Database


class NoChain(RuntimeError):
    """The database has no hash chain table (a ledger of an older release, not migrated)."""


class LogSql:
    """One connection, with the table names and placeholders of its backend."""

    def __init__(self, database: Database, connection: Any) -> None:
        self.connection = connection
        self.postgres = database.is_postgres
        if self.postgres:
            schema = '"' + database.env["POSTGRES_SCHEMA"].replace('"', '""') + '"'
            self.names = {
                "events": f"{schema}.ledger_events",
                "chain": f"{schema}.ledger_chain",
                "facts": f"{schema}.ledger_facts",
                "links": f"{schema}.ledger_links",
                "pos": "notification_id",
            }
        else:
            self.names = {
                "events": "stored_events",
                "chain": "ledger_chain",
                "facts": "ledger_facts",
                "links": "ledger_links",
                "pos": "rowid",
            }

    def _statement(self, statement: str) -> str:
        text = statement.format(**self.names)
        return text.replace("?", "%s") if self.postgres else text

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query."""
        cursor = self.connection.execute(self._statement(statement), params)
        return list(cursor.fetchall())

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query, or None."""
        return self.connection.execute(self._statement(statement), params).fetchone()

    def run(self, statement: str) -> None:
        """A statement without result."""
        self.connection.execute(self._statement(statement))

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Many rows into a temporary table (COPY on PostgreSQL)."""
        if not rows:
            return
        if self.postgres:
            with self.connection.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as c:
                for row in rows:
                    c.write_row(row)
            return
        marks = ",".join("?" * len(rows[0]))
        self.connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _has_chain(database: Database, connection: Any) -> bool:
    if database.is_postgres:
        query = "SELECT to_regclass(format('%%I.ledger_chain', %s::text))"
        row = connection.execute(query, (database.env["POSTGRES_SCHEMA"],)).fetchone()
        return row[0] is not None
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_chain'"
    return connection.execute(query).fetchone() is not None


@contextlib.contextmanager
def connect(database: Database) -> Iterator[LogSql]:
    """A connection in one read snapshot; NoChain when the ledger has no chain table yet."""
    connection: Any = (
        connect_postgres(database) if database.is_postgres else connect_sqlite(database)
    )
    try:
        if not _has_chain(database, connection):
            raise NoChain(
                "this ledger has no hash chain yet (written by an older release): run "
                "'ledger migrate' to link its events"
            )
        if not database.is_postgres:
            # The pass's notes (a few dozen bytes per fact) are sorted and joined in memory.
            connection.execute("PRAGMA temp_store = MEMORY")
        # One snapshot for the whole pass: the log cannot move under it.
        connection.execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ" if database.is_postgres else "BEGIN"
        )
        yield LogSql(database, connection)
    finally:
        connection.close()
