"""The read models' tables and a thin connection wrapper for SQLite and PostgreSQL.

The read models live in the same database as the event log. SQL is written once with ``?``
placeholders; the PostgreSQL wrapper converts them. Dates are stored as ISO text
(``YYYY-MM-DD``) and knowledge times as compact UTC text (``YYYYMMDDHHMMSS``, followed by
``ffffff`` only when the microseconds are not zero: ``utc_text``), so both sort correctly as
text on both backends; ``OPEN_DAY`` / ``OPEN_TIME`` stand for "not yet" and sort after every
real date and time (even 9999-12-31). Knowledge times are compared, never shown: a report
shows a fact's ``recorded_at`` as it was given.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from storage.cipher import META_TABLE, EncryptionRefused, TextCipher, verdict
from storage.connections import connect_in_schema, connect_sqlite, reconnected
from storage.event_log import position_query
from storage.locks import setup_lock
from storage.urls import Database

if TYPE_CHECKING:
    import psycopg

OPEN_DAY = "9999-99-99"

TABLES: dict[str, str] = {
    # Where each member is on the roster: one row per interval of an unchanged position.
    "rm_spans": (
        "member TEXT NOT NULL, row_key BIGINT NOT NULL, scope TEXT NOT NULL, "
        "org TEXT NOT NULL, to_org TEXT, status TEXT NOT NULL, since TEXT NOT NULL, "
        "dossier_on TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, "
        "known_from TEXT NOT NULL, known_to TEXT NOT NULL"
    ),
    # The facts the annual report counts, with the member's roster scope before and after.
    "rm_events": (
        "member TEXT NOT NULL, row_key BIGINT NOT NULL, fact_id TEXT NOT NULL, "
        "type TEXT NOT NULL, on_day TEXT NOT NULL, scope_before TEXT, scope_after TEXT, "
        "readmitted INTEGER NOT NULL, female INTEGER NOT NULL, youth_union INTEGER NOT NULL, "
        "private_business_owner INTEGER NOT NULL, population_policy_violation INTEGER NOT NULL, "
        "occupation TEXT, years INTEGER, dossier_on TEXT NOT NULL, "
        "known_from TEXT NOT NULL, known_to TEXT NOT NULL"
    ),
    # The member view's state, one row per day on which it changed.
    "rm_states": (
        "member TEXT NOT NULL, row_key BIGINT NOT NULL, status TEXT NOT NULL, standing TEXT, "
        "org TEXT, to_org TEXT, first_admission TEXT, gap_days INTEGER NOT NULL, "
        "frozen_on TEXT, badges TEXT NOT NULL, exempt INTEGER NOT NULL, away INTEGER NOT NULL, "
        "probation_start TEXT, entry_fact TEXT, away_since TEXT, away_fact TEXT, "
        "transfer_fact TEXT, transfer_on TEXT, party_from TEXT, badge_mask INTEGER NOT NULL, "
        "valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, "
        "known_from TEXT NOT NULL, known_to TEXT NOT NULL"
    ),
    # Every member fact with its retracted / anomaly flags as known at each time.
    "rm_facts": (
        "member TEXT NOT NULL, row_key BIGINT NOT NULL, fact_id TEXT NOT NULL, "
        "type TEXT NOT NULL, on_day TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "seq INTEGER NOT NULL, retracted INTEGER NOT NULL, anomaly INTEGER NOT NULL, "
        "org TEXT, scope_before TEXT, scope_after TEXT, recorded_on TEXT NOT NULL, "
        "recorded_by TEXT, delay INTEGER NOT NULL, known_from TEXT NOT NULL, "
        "known_to TEXT NOT NULL"
    ),
    # The org tree: materialised paths make a subtree a range of text. A path is its orgs'
    # registration positions in base 36 ("/1/2s/5k/", runner.path_segment), not their ids:
    # paths fill the scope columns of most rows and indexes, and ids repeat their parents'.
    "rm_orgs": (
        "org TEXT PRIMARY KEY, parent TEXT, path TEXT NOT NULL, name TEXT NOT NULL, "
        "registered_on TEXT NOT NULL, dissolved_on TEXT"
    ),
    # Histories that cannot be derived (quarantined members: member set) and org facts that
    # cannot be applied (member ''), with the fact named and why; see derive._quarantined.
    "rm_unreadable": (
        "member TEXT NOT NULL, row_key BIGINT NOT NULL, fact_id TEXT, org TEXT, scope TEXT, "
        "detail TEXT NOT NULL, known_from TEXT NOT NULL, known_to TEXT NOT NULL"
    ),
    # Each member's name as last given (admission or arrival) with its accent-folded search
    # key, and the org an admission or arrival last placed it in.
    "rm_members": "member TEXT PRIMARY KEY, name TEXT, search_key TEXT, org TEXT",
    # The fact log: every stored fact in commit order (position = notification id), the event
    # that holds it (originator, version), the member and orgs it concerns (path a: the
    # member's org; path b: the destination of a transfer out, NULL when it is path a) and
    # whether it has been retracted.
    "rm_log": (
        "position BIGINT NOT NULL, originator TEXT NOT NULL, version INTEGER NOT NULL, "
        "fact_id TEXT NOT NULL, type TEXT NOT NULL, member TEXT, org TEXT, path_a TEXT, "
        "path_b TEXT, on_day TEXT NOT NULL, recorded_utc TEXT NOT NULL, "
        "recorded_at TEXT NOT NULL, retracted INTEGER NOT NULL, target TEXT"
    ),
    # The annual report's parts as known now, for the orgs at the top of the tree
    # (projections.tallies): per org and year, how the roster at the year's end differs from
    # the year before's, and what the year's counted facts add to each figure.
    "rm_tally_roster": (
        "path TEXT NOT NULL, year INTEGER NOT NULL, members BIGINT NOT NULL, "
        "in_transit BIGINT NOT NULL, with_dossier BIGINT NOT NULL, PRIMARY KEY (path, year)"
    ),
    "rm_tally_events": (
        "path TEXT NOT NULL, year INTEGER NOT NULL, figure TEXT NOT NULL, n BIGINT NOT NULL, "
        "PRIMARY KEY (path, year, figure)"
    ),
    # Head counts declared by hand (organization.count_declared), for reconciliation.
    "rm_counts": (
        "org TEXT NOT NULL, fact_id TEXT NOT NULL, on_day TEXT NOT NULL, count INTEGER NOT NULL, "
        "known_from TEXT NOT NULL, known_to TEXT NOT NULL"
    ),
}

LATE_DAYS = 30
"""A fact recorded more than this many days after its date is a late report (SPEC §4)."""

# Each index: its columns, optionally followed by " WHERE ..." for a partial index.
INDEXES: dict[str, list[str]] = {
    "rm_spans": [
        # A subtree's roster: a range of scopes.
        "scope, valid_from, valid_to, known_from, known_to, status, dossier_on",
        # The whole tree as known now on a recent date: of the rows known now (known_to open),
        # those still valid on the date are few.
        "known_to, valid_to, valid_from, scope, known_from, status, dossier_on",
        "member, known_to",
        # What changed between two knowledge times (``known_at_one``): the rows closed after
        # the earlier one, and those opened after it and still open, each a range that starts
        # here; covering for the year-end tallies rewound to a time and the auditor's diff.
        "known_to, known_from, valid_to, valid_from, scope, status, dossier_on, member",
        # The quality report: members in transit, without a dossier by a day.
        # (The same leading columns as the index above, over far fewer rows: SQLite's planner
        # then prefers them.)
        "known_to, valid_to, valid_from, scope, known_from WHERE status = 'in_transit'",
        "known_to, dossier_on, valid_to, valid_from, scope, known_from",
    ],
    "rm_events": [
        # Covering: the annual report reads a year of facts without touching the table.
        "on_day, known_to, type, scope_before, scope_after, occupation, years, readmitted, "
        "female, youth_union, private_business_owner, population_policy_violation, dossier_on, "
        "known_from",
        "member, known_to",
    ],
    "rm_states": [
        "member, valid_from",
        "member, known_to",
        # Badges due: the states known now (the current ones first: valid_to open) by the day
        # party age starts counting from, with the badges awarded (a bit per milestone), so
        # due members are found in the index.
        "known_to, valid_to, party_from, valid_from, badge_mask, member",
        # The quality report's members away, and on probation: the states of each only.
        "known_to, valid_to, valid_from WHERE away_since IS NOT NULL",
        "known_to, valid_to, valid_from WHERE probation_start IS NOT NULL",
    ],
    "rm_facts": [
        "member, on_day, seq",
        "member, known_to",
        "on_day, known_to",
        # The quality report's late reports and inert facts: few rows, each kind its own index.
        f"on_day, known_to WHERE delay > {LATE_DAYS}",
        "on_day, known_to WHERE anomaly = 1",
    ],
    "rm_counts": ["org, on_day"],
    # Search results come in key order: walking this index stops after the first matches.
    "rm_members": ["search_key, member"],
    # The log is listed in recording order (recorded_utc, then position).
    "rm_log": [
        "recorded_utc, position",
        "member, recorded_utc, position",
        "fact_id",
        # A subtree over a recording window: a range of paths, then of recording times. Only
        # transfers out have a path b: a partial index (a range on path_b implies NOT NULL).
        "path_a, recorded_utc",
        "path_b, recorded_utc WHERE path_b IS NOT NULL",
    ],
    "rm_unreadable": ["member, known_to"],
}

TRACKING = (
    "CREATE TABLE IF NOT EXISTS rm_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)
TRACKED = "read_models"
"""The read models' row of ``rm_tracking`` (a rebuild's runner tracks its own, suffixed)."""

LAYOUT_VERSION = 11
"""Bumped whenever the read-model tables change shape. Read models are disposable: a database
whose tables have another layout gets them dropped and re-derived from the event log."""


class NotMigrated(LookupError):
    """The database has no read models of this release's layout: ``ledger migrate`` makes them."""


class Store:
    """One connection to the read models' database, with ``?`` placeholders everywhere.

    ``migrate`` creates the tables or upgrades their layout (a writer's or ``ledger migrate``'s
    job); without it the store only checks that they are there, and never runs DDL.

    With the database's cipher key, the person columns (``rm_members.name``,
    ``rm_unreadable.detail``) are written sealed (``seal``) and read back with ``unseal``;
    ``rm_members.search_key`` stays empty. A key that does not fit the ledger is refused
    (``EncryptionRefused``) before any read or write.
    """

    def __init__(self, database: Database, *, migrate: bool = True) -> None:
        self.database = database
        self.is_postgres = database.is_postgres
        key = database.cipher_key
        self.cipher = TextCipher(key) if key else None
        if self.is_postgres:
            self._pg_connection = connect_in_schema(database)
        else:
            self._sqlite = connect_sqlite(database)
        try:
            self.check_encryption()
        except EncryptionRefused:
            self.close()
            raise
        if migrate:
            with setup_lock(database), self.transaction():
                self.ensure_tables()
        else:
            self.check_layout()

    def close(self) -> None:
        """Close the connection."""
        (self._pg_connection if self.is_postgres else self._sqlite).close()

    @property
    def _pg(self) -> psycopg.Connection[tuple[object, ...]]:
        # A connection the server dropped (restart, outage) is replaced before the next
        # statement: a projection worker or an API process outlives the outage.
        self._pg_connection = reconnected(self._pg_connection, self.database)
        return self._pg_connection

    def check_encryption(self) -> None:
        """Raise ``EncryptionRefused`` when this store's key (or its lack) does not fit the
        ledger's stored events (storage.cipher.verdict). Writers check again under the writer
        lock; this check makes a reader fail at once, with the same message."""
        if not self.table_exists(META_TABLE):
            if self.cipher is None:
                return  # a clear ledger, and no key: the usual case costs one query
            meta: dict[str, str] = {}
        else:
            meta = {str(n): str(v) for n, v in self.fetchall("SELECT name, value FROM ledger_meta")}
            if self.cipher is None and not meta:
                return
        problem = verdict(meta, self.cipher, self._log_empty())
        if problem is not None:
            raise EncryptionRefused(problem)

    def _log_empty(self) -> bool:
        events = "ledger_events" if self.is_postgres else "stored_events"
        if not self.table_exists(events):
            return True
        row = self.fetchone(position_query(self.database))
        return not (row and row[0])

    def seal(self, text: str) -> str:
        """``text`` as a person column stores it: encrypted when the ledger is."""
        return self.cipher.seal(text) if self.cipher is not None else text

    def unseal(self, stored: str) -> str:
        """A person column's text as ``seal`` wrote it."""
        return self.cipher.unseal(stored) if self.cipher is not None else stored

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        if self.is_postgres:
            self._pg.execute(self._sql(sql), params)
        else:
            self._sqlite.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        if not rows:
            return
        if self.is_postgres:
            with self._pg.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)
        else:
            self._sqlite.executemany(sql, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query."""
        if self.is_postgres:
            with self._pg.cursor() as cursor:
                cursor.execute(self._sql(sql), params)
                return list(cursor.fetchall())
        return list(self._sqlite.execute(sql, params).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction (SQLite: BEGIN IMMEDIATE, so writers queue instead of failing)."""
        if self.is_postgres:
            with self._pg.transaction():
                yield
            return
        self._sqlite.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._sqlite.execute("ROLLBACK")
            raise
        self._sqlite.execute("COMMIT")

    def behind_log(self, name: str = TRACKED) -> bool:
        """True when the event log holds notifications past the tracking position ``name``.

        One query on this connection (the log is in the same database): finding that there is
        nothing to apply loads neither the projection runner nor the event store.
        """
        return self.log_lag(name) > 0

    def tracked_position(self, name: str = TRACKED) -> int:
        """The last notification the read models (tracking row ``name``) have applied."""
        row = self.fetchone("SELECT position FROM rm_tracking WHERE name = ?", (name,))
        return int(row[0]) if row and row[0] is not None else 0

    def log_lag(self, name: str = TRACKED) -> int:
        """How many notifications the log holds past the tracking position ``name`` (an upper
        bound: PostgreSQL's notification ids can have gaps)."""
        row = self.fetchone(
            f"SELECT ({position_query(self.database)}), "
            "(SELECT position FROM rm_tracking WHERE name = ?)",
            (name,),
        )
        assert row is not None
        return max(0, int(row[0] or 0) - int(row[1] or 0))

    def index_on(self, table: str, leading: str) -> str | None:
        """The name of the full (not partial) index of ``table`` whose first column is
        ``leading`` (SQLite only)."""
        row = self.fetchone(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql LIKE ? "
            "AND sql NOT LIKE '% WHERE %'",
            (table, f"%({leading},%"),
        )
        return str(row[0]) if row else None

    def indexed_by(self, table: str, leading: str) -> str:
        """SQLite's clause choosing the index of ``table`` that starts with ``leading`` (empty
        on PostgreSQL, whose planner has statistics, or when there is no such index). Looked
        up each time: a rebuild in any process renames the indexes."""
        if self.is_postgres:
            return ""
        name = self.index_on(table, leading)
        return f" INDEXED BY {name}" if name else ""

    def analyze(self) -> None:
        """Refresh the planner's statistics after a large change.

        On PostgreSQL also VACUUM, which sets the visibility map that index-only scans need.
        """
        if not self.is_postgres:
            self.execute("ANALYZE")
            return
        for table in TABLES:
            self.execute(f"VACUUM (ANALYZE) {table}")

    def table_exists(self, name: str) -> bool:
        """True when the table exists."""
        if self.is_postgres:
            row = self.fetchone("SELECT to_regclass(?)", (name,))
            return bool(row and row[0])
        return self.fetchone("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)) is not None

    def create_tables(self, suffix: str = "") -> None:
        """Create the read-model tables (named ``NAME + suffix``) and any missing index."""
        for name, columns in TABLES.items():
            table = name + suffix
            if not self.table_exists(table):
                if self.is_postgres:
                    columns = columns.replace(" TEXT", ' TEXT COLLATE "C"')
                self.execute(f"CREATE TABLE {table} ({columns})")
            for index in INDEXES.get(name, []):
                columns, _, where = index.partition(" WHERE ")
                if not self._has_index(table, columns, where):
                    token = uuid.uuid4().hex[:10]
                    partial = f" WHERE {where}" if where else ""
                    self.execute(f"CREATE INDEX ix_{name}_{token} ON {table} ({columns}){partial}")

    def _has_index(self, table: str, columns: str, where: str) -> bool:
        if self.is_postgres:
            rows = self.fetchall(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ?",
                (table,),
            )
        else:
            rows = self.fetchall(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            )
        # A partial index is told apart by its condition's words (PostgreSQL rewrites the
        # condition's text: "WHERE ((status)::text = 'in_transit'::text)").
        words = re.findall(r"\w+", where)
        return any(
            f"({columns})" in sql
            and (all(w in sql for w in words) if where else " WHERE " not in sql.upper())
            for sql in (str(row[0]) for row in rows)
        )

    def drop_tables(self, suffix: str) -> None:
        """Drop the read-model tables named ``NAME + suffix``."""
        for name in TABLES:
            self.execute(f"DROP TABLE IF EXISTS {name + suffix}")

    def rename_tables(self, from_suffix: str, to_suffix: str) -> None:
        """Rename ``NAME + from_suffix`` to ``NAME + to_suffix`` for every read-model table."""
        for name in TABLES:
            self.execute(f"ALTER TABLE {name + from_suffix} RENAME TO {name + to_suffix}")

    def check_layout(self) -> None:
        """Raise ``NotMigrated`` unless the read models exist with this release's layout."""
        found = None
        if self.table_exists("rm_layout"):
            row = self.fetchone("SELECT max(version) FROM rm_layout")
            found = row[0] if row else None
        if found != LAYOUT_VERSION:
            state = "none" if found is None else f"layout {found}"
            raise NotMigrated(
                f"the database holds no read models of layout {LAYOUT_VERSION} ({state}): "
                "run 'ledger migrate' (or 'ledger import', which migrates)"
            )

    def ensure_tables(self) -> None:
        """Create the tables and the tracking table on first use; reset an outdated layout."""
        self.execute(TRACKING)
        self.execute("CREATE TABLE IF NOT EXISTS rm_layout (version INTEGER NOT NULL)")
        row = self.fetchone("SELECT max(version) FROM rm_layout")
        found = row[0] if row else None
        if found != LAYOUT_VERSION:
            # Tables of another layout (or none yet): start the read models from scratch.
            self.drop_tables("")
            self.drop_tables("_rebuild")
            self.execute("DELETE FROM rm_tracking")
            self.execute("DELETE FROM rm_layout")
            self.execute("INSERT INTO rm_layout (version) VALUES (?)", (LAYOUT_VERSION,))
        self.create_tables()
