"""PostgreSQL stopped under a write load: the API answers 503 with Retry-After while it is
down, recovers by itself when it is back, and every fact it acknowledged is in the log once.

The server is a throwaway one (``tests.faults.throwaway``: initdb in a temporary folder, its
own port), never the machine's. ``make test`` runs these after the main suite
(``-m outage``); with LEDGER_REQUIRE_POSTGRES=1 (CI) a machine without ``initdb`` fails them.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from projections.store import Store
from storage.urls import parse_database_url
from tests.conftest import REQUIRE_POSTGRES
from tests.faults.support import (
    ROOT,
    assert_read_models_equal_a_rebuild,
    ledger_command,
    logged_fact_ids,
    run_ledger,
)
from tests.faults.throwaway import ThrowawayPostgres, find_bin, free_port
from tests.support import admitted, at

pytestmark = pytest.mark.outage

WRITERS = 4
DEADLINE = 60.0
"""Seconds any one phase may take before the test gives up (a hang, not a measurement)."""


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    """A throwaway PostgreSQL server, started; stopped and removed whatever happens."""
    bin_dir = find_bin()
    if bin_dir is None:
        message = "no initdb/pg_ctl on this machine (PostgreSQL server binaries)"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    server = ThrowawayPostgres(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def api(postgres: ThrowawayPostgres) -> Iterator[str]:
    """``ledger serve --no-auth`` over the throwaway server; its base URL."""
    migrated = run_ledger("migrate", "--db", postgres.url)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    server = subprocess.Popen(
        ledger_command("serve", "--no-auth", "--port", str(port)),
        cwd=ROOT,
        env={**os.environ, "LEDGER_DATABASE_URL": postgres.url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base), "the API to start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(condition: object, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``DEADLINE`` seconds."""
    assert callable(condition)
    give_up = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.05)


@dataclass
class Load:
    """Writers POSTing new facts, each with its own id, recording every answer; a fact answered
    503 is sent again (as the docs tell a client to) until it is acknowledged."""

    base: str
    answers: list[tuple[str, int, httpx.Response]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def writer(self, number: int) -> None:
        with httpx.Client(base_url=self.base, timeout=DEADLINE) as client:
            n = 0
            while not self.stop.is_set():
                member = f"w{number}-{n:05d}"
                fact = {"id": f"fact-{member}", **admitted(member, "hp", "2020-01-02")}
                while not self.stop.is_set():
                    response = client.post("/facts", json=fact)
                    with self.lock:
                        self.answers.append((fact["id"], response.status_code, response))
                    if response.status_code != 503:
                        break
                    time.sleep(0.02)  # a patient client waits Retry-After; this one less
                n += 1

    def count(self, *statuses: int) -> int:
        with self.lock:
            return sum(1 for _, code, _ in self.answers if code in statuses)

    def acknowledged(self) -> set[str]:
        with self.lock:
            return {fact for fact, code, _ in self.answers if code in (200, 201)}


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["error"] == "unavailable"
    assert "Traceback" not in body["message"]


def _stored(postgres: ThrowawayPostgres, pattern: str) -> int:
    """Facts whose id matches ``pattern`` (SQL LIKE) in the fact keys, committed."""
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM ledger_facts WHERE fact_id LIKE %s", (pattern,)
        ).fetchone()
    return int(row[0]) if row else 0


def _projected(postgres: ThrowawayPostgres) -> int:
    """The position the read models have reached (0 before the first batch)."""
    store = Store(parse_database_url(postgres.url), migrate=False)
    try:
        return store.tracked_position()
    finally:
        store.close()


def _import_file(path: Path, facts: int) -> int:
    lines = [
        json.dumps({"id": f"fact-i{n:05d}", **admitted(f"i{n:05d}", "hp", "2020-01-02")})
        for n in range(facts)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return facts


def test_an_outage_under_a_write_load_is_503_then_recovers_losing_nothing(
    postgres: ThrowawayPostgres, api: str, tmp_path: Path
) -> None:
    client = httpx.Client(base_url=api, timeout=DEADLINE)
    # A projection worker and a command-line import run through the outage too. The worker
    # alone projects the first fact (a write does not; a read would): once that is in the read
    # models, the worker is running.
    follower = subprocess.Popen(
        ledger_command("project", "--follow", "--db", postgres.url),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    registered = client.post("/facts", json={
        "id": "org-hp", "type": "organization.registered", "on": "1990-01-01", "org": "hp",
        "name": "HP", "parent": None, "recorded_at": at("1990-01-01"),
    })  # fmt: skip
    assert registered.status_code == 201, registered.text
    wait_until(lambda: _projected(postgres) > 0, "the projection worker's first batch")
    assert client.get("/facts", params={"limit": 1}).status_code == 200  # a pooled reader
    history = tmp_path / "import.jsonl"
    imported = _import_file(history, 2000)
    importing = subprocess.Popen(
        ledger_command("import", str(history), "--batch-size", "10", "--db", postgres.url),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    load = Load(api)
    writers = [threading.Thread(target=load.writer, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    try:
        wait_until(lambda: load.count(201) >= 50, "facts accepted before the outage")
        wait_until(lambda: _stored(postgres, "fact-i%") >= 20, "the import's first batches")
        assert importing.poll() is None, "the import must still be running at the outage"
        postgres.stop("immediate")  # as a crash of the server: no shutdown checkpoint
        down_from = len(load.answers)
        wait_until(lambda: load.count(503) >= 20, "503 answers while the database is down")
        # Reads are unavailable too; the process itself still answers.
        _unavailable(client.get("/facts"))
        _unavailable(client.get("/orgs/hp/roster"))
        assert client.get("/health").status_code == 200
        # The command line stops with one clear line and status 2.
        _, import_errors = importing.communicate(timeout=DEADLINE)
        assert importing.returncode == 2, import_errors
        assert "Traceback" not in import_errors
        assert import_errors.splitlines()[-1].startswith("ledger: database unavailable (")
        accepted_before = load.count(200, 201)
        postgres.start()
        # No restart of the API: its connections come back by themselves.
        wait_until(lambda: load.count(200, 201) >= accepted_before + 50, "writes after")
    finally:
        load.stop.set()
        for thread in writers:
            thread.join(timeout=DEADLINE)
        if importing.poll() is None:
            importing.kill()
    reads = [client.get("/facts", params={"limit": 1}) for _ in range(3)]
    assert [r.status_code for r in reads] == [200, 200, 200]

    statuses = {code for _, code, _ in load.answers}
    assert statuses <= {200, 201, 503}, f"unexpected answers: {sorted(statuses)}"
    for _, code, response in load.answers[down_from:]:
        if code == 503:
            _unavailable(response)

    # The import, run again, stores the rest and counts what it stored before as duplicates.
    again = run_ledger("import", str(history), "--json", "--db", postgres.url)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["rejected"] == 0
    assert summary["accepted"] + summary["duplicates"] == imported

    # Every fact acknowledged before, during or after the outage is in the log, exactly once;
    # a fact answered 503 may or may not be (its client sends it again).
    logged = logged_fact_ids(postgres.url)
    assert len(logged) == len(set(logged)), "a fact is in the log twice"
    missing = load.acknowledged() - set(logged)
    assert not missing, f"acknowledged but not in the log: {sorted(missing)[:5]}"
    sent = {fact for fact, _, _ in load.answers}
    assert set(logged) <= sent | {"org-hp"} | {f"fact-i{n:05d}" for n in range(imported)}
    assert len(logged) == 1 + imported + len(load.acknowledged()) + len(
        (sent - load.acknowledged()) & set(logged)
    )

    # The projection worker waited the outage out and reaches a rebuild's read models.
    end = len(logged)
    store = Store(parse_database_url(postgres.url), migrate=False)
    try:
        wait_until(lambda: follower.poll() is not None or store.log_lag() == 0, "the worker")
        assert follower.poll() is None, follower.communicate()[1]
    finally:
        store.close()
        follower.terminate()  # stopping a follower at any moment is safe
        _, worker_errors = follower.communicate(timeout=DEADLINE)
    assert "Traceback" not in worker_errors
    assert_read_models_equal_a_rebuild(postgres.url)
    print(
        f"outage run: {end} facts in the log, {len(load.acknowledged())} acknowledged by the "
        f"API, {load.count(503)} answers 503, 1 server crash (stop -m immediate), "
        f"1 import cut off, 0 facts lost"
    )
