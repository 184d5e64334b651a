"""The eventsourcing library's extension points the ledger relies on, pinned.

Some of them are private (a leading underscore) or undocumented. Each test here fails on a
library upgrade that changes the contract, instead of the ledger failing somewhere far away.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from uuid import uuid4

import orjson
import pytest

from commands.application import LedgerApplication
from commands.record import record_fact
from projections.queries import ReadModels
from storage.packing import unpack
from storage.sqlite import SQLITE_CACHE_KIB, LedgerSQLitePool
from tests.conftest import fresh_schema
from tests.support import admitted


def test_the_sqlite_pool_is_ours_and_its_connections_wrap_sqlite3_with_our_cache(
    tmp_path: object,
) -> None:
    app = LedgerApplication(f"sqlite:///{tmp_path}/x.db")
    try:
        datastore = app.keys.datastore
        pool = datastore.pool  # type: ignore[union-attr]
        assert isinstance(pool, LedgerSQLitePool)
        with datastore.transaction(commit=False) as cursor:  # type: ignore[union-attr]
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -SQLITE_CACHE_KIB
        connection = pool._create_connection()
        assert isinstance(connection._sqlite_conn, sqlite3.Connection)
        connection.close()
    finally:
        app.close()


def test_the_insert_hook_receives_the_key_rows_in_the_events_transaction(
    database_url: str,
) -> None:
    # Application.events.put(..., **kwargs) passes its keyword arguments down to the
    # recorder's _insert_events hook: our key rows are written with the events, or not at all.
    app = LedgerApplication(database_url)
    try:
        record_fact(app, {"type": "organization.registered", "on": "2000-01-01", "org": "hp",
                          "name": "HP", "parent": None, "id": "reg-hp",
                          "recorded_at": "2000-01-01T09:00:00+07:00"})  # fmt: skip
        record_fact(app, admitted("m1", "hp", "2001-01-01", id="adm-m1"))
        assert set(app.known_facts(["reg-hp", "adm-m1"])) == {"reg-hp", "adm-m1"}
        assert app.links("hp") == ["member:m1"]
        notifications = app.event_log.notifications(0, 10)
        assert [n.id for n in notifications] == [1, 2]  # the ids the hook's super() returned
    finally:
        app.close()


def test_the_environment_comes_from_the_url_alone(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Application.__init__ builds its settings through construct_env(name, env).
    monkeypatch.setenv("LEDGER_PERSISTENCE_MODULE", "eventsourcing.popo")
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.popo")
    monkeypatch.setenv("LEDGER_SQLITE_DBNAME", f"/tmp/{uuid4().hex}.db")
    app = LedgerApplication(database_url)
    try:
        assert type(app.recorder).__module__.startswith("storage.")
        assert "LEDGER_SQLITE_DBNAME" not in app.env
    finally:
        app.close()


def test_a_reader_creates_no_table(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    app = LedgerApplication(url, create_tables=False)  # CREATE_TABLE=no is honoured
    app.close()
    with sqlite3.connect(f"{tmp_path}/empty.db") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


def test_events_stored_before_recorded_by_existed_still_decode(tmp_path: Path) -> None:
    # A log written by an earlier version: its fact events have no recorded_by. They decode,
    # their facts have recorded_by None, and the read models derive them.
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = LedgerApplication(url)
    org = {"type": "organization.registered", "on": "2000-01-01", "org": "hp", "name": "HP",
           "parent": None, "recorded_at": "2000-01-01T09:00:00+07:00", "id": "reg-hp"}  # fmt: skip
    record_fact(app, org, recorded_by="cli:someone")
    record_fact(app, admitted("m1", "hp", "2020-03-01", id="adm-m1"), recorded_by="cli:someone")
    app.close()
    with sqlite3.connect(tmp_path / "old.db") as conn:
        rows = conn.execute("SELECT rowid, state FROM stored_events").fetchall()
        for rowid, state in rows:
            data = orjson.loads(unpack(state))  # an earlier version wrote plain JSON
            assert data.pop("recorded_by") == "cli:someone"
            conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                         (orjson.dumps(data), rowid))  # fmt: skip
    app = LedgerApplication(url)
    models = ReadModels(app.event_log)
    try:
        member = app.member("m1")
        assert member is not None and member.facts[0].recorded_by is None
        assert models.recorders("m1", known_at=None) == {}
        view = models.member("m1", as_of=date(2021, 1, 1), known_at=None, label="now")
        assert view.status == "probationary"
    finally:
        models.close()
        app.close()


def test_a_postgresql_read_or_write_that_loses_its_connection_is_tried_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The library retries these ten times, each attempt waiting for the pool: an import cut off
    # by a server crash hung for over a minute before saying "database unavailable" (seen in
    # CI). The ledger's recorder tries once; the caller reports the outage.
    from eventsourcing.persistence import OperationalError

    with fresh_schema() as url:
        app = LedgerApplication(url)
        try:
            recorder = app.keys
            attempts: list[str] = []

            def lost(*_: object, **__: object) -> None:
                attempts.append("connect")
                raise OperationalError("server closed the connection unexpectedly")

            monkeypatch.setattr(recorder.datastore, "get_connection", lost)
            monkeypatch.setattr("eventsourcing.utils.sleep", lambda _: None)
            calls = {
                "select_events": lambda: recorder.select_events(uuid4()),
                "select_notifications": lambda: recorder.select_notifications(1, 10),
                "max_notification_id": recorder.max_notification_id,
                "select_known_facts": lambda: recorder.select_known_facts(["x"]),
            }
            for name, call in calls.items():
                attempts.clear()
                with pytest.raises(OperationalError):
                    call()
                assert attempts == ["connect"], name
        finally:
            monkeypatch.undo()
            app.close()
