"""A database out of reach, simulated in-process (the outage tests stop a real server): the
API's 503 with Retry-After for reads and writes, its recovery on the next request, a 500 kept
for errors that are not an outage; the command line's one line and status 2."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from api.bootstrap import Ledger
from api.http import writes
from api.http.app import create_app
from api.http.pool import LedgerPool
from tests.api.test_cli import org
from tests.faults.support import run_ledger
from tests.faults.throwaway import free_port
from tests.support import admitted


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run_ledger("migrate", "--db", url).returncode == 0
    app = create_app(url, auth=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        assert test_client.post("/facts", json=org("hp", None)).status_code == 201
        yield test_client


def _unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"] == "unavailable"
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "outage",
    [
        psycopg.OperationalError("server closed the connection unexpectedly"),
        OperationalError("connection failed: Connection refused"),
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_a_write_that_cannot_reach_the_database_is_503_and_the_next_one_succeeds(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, outage: Exception
) -> None:
    def lost(*args: object, **kwargs: object) -> None:
        raise outage

    with monkeypatch.context() as patched:
        patched.setattr(writes, "record_fact", lost)
        response = client.post("/facts", json=admitted("m1", "hp", "2020-03-01", id="a1"))
    _unavailable(response)
    # The message names no host, port or driver text.
    assert str(outage) not in response.json()["message"]
    # Sent again once the database answers: stored once.
    again = client.post("/facts", json=admitted("m1", "hp", "2020-03-01", id="a1"))
    assert again.status_code == 201
    assert client.get("/members/m1").status_code == 200


def test_a_read_that_cannot_reach_the_database_is_503_and_health_still_answers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]

    def unreachable() -> Ledger:
        raise psycopg.OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(service, "readers", LedgerPool(unreachable, 2))
        _unavailable(client.get("/orgs/hp/roster"))
        _unavailable(client.get("/facts"))
        assert client.get("/health").status_code == 200


def test_a_database_error_that_is_not_an_outage_stays_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise psycopg.ProgrammingError("syntax error at or near SELEC")

    monkeypatch.setattr(writes, "record_fact", bug)
    response = client.post("/facts", json=admitted("m1", "hp", "2020-03-01"))
    assert response.status_code == 500
    assert "SELEC" not in response.text


def test_the_command_line_reports_an_unreachable_server_in_one_line() -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/ledger"
    result = run_ledger("facts", "--db", url)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ledger: cannot open the database postgresql://postgres:***@")
    assert "s3cret" not in result.stderr


class _FakeLedger:
    """What the pool needs of a ledger: something to close."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_after_an_outage_the_readers_pool_keeps_no_ledger_opened_before_it() -> None:
    opened: list[_FakeLedger] = []

    def opener() -> Ledger:
        opened.append(_FakeLedger())
        return opened[-1]  # type: ignore[return-value]

    pool = LedgerPool(opener, 3)
    with pool.borrow(), pool.borrow(), pool.borrow():
        pass  # three ledgers, idle now
    with pytest.raises(psycopg.OperationalError), pool.borrow():
        raise psycopg.OperationalError("server closed the connection unexpectedly")
    assert [ledger.closed for ledger in opened] == [True, True, True]
    with pool.borrow() as ledger:
        assert id(ledger) == id(opened[3])  # a new one: the first request after the outage succeeds
    # An error that is not an outage drops only the ledger that failed.
    with pool.borrow(), pool.borrow():
        pass  # two idle ledgers: opened[3] and opened[4]
    with pytest.raises(ValueError), pool.borrow():
        raise ValueError("a bug")
    assert [ledger.closed for ledger in opened[3:]] == [True, False]
    pool.close()
