"""Shared fixtures: a ledger on SQLite and on PostgreSQL, with a clock the test controls.

PostgreSQL tests run whenever the server answers; with LEDGER_REQUIRE_POSTGRES=1 (set by CI)
an unreachable server fails them instead of skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from commands.application import LedgerApplication
from projections.queries import ReadModels
from tests.support import Clock, LedgerHarness

POSTGRES_URL = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/ledger_test"
)
REQUIRE_POSTGRES = os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1"


def _postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as err:
        return str(err).strip() or type(err).__name__


_PG_PROBLEM: str | bool | None = False


def postgres_url_for(schema: str) -> str:
    """The test database URL with its own schema."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}schema={schema}"


def require_postgres() -> None:
    """Skip (locally) or fail (CI) when PostgreSQL does not answer."""
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_available()
    if _PG_PROBLEM:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but unreachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL unreachable: {_PG_PROBLEM}")


def drop_schema(schema: str) -> None:
    """Remove a test schema and everything in it."""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def fresh_schema() -> Iterator[str]:
    """The URL of a new PostgreSQL schema of the test database, dropped afterwards (skips, or
    fails in CI, when PostgreSQL does not answer)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield postgres_url_for(schema)
    finally:
        drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    with fresh_schema() as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    """A clock that stands still at 2026-01-01 12:00 +07:00 until a test moves it."""
    return Clock(datetime.fromisoformat("2026-01-01T12:00:00+07:00"))


@pytest.fixture
def app(database_url: str, clock: Clock) -> Iterator[LedgerApplication]:
    """A ledger application on a fresh database."""
    application = LedgerApplication(database_url, clock=clock)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def models(app: LedgerApplication) -> Iterator[ReadModels]:
    """The read models of the ``app`` fixture's database, closed after the test."""
    read_models = ReadModels(app.event_log)
    try:
        yield read_models
    finally:
        read_models.close()


@pytest.fixture
def ledger(app: LedgerApplication, clock: Clock) -> LedgerHarness:
    """Records facts in a few words and says how each was answered."""
    return LedgerHarness(app, clock)
