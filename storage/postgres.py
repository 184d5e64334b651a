"""PostgreSQL: the recorder with the ledger's key tables and hash chain (see ``storage.sqlite``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import DictRow, dict_row
from psycopg.sql import SQL, Identifier

from storage.chain import Chain, ChainTable, append_links, link_unlinked
from storage.keys import FactRow, KnownFact, LinkRow


def _one_attempt(method: Callable[..., Any]) -> Callable[..., Any]:
    """The library's recorder method without its retry decorator.

    The library tries a read ten times on a lost connection, each attempt waiting for the pool
    up to the connect timeout: while the server was down, an import validating a batch (its
    reads are outside the writer lock) or a request hung for a minute and more before it could
    say "database unavailable". The caller reports the failure (503, a one-line message, a
    worker that waits and tries again), so one attempt is what every interface wants.
    """
    unwrapped: Callable[..., Any] = method.__wrapped__  # type: ignore[attr-defined]
    return unwrapped


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL recorder that also writes the fact-id keys, org links and the hash chain."""

    select_events = _one_attempt(PostgresApplicationRecorder.select_events)
    select_notifications = _one_attempt(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _one_attempt(PostgresApplicationRecorder.max_notification_id)

    chain: Chain | None = None
    """Set by the application once its mapper exists (the links hash decrypted content)."""

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
                SQL(
                    "CREATE TABLE IF NOT EXISTS {}.ledger_chain (position bigint PRIMARY KEY, "
                    "seq bigint NOT NULL, link bytea NOT NULL)"
                ).format(schema),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {}.ledger_meta (name text PRIMARY KEY, "
                    "value text NOT NULL)"
                ).format(schema),
            ]
        )
        events = Identifier(self.events_table_name)
        self.chain_table = ChainTable(
            last=SQL(
                "SELECT position, seq, link FROM {}.ledger_chain ORDER BY position DESC LIMIT 1"
            ).format(schema),
            before=SQL(
                "SELECT max(notification_id) AS position FROM {}.{} WHERE notification_id < %s"
            ).format(schema, events),
            insert=SQL(
                "INSERT INTO {}.ledger_chain SELECT * FROM unnest(%s::bigint[], %s::bigint[], "
                "%s::bytea[])"
            ).format(schema),
            unlinked=SQL(
                "SELECT notification_id AS position, originator_id, originator_version, topic, "
                "state FROM {}.{} WHERE notification_id > %s ORDER BY notification_id LIMIT 5000"
            ).format(schema, events),
            columns=True,
        )
        # Each batch's rows as one array per column: one statement per table and batch, the
        # arrays sent in binary (no per-row statement, no text escaping of the states).
        self._insert_event_columns = SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::{}[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id"
        ).format(schema, events, Identifier(datastore.originator_id_type))
        self._insert_facts = SQL(
            "INSERT INTO {}.ledger_facts SELECT * FROM unnest(%s::text[], %s::text[], "
            "%s::text[], %s::text[])"
        ).format(schema)
        self._insert_links = SQL(
            "INSERT INTO {}.ledger_links SELECT * FROM unnest(%s::text[], %s::text[]) "
            "ON CONFLICT DO NOTHING"
        ).format(schema)
        self._select_facts = SQL("SELECT * FROM {}.ledger_facts WHERE fact_id = ANY(%s)").format(
            schema
        )
        self._select_written = SQL(
            "SELECT DISTINCT originator_id FROM {}.{} "
            "WHERE notification_id > %s AND notification_id <= %s"
        ).format(schema, events)
        self._select_links = SQL(
            "SELECT subject FROM {}.ledger_links WHERE org = %s ORDER BY subject"
        ).format(schema)
        self._meta_exists = SQL("SELECT to_regclass({})").format(
            f'"{datastore.schema}".ledger_meta'
        )
        self._select_meta = SQL("SELECT name, value FROM {}.ledger_meta").format(schema)
        self._delete_meta = SQL("DELETE FROM {}.ledger_meta").format(schema)
        self._insert_meta = SQL("INSERT INTO {}.ledger_meta VALUES (%s, %s)").format(schema)
        self._select_events_of = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema, Identifier(self.events_table_name))

    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        fact_rows: Sequence[FactRow] = (),
        links: Sequence[LinkRow] = (),
        contents: Sequence[bytes] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """Insert the events, their key rows and their links in one transaction, in one attempt.

        Each table gets one statement per batch, its rows sent as one array per column, in
        binary: the library's insert sends the events as an array of a composite type written
        out as text (each state escaped by a regular expression, in Python), and executemany
        sends one statement per key row and per link; together they were half of an import's
        time. The order and the lock are the library's: the table lock (``EXCLUSIVE``: insert
        order is commit order, for readers tailing the log), the events, whose notification ids
        come back in the order of the array, then the keys and the chain's links.

        One attempt: the library retries an insert that failed on a lost connection ten times,
        each attempt waiting for the pool, so a write caught by a server outage hung for most
        of a minute while every other write queued behind it. Retrying is the caller's
        business: a commit whose answer was lost may have happened, and the writer lock taken
        on another connection is gone with the server. The caller reports the failure (503 in
        the API, a message from the command line); sending the fact again is safe (its id).
        """
        if not stored_events:
            return None
        if self.chain is None:
            raise RuntimeError("the recorder writes no event without its chain (set .chain)")
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        # The library's connection errors become its own (IntegrityError for a clashing
        # version or fact id: the whole transaction is rolled back).
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor(binary=True) as curs:
                for statement in self.lock_table_statements:
                    curs.execute(statement, prepare=True)
                self._notify_channel(curs)
                curs.execute(self._insert_event_columns, columns)
                ids = [row["notification_id"] for row in curs.fetchall()]
                if len(ids) != len(stored_events):
                    raise RuntimeError(f"{len(ids)} notification ids for {len(stored_events)}")
                if fact_rows:
                    curs.execute(self._insert_facts, _columns(fact_rows))
                if links:
                    curs.execute(self._insert_links, _columns(links))
            with conn.cursor(row_factory=dict_row, binary=True) as chain:
                append_links(chain, self.chain_table, self.chain, ids, stored_events, contents)
        return ids

    def link_unlinked(self, progress: Callable[[int], None] | None = None) -> int:
        """Link the events written before the chain existed (``ledger migrate``); how many."""
        assert self.chain is not None
        return link_unlinked(self._locked, self.chain_table, self.chain, progress)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Any]:
        """A transaction in which no event may be inserted (the library's table lock)."""
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            yield curs

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

    def select_written_between(self, after: int, upto: int) -> set[UUID]:
        """The aggregates with an event at a position in (``after``, ``upto``]."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_written, (after, upto))
            return {UUID(str(r["originator_id"])) for r in curs.fetchall()}

    def select_links(self, org: str) -> list[str]:
        """Subjects (``member:ID`` or ``org:ID``) that ever referenced ``org``."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_links, (org,))
            return [r["subject"] for r in curs.fetchall()]

    def select_meta(self) -> dict[str, str] | None:
        """The ``ledger_meta`` rows (storage.cipher), or None when the table is not there."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._meta_exists)
            found = curs.fetchone()
            if found is None or next(iter(found.values())) is None:
                return None
            curs.execute(self._select_meta)
            return {r["name"]: r["value"] for r in curs.fetchall()}

    def replace_meta(self, rows: dict[str, str]) -> None:
        """Make ``rows`` the whole of ``ledger_meta``."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._delete_meta)
            curs.executemany(self._insert_meta, list(rows.items()))


def _columns(rows: Sequence[tuple[str, ...]]) -> list[list[str]]:
    """Rows as one list per column."""
    return [list(column) for column in zip(*rows, strict=True)]
