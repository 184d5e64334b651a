"""API tokens: a name, a role, a scope (an org subtree), and the SHA-256 of a secret.

A token is ``ledger_<id>_<secret>``: the id finds the row, the secret is compared by its hash in
constant time. The secret itself is never stored and is shown once, when the token is created.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.connections import connect_in_schema, connect_sqlite, reconnected
from storage.locks import setup_lock
from storage.urls import Database

ROLES = ("reader", "registrar", "admin")
TOKEN = re.compile(r"^ledger_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
NAME = re.compile(r"^[A-Za-z0-9._ -]{1,64}$")

TABLE = (
    "CREATE TABLE IF NOT EXISTS ledger_tokens (token_id TEXT PRIMARY KEY, "
    "name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, scope TEXT NOT NULL, "
    "secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as stored (without its secret)."""

    token_id: str
    name: str
    role: str
    scope: str | None
    """The org whose subtree the token covers; None: the whole ledger (an admin, or a reader
    such as a downstream system reading the event feed; never a registrar)."""
    created_at: str
    revoked_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.token_id, "name": self.name, "role": self.role, "scope": self.scope,
            "created_at": self.created_at, "revoked_at": self.revoked_at,
        }  # fmt: skip


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


def _record(row: Sequence[Any]) -> TokenRecord:
    token_id, name, role, scope, created_at, revoked_at = row
    return TokenRecord(token_id, name, role, scope or None, created_at, revoked_at)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """The tokens of one ledger database."""

    COLUMNS = "token_id, name, role, scope, created_at, revoked_at"

    def __init__(self, database: Database, *, migrate: bool) -> None:
        self.database = database
        if database.is_postgres:
            self._pg = connect_in_schema(database)
        else:
            self._sqlite = connect_sqlite(database)
        if migrate:
            with setup_lock(database):
                self._execute(TABLE)
        self.ready = migrate or self._table_exists()

    def _table_exists(self) -> bool:
        if self.database.is_postgres:
            rows = self._execute("SELECT to_regclass('ledger_tokens') IS NOT NULL")
            return bool(rows[0][0])
        rows = self._execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_tokens'"
        )
        return bool(rows)

    def close(self) -> None:
        (self._pg if self.database.is_postgres else self._sqlite).close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.database.is_postgres:
            self._pg = reconnected(self._pg, self.database)  # after an outage of the server
            cursor = self._pg.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []
        return self._sqlite.execute(sql, params).fetchall()

    def create(
        self, name: str, role: str, scope: str | None, now: datetime
    ) -> tuple[TokenRecord, str]:
        """A new token; returns its record and the token text (shown once, never stored)."""
        if not NAME.match(name):
            raise TokenError(
                f"a token name is 1 to 64 letters, digits, spaces, '.', '_' or '-', not {name!r}"
            )
        if role not in ROLES:
            raise TokenError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
        if scope is None and role == "registrar":
            raise TokenError("a registrar token needs a scope (an org)")
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        record = TokenRecord(token_id, name, role, scope, now.isoformat(), None)
        try:
            self._execute(
                "INSERT INTO ledger_tokens (token_id, name, role, scope, secret_sha256, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, name, role, scope or "", _digest(secret), record.created_at),
            )
        except (sqlite3.IntegrityError, self._pg_integrity_error()) as err:
            raise TokenError(f"a token named {name!r} exists already") from err
        return record, f"ledger_{token_id}_{secret}"

    def _pg_integrity_error(self) -> type[Exception]:
        if not self.database.is_postgres:
            return sqlite3.IntegrityError
        import psycopg

        return psycopg.errors.UniqueViolation

    def verify(self, token: str) -> TokenRecord | None:
        """The live token this text proves, or None (unknown, wrong secret, revoked)."""
        match = TOKEN.match(token)
        if match is None or not self.ready:  # no table yet: no token was ever created
            return None
        token_id, secret = match.groups()
        rows = self._execute(
            f"SELECT {self.COLUMNS}, secret_sha256 FROM ledger_tokens WHERE token_id = ?",
            (token_id,),
        )
        if not rows:
            return None
        *fields, stored = rows[0]
        record = _record(fields)
        if not hmac.compare_digest(stored, _digest(secret)) or record.revoked_at is not None:
            return None
        return record

    def revoke(self, name: str, now: datetime) -> TokenRecord:
        """Revoke the live token named ``name``."""
        rows = self._execute(
            "UPDATE ledger_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL "
            f"RETURNING {self.COLUMNS}",
            (now.isoformat(), name),
        )
        if not rows:
            raise TokenError(f"no live token is named {name!r}")
        return _record(rows[0])

    def all(self) -> list[TokenRecord]:
        """Every token, live or revoked, by name."""
        if not self.ready:
            return []
        rows = self._execute(f"SELECT {self.COLUMNS} FROM ledger_tokens ORDER BY name")
        return [_record(row) for row in rows]
