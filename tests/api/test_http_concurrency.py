"""Eight concurrent clients of ``ledger serve --workers 2``: the log equals what they were told.

Each client posts, in its own shuffled order, new facts of its own, transfers-out of members
that every client also tries to move (conflicting: one wins, the others are refused) and
dossier entries that every client posts with the same id and content (duplicates). Every
answer is kept; afterwards the event log holds exactly the facts answered 201, each once,
the duplicates once, and none of the refused ones; no request was answered 500.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from commands.application import LedgerApplication
from tests.api.example import run
from tests.api.test_http_serve import free_port
from tests.support import admitted, at

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
SHARED = [f"s{n}" for n in range(6)]


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """``ledger serve --workers 2 --no-auth`` over a ledger of four orgs and the shared
    members; its base URL once it answers."""
    setup = [
        {"id": f"reg-{org}", "type": "organization.registered", "on": "1990-01-01", "org": org,
         "name": org.upper(), "parent": parent, "recorded_at": at("1990-01-01")}
        for org, parent in [("hp", None), ("c1", "hp"), ("c2", "hp"), ("c3", "hp")]
    ] + [admitted(m, "c1", "2020-01-02") for m in SHARED]  # fmt: skip
    history = tmp_path / "setup.jsonl"
    history.write_text("".join(json.dumps(f) + "\n" for f in setup), encoding="utf-8")
    run("import", str(history), "--db", database_url)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
         "--no-auth", "--db", database_url],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health").raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None, "ledger serve exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _plan(client: int) -> list[dict[str, Any]]:
    """One client's facts, shuffled: its own new members, a transfer-out of every shared
    member (to c2 or c3, by client), and every shared member's dossier entry."""
    own = []
    for n in range(3):
        fact = {**admitted(f"k{client}-{n}", "c1", "2024-02-01"), "id": f"adm-k{client}-{n}"}
        del fact["recorded_at"]  # the server's clock stamps it
        own.append(fact)
    moves = [
        {"id": f"out-k{client}-{m}", "type": "member.transferred_out", "on": "2024-03-01",
         "member": m, "to_org": "c2" if client % 2 else "c3"}
        for m in SHARED
    ]  # fmt: skip
    dossiers = [
        {"id": f"dossier-{m}", "type": "member.dossier_recorded", "on": "2024-01-10", "member": m}
        for m in SHARED
    ]
    plan = own + moves + dossiers
    random.Random(client).shuffle(plan)
    return plan


def _stored_ids(url: str) -> list[str]:
    app = LedgerApplication(url)
    try:
        position = app.recorder.max_notification_id() or 0
        items = app.recorder.select_notifications(start=1, limit=position + 1)
        return [app.mapper.to_domain_event(item).fact_id for item in items]  # type: ignore[attr-defined]
    finally:
        app.close()


def test_eight_clients_leave_a_log_equal_to_what_they_were_told(
    server: str, database_url: str
) -> None:
    before = _stored_ids(database_url)
    answers: list[tuple[str, int, dict[str, Any]]] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        try:
            with httpx.Client(base_url=server, timeout=60) as http:
                barrier.wait(timeout=60)
                for fact in _plan(number):
                    answer = http.post("/facts", content=json.dumps(fact))
                    answers.append((fact["id"], answer.status_code, answer.json()))
        except BaseException as err:  # reported by the test, not lost in the thread
            failures.append(err)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert len(answers) == CLIENTS * (3 + 2 * len(SHARED))
    statuses = Counter(status for _, status, _ in answers)
    assert set(statuses) <= {200, 201, 409}, statuses  # above all, no 500

    accepted = [fact for fact, status, _ in answers if status == 201]
    duplicates = {fact for fact, status, _ in answers if status == 200}
    refused = {fact: body["error"] for fact, status, body in answers if status == 409}
    stored = _stored_ids(database_url)[len(before) :]
    # The log holds exactly the facts answered 201, each once, in some order.
    assert sorted(stored) == sorted(accepted) and len(set(stored)) == len(stored)
    assert duplicates <= set(stored)  # a duplicate was stored once, by another client
    assert not set(refused) & set(stored)
    # And the answers are those the rules imply: one transfer-out of each shared member wins,
    # the others are refused as in transit; each dossier entry is stored once.
    for member in SHARED:
        moves = [fact for fact in accepted if fact.endswith(f"-{member}") and "out-" in fact]
        assert len(moves) == 1, (member, moves)
        losers = {f for f in refused if f.startswith("out-") and f.endswith(f"-{member}")}
        assert len(losers) == CLIENTS - 1 and {refused[f] for f in losers} == {"in_transit"}
        assert accepted.count(f"dossier-{member}") == 1
    assert {f"adm-k{c}-{n}" for c in range(CLIENTS) for n in range(3)} <= set(accepted)
