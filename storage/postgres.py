"""PostgreSQL: the recorder with the ledger's key tables (see ``storage.sqlite``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from storage.keys import FactRow, KnownFact, LinkRow


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
                SQL(
                    "CREATE TABLE IF NOT EXISTS {}.ledger_meta (name text PRIMARY KEY, "
                    "value text NOT NULL)"
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

    def _insert_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        *,
        fact_rows: Sequence[FactRow] = (),
        links: Sequence[LinkRow] = (),
        **kwargs: Any,
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
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
