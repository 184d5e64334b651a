"""Storage wiring: database URLs, the orjson transcoder, and recorders with the ledger's keys.

Besides the library's ``stored_events`` table, two tables are written *in the same
transaction* as the events (the recorder's ``_insert_events`` hook):

- ``ledger_facts``: one row per accepted fact id (primary key), with its subject, type and
  content digest. The primary key makes the fact id unique across writers: of two writers
  racing with the same fact, one commits, the other's transaction fails and is retried.
- ``ledger_links``: (org, subject) pairs, so that dissolving an org finds the members that
  ever referenced it and its child orgs without scanning the log.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import StoredEvent, Transcoder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson; dates and date-times keep their Python types."""

    def encode(self, obj: Any) -> bytes:
        """Encode ``obj``; dates and date-times become tagged ISO strings."""
        return orjson.dumps(obj, default=_tag, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def decode(self, data: bytes) -> Any:
        """Decode bytes written by ``encode``."""
        return _untag(orjson.loads(data))


def _tag(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return {"_type_": "datetime", "_data_": obj.isoformat()}
    if isinstance(obj, date):
        return {"_type_": "date", "_data_": obj.isoformat()}
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _untag(obj: Any) -> Any:
    kind = type(obj)
    if kind is dict:
        tag = obj.get("_type_")
        if tag is not None and len(obj) == 2:
            if tag == "date":
                return date.fromisoformat(obj["_data_"])
            if tag == "datetime":
                return datetime.fromisoformat(obj["_data_"])
        # Only containers are walked into: most values are plain strings and numbers.
        return {k: _untag(v) if type(v) is dict or type(v) is list else v for k, v in obj.items()}
    if kind is list:
        return [_untag(v) if type(v) is dict or type(v) is list else v for v in obj]
    return obj


FactRow = tuple[str, str, str, str]  # fact_id, subject, type, digest
LinkRow = tuple[str, str]  # org, subject


class KnownFact(NamedTuple):
    """What the key table says of a stored fact id."""

    fact_id: str
    subject: str
    type: str
    digest: str


SQLITE_CACHE_KIB = 131_072
"""Page cache per SQLite connection: a city's log is hundreds of MB and its keys are random."""


SQLITE_PAGE_BYTES = 16_384
"""Page size of a new SQLite database. Events and read-model rows land on random pages of
large indexes; bigger pages mean a third fewer page writes (and system calls) per commit."""


def sqlite_lock_path(name: str) -> str:
    """The file whose ``flock`` serialises the writers of the SQLite database ``name``."""
    return f"{name}.lock"


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


class LedgerSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, with a page cache sized for a city's event log."""

    def __init__(self, env: Any) -> None:
        name = env.get("SQLITE_DBNAME")
        if name and "mode=memory" not in name:
            create_sqlite_file(name)
        super().__init__(env)
        pool: Any = self.datastore.pool
        create = pool._create_connection

        def connect() -> Any:
            connection = create()
            connection._sqlite_conn.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            return connection

        pool._create_connection = connect


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite recorder that also writes the fact-id keys and org links."""

    def construct_create_table_statements(self) -> list[str]:
        """The library's tables plus the ledger's key tables."""
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS ledger_facts (fact_id TEXT PRIMARY KEY, "
            "subject TEXT NOT NULL, type TEXT NOT NULL, digest TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_links (org TEXT NOT NULL, subject TEXT NOT NULL, "
            "PRIMARY KEY (org, subject)) WITHOUT ROWID",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        fact_rows: Sequence[FactRow] = (),
        links: Sequence[LinkRow] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # One executemany instead of one statement per event. The INSERT comes first, so the
        # transaction takes the write lock before it reads anything (a read first could go
        # stale under a concurrent writer); the new rowids are then the last ones inserted.
        c.executemany(
            self.insert_events_statement,
            [
                (
                    e.originator_id.hex if isinstance(e.originator_id, UUID) else e.originator_id,
                    e.originator_version,
                    e.topic,
                    e.state,
                )
                for e in stored_events
            ],
        )
        c.execute("SELECT last_insert_rowid()")
        last = int(c.fetchone()[0])
        ids: Sequence[int] = range(last - len(stored_events) + 1, last + 1)
        if fact_rows:
            c.executemany("INSERT INTO ledger_facts VALUES (?, ?, ?, ?)", fact_rows)
        if links:
            c.executemany("INSERT OR IGNORE INTO ledger_links VALUES (?, ?)", links)
        return ids

    def select_known_facts(self, fact_ids: Sequence[str]) -> dict[str, KnownFact]:
        """The stored facts among ``fact_ids``."""
        found: dict[str, KnownFact] = {}
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(fact_ids, 500):
                marks = ",".join("?" * len(chunk))
                c.execute(f"SELECT * FROM ledger_facts WHERE fact_id IN ({marks})", chunk)
                for row in c.fetchall():
                    found[row[0]] = KnownFact(row[0], row[1], row[2], row[3])
        return found

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of the given aggregates, in (aggregate, version) order."""
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks([i.hex for i in originator_ids], 500):
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

    def select_links(self, org: str) -> list[str]:
        """Subjects (``member:ID`` or ``org:ID``) that ever referenced ``org``."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT subject FROM ledger_links WHERE org = ? ORDER BY subject", (org,))
            return [row[0] for row in c.fetchall()]


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL recorder that also writes the fact-id keys and org links."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(datastore.schema)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {}.ledger_facts (fact_id text PRIMARY KEY, "
                    "subject text NOT NULL, type text NOT NULL, digest text NOT NULL)"
                ).format(schema),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {}.ledger_links (org text NOT NULL, "
                    "subject text NOT NULL, PRIMARY KEY (org, subject))"
                ).format(schema),
            ]
        )
        self._insert_fact = SQL("INSERT INTO {}.ledger_facts VALUES (%s, %s, %s, %s)").format(
            schema
        )
        self._insert_link = SQL(
            "INSERT INTO {}.ledger_links VALUES (%s, %s) ON CONFLICT DO NOTHING"
        ).format(schema)
        self._select_facts = SQL("SELECT * FROM {}.ledger_facts WHERE fact_id = ANY(%s)").format(
            schema
        )
        self._select_links = SQL(
            "SELECT subject FROM {}.ledger_links WHERE org = %s ORDER BY subject"
        ).format(schema)
        self._select_events_of = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema, Identifier(self.events_table_name))

    def _insert_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        *,
        fact_rows: Sequence[FactRow] = (),
        links: Sequence[LinkRow] = (),
        **kwargs: Any,
    ) -> None:
        if fact_rows:
            curs.executemany(self._insert_fact, fact_rows)
        if links:
            curs.executemany(self._insert_link, links)

    def select_known_facts(self, fact_ids: Sequence[str]) -> dict[str, KnownFact]:
        """The stored facts among ``fact_ids``."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_facts, (list(fact_ids),))
            rows: list[DictRow] = curs.fetchall()
        return {
            r["fact_id"]: KnownFact(r["fact_id"], r["subject"], r["type"], r["digest"])
            for r in rows
        }

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of the given aggregates, in (aggregate, version) order."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_events_of, (list(originator_ids),))
            return [
                StoredEvent(
                    r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
                )
                for r in curs.fetchall()
            ]

    def select_links(self, org: str) -> list[str]:
        """Subjects (``member:ID`` or ``org:ID``) that ever referenced ``org``."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_links, (org,))
            return [r["subject"] for r in curs.fetchall()]


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class Database:
    """A parsed ``LEDGER_DATABASE_URL``: the library environment and the writer lock to use."""

    url: str
    env: dict[str, str]
    lock_path: str | None
    is_postgres: bool


def redacted_url(url: str) -> str:
    """``url`` with its password hidden, for messages.

    The user information ends at the *last* ``@`` of the text, so a password holding an
    unencoded ``/``, ``@``, ``:`` or ``%`` is hidden whole, however the URL parser would read it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


def scrubbed(text: str, url: str) -> str:
    """``text`` (an error message, say) with the URL and every form of its password hidden."""
    text = text.replace(url, redacted_url(url))
    _, sep, rest = url.partition("://")
    if sep and "@" in rest:
        password = rest.rpartition("@")[0].partition(":")[2]
        for secret in {password, unquote(password)}:
            if len(secret) >= 3:  # "***" itself, or a character that common, hides nothing
                text = text.replace(secret, "***")
    return text


def parse_database_url(url: str) -> Database:
    """Turn ``sqlite:///PATH`` or ``postgresql://user:pw@host:port/db[?schema=S]`` into settings.

    Errors never repeat the password (``ValueError`` with a redacted URL).
    """
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path or "\x00" in path:
            raise ValueError(f"bad SQLite URL {redacted_url(url)!r}: expected sqlite:///PATH")
        memory = path == ":memory:"
        env = {
            "PERSISTENCE_MODULE": "commands.persistence:LedgerSQLiteFactory",
            "SQLITE_DBNAME": "file:ledger?mode=memory&cache=shared" if memory else path,
            "APPLICATION_RECORDER_TOPIC": "commands.persistence:LedgerSQLiteRecorder",
            "SQLITE_LOCK_TIMEOUT": "30",
        }
        return Database(url, env, None if memory else sqlite_lock_path(path), False)
    if parsed.scheme in ("postgresql", "postgres"):
        try:
            port = parsed.port
        except ValueError:
            raise ValueError(
                f"bad PostgreSQL URL {redacted_url(url)!r}: the port is not a number (a password "
                "holding '/', '@', ':' or '%' must be percent-encoded, e.g. '/' as %2F)"
            ) from None
        query = parse_qs(parsed.query)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "APPLICATION_RECORDER_TOPIC": "commands.persistence:LedgerPostgresRecorder",
            "POSTGRES_LOCK_TIMEOUT": "30",
            # The library's stored-function insert path skips the hook that writes our keys.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        }
        return Database(url, env, None, True)
    raise ValueError(
        f"unsupported database URL {redacted_url(url)!r}: use sqlite:///PATH or postgresql://…"
    )


def database_files(database: Database) -> list[str]:
    """The files of a SQLite database (with its WAL, shared memory, journal and lock files)."""
    if database.is_postgres or database.lock_path is None:
        return []
    name = database.env["SQLITE_DBNAME"]
    return [name, f"{name}-wal", f"{name}-shm", f"{name}-journal", database.lock_path]


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
    env = database.env
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        try:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(env["POSTGRES_SCHEMA"]))
            )
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
