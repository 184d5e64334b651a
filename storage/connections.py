"""Plain connections to the ledger's database, for what the event store's pool does not do:
the read models and the set-up lock. One place opens them, for every interface.

psycopg is imported when a PostgreSQL connection is opened, not before: a command on a SQLite
database never loads it (it was a fifth of such a command's start-up).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from storage.urls import CONNECT_TIMEOUT_SECONDS, Database

if TYPE_CHECKING:
    import psycopg

SQLITE_CACHE_KIB = 131_072
"""Page cache per SQLite connection: a city's log is hundreds of MB and its keys are random."""


def connect_postgres(database: Database) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the URL's PostgreSQL database, in the URL's schema."""
    import psycopg

    env = database.env
    connection = psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    return connection


def connect_in_schema(database: Database) -> psycopg.Connection[tuple[object, ...]]:
    """``connect_postgres`` with the search path set to the URL's schema (the read models',
    the tokens')."""
    connection = connect_postgres(database)
    connection.execute(f'SET search_path TO "{database.env["POSTGRES_SCHEMA"]}"')
    return connection


def reconnected(
    connection: psycopg.Connection[tuple[object, ...]], database: Database
) -> psycopg.Connection[tuple[object, ...]]:
    """``connection``, or a new one in its place when the server dropped it.

    After a restart or an outage of the server, the first statement on the old connection
    fails (the caller reports it: 503 in the API) and marks it broken; the next one gets a new
    connection here, so a long-lived process recovers by itself once the server is back.
    """
    if connection.broken or connection.closed:
        connection.close()
        return connect_in_schema(database)
    return connection


def connect_sqlite(database: Database) -> sqlite3.Connection:
    """A connection to the URL's SQLite file in autocommit mode, WAL, with a large page cache.

    Its writes (the read models: derived and rebuildable) use ``synchronous=NORMAL``: a power
    cut may cost their last batch, which the runner redoes, never their consistency. The
    event log's own connections keep full sync.

    The connection may move between threads (the HTTP API's pool lends a ledger to one request
    at a time, on whichever worker thread runs it); it is never used by two at once.
    """
    connection = sqlite3.connect(
        database.env["SQLITE_DBNAME"],
        uri=True,
        isolation_level=None,
        timeout=30,
        check_same_thread=False,
    )
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    return connection
