"""The read side asks whether the log moved on without the library: ``position_query`` must
say what the library's recorder says, on both backends (its table names are the library's)."""

from __future__ import annotations

from datetime import date

from api.bootstrap import Ledger
from commands.application import LedgerApplication
from commands.record import record_fact
from projections.store import Store
from storage.event_log import position_query
from tests.support import admitted

REGISTERED = {"type": "organization.registered", "on": "2000-01-01", "org": "hp",
              "name": "HP", "parent": None, "id": "reg-hp",
              "recorded_at": "2000-01-01T09:00:00+07:00"}  # fmt: skip


def test_the_position_query_names_the_recorders_own_table(database_url: str) -> None:
    app = LedgerApplication(database_url)
    try:
        table = app.keys.events_table_name
        assert f" FROM {table}" in position_query(app.database)
    finally:
        app.close()


def test_the_position_query_answers_what_the_recorder_answers(database_url: str) -> None:
    app = LedgerApplication(database_url)
    store = Store(app.database)
    try:
        for expected in (None, 1, 2):
            row = store.fetchone(position_query(app.database))
            assert row is not None
            assert row[0] == app.recorder.max_notification_id() == expected
            if expected == 1:
                record_fact(app, admitted("m1", "hp", "2001-01-01", id="adm-m1"))
            else:
                record_fact(app, REGISTERED)
    finally:
        store.close()
        app.close()


def test_a_reader_on_up_to_date_read_models_does_not_open_the_event_store(
    database_url: str,
) -> None:
    writer = Ledger(database_url, migrate=True)
    try:
        record_fact(writer.app, REGISTERED)
        writer.models.fresh()
    finally:
        writer.close()
    reader = Ledger(database_url, migrate=False)
    try:
        assert roster_of_hp(reader) == {"org": "hp", "count": 0}
        assert reader._app is None  # nor did it load the library (tests/api/test_cli_basics.py)
    finally:
        reader.close()


def test_a_reader_behind_the_log_opens_it_and_catches_up(database_url: str) -> None:
    writer = Ledger(database_url, migrate=True)
    reader = Ledger(database_url, migrate=False)
    try:
        record_fact(writer.app, REGISTERED)  # after the reader opened: it is behind now
        assert roster_of_hp(reader) == {"org": "hp", "count": 0}
        assert reader._app is not None
    finally:
        reader.close()
        writer.close()


def roster_of_hp(ledger: Ledger) -> dict[str, object]:
    roster = ledger.models.roster("hp", as_of=date(2020, 1, 1), known_at=None, label="now")
    return {"org": roster.org, "count": roster.count}
