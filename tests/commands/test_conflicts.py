"""Conflicting facts for the same member from concurrent writers: exactly one wins.

Writers are threads (each with its own ``LedgerApplication``) or separate processes, released
together for each member so that their facts interleave. A writer that bypasses the writer
lock and keeps losing the race to commit gets a clean ``conflict`` refusal, never a raw
storage error. (``test_concurrency`` covers duplicates of one fact and whole-file races.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from fastapi.testclient import TestClient

from api.http.app import create_app
from commands.application import LedgerApplication
from commands.record import COMMIT_ATTEMPTS, _Batch, import_facts, record_fact
from commands.schema import parse_object
from ledger import state
from ledger.errors import LedgerError
from ledger.timeline import active_timeline, replay
from tests.api.example import run
from tests.support import admitted, at

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 20


def _orgs() -> list[dict[str, Any]]:
    orgs = [("hp", None), ("c1", "hp"), ("c2", "hp"), ("c3", "hp")]
    return [
        {"id": f"reg-{org}", "type": "organization.registered", "on": "1990-01-01", "org": org,
         "name": org.upper(), "parent": parent, "recorded_at": at("1990-01-01")}
        for org, parent in orgs
    ]  # fmt: skip


def _setup(url: str, members: list[str]) -> None:
    facts = _orgs() + [admitted(m, "c1", "2020-01-02") for m in members]
    app = LedgerApplication(url)
    try:
        summary = import_facts(app, [json.dumps(f) for f in facts])
        assert summary.rejected == 0, summary.rejects
    finally:
        app.close()


def _fact(kind: str, fact_id: str, member: str, on: str, **fields: Any) -> dict[str, Any]:
    # No recorded_at: each writer's clock reads "now" under the lock, as a live writer does.
    return {"id": fact_id, "type": f"member.{kind}", "on": on, "member": member, **fields}


def _answer(app: LedgerApplication, fact: dict[str, Any]) -> str:
    """``accepted``, ``duplicate`` or the refusal's code."""
    try:
        return record_fact(app, fact)
    except LedgerError as err:
        return err.code


def race_threads(url: str, writers: list[list[dict[str, Any]]]) -> list[list[str]]:
    """Each writer (a thread with its own application) records its facts in turn; the writers
    are released together before each round, so their facts for one member race."""
    rounds = len(writers[0])
    barrier = threading.Barrier(len(writers))
    answers: list[list[str]] = [[] for _ in writers]
    failures: list[BaseException] = []

    def write(index: int) -> None:
        app = LedgerApplication(url)
        try:
            for fact in writers[index]:
                barrier.wait(timeout=60)
                answers[index].append(_answer(app, fact))
        except BaseException as err:  # reported by the test, not lost in the thread
            failures.append(err)
            barrier.abort()
        finally:
            app.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert all(len(a) == rounds for a in answers)
    return answers


WRITER = textwrap.dedent(
    """
    import json, sys
    from commands.application import LedgerApplication
    from commands.record import record_fact
    from ledger.errors import LedgerError

    app = LedgerApplication(sys.argv[1])
    print("ready", flush=True)
    for fact in json.loads(sys.argv[2]):
        sys.stdin.readline()  # released together with the other writers, fact by fact
        try:
            answer = record_fact(app, fact)
        except LedgerError as err:
            answer = err.code
        print(json.dumps(answer), flush=True)
    app.close()
    """
)


def race_processes(url: str, writers: list[list[dict[str, Any]]]) -> list[list[str]]:
    """Each writer is a process; all are released at once for each round."""
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    runs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, json.dumps(facts)], cwd=ROOT, **pipes)
        for facts in writers
    ]
    answers: list[list[str]] = [[] for _ in writers]
    try:
        for writer in runs:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        for _ in writers[0]:
            for writer in runs:
                assert writer.stdin is not None
                writer.stdin.write("go\n")
                writer.stdin.flush()
            for index, writer in enumerate(runs):
                assert writer.stdout is not None
                answers[index].append(json.loads(writer.stdout.readline()))
    finally:
        for writer in runs:
            writer.communicate(timeout=120)
    assert [writer.returncode for writer in runs] == [0] * len(runs)
    return answers


@pytest.fixture(params=["threads", "processes"])
def race(request: pytest.FixtureRequest) -> Any:
    """Concurrent writers as threads of one process, or as separate processes."""
    return race_threads if request.param == "threads" else race_processes


def _stored_ids(url: str) -> Iterator[str]:
    app = LedgerApplication(url)
    try:
        position = app.recorder.max_notification_id() or 0
        for item in app.recorder.select_notifications(start=1, limit=position + 1):
            event: Any = app.mapper.to_domain_event(item)
            yield event.fact_id
    finally:
        app.close()


def _members(url: str, ids: list[str]) -> dict[str, Any]:
    app = LedgerApplication(url)
    try:
        found = {m: app.member(m) for m in ids}
        # The member's state now, its facts in recording order, and those made inert by a death.
        return {m: (a.current().state, [f.id for f in a.facts],
                    replay(active_timeline(a.facts)).inert_ids)
                for m, a in found.items() if a is not None}  # fmt: skip
    finally:
        app.close()


def test_two_transfers_out_of_one_member_exactly_one_wins(database_url: str, race: Any) -> None:
    members = [f"m{n:02d}" for n in range(MEMBERS)]
    _setup(database_url, members)
    writers = [
        [_fact("transferred_out", f"out-{org}-{m}", m, "2024-03-01", to_org=org) for m in members]
        for org in ("c2", "c3")
    ]
    answers = race(database_url, writers)
    views = _members(database_url, members)
    for n, member in enumerate(members):
        pair = sorted([answers[0][n], answers[1][n]])
        assert pair == ["accepted", "in_transit"], (member, pair)
        winner = "c2" if answers[0][n] == "accepted" else "c3"
        member_state, fact_ids, _ = views[member]
        assert member_state.phase == state.IN_TRANSIT and member_state.to_org == winner
        assert [f for f in fact_ids if f.startswith("out-")] == [f"out-{winner}-{member}"]


def test_a_death_racing_a_later_transfer_out_always_wins(database_url: str, race: Any) -> None:
    """SPEC §3: a death is accepted whenever the member was a member on its date, even if later
    facts exist; those stay in the log, inert, reported as anomalies. So the death wins every
    race: the transfer-out dated after it is refused (``not_member``) when the death came
    first, or stored but inert when it came first itself. Either way the member is dead."""
    members = [f"m{n:02d}" for n in range(MEMBERS)]
    _setup(database_url, members)
    deaths = [_fact("died", f"died-{m}", m, "2024-05-01") for m in members]
    transfers = [_fact("transferred_out", f"out-{m}", m, "2024-05-10", to_org="c2")
                 for m in members]  # fmt: skip
    answers = race(database_url, [deaths, transfers])
    views = _members(database_url, members)
    assert answers[0] == ["accepted"] * MEMBERS
    for n, member in enumerate(members):
        member_state, fact_ids, inert = views[member]
        assert member_state.phase == state.DEAD and member_state.died_on.isoformat() == "2024-05-01"
        if answers[1][n] == "accepted":
            assert fact_ids.index(f"out-{member}") < fact_ids.index(f"died-{member}")
            assert inert == {f"out-{member}"}
        else:
            assert answers[1][n] == "not_member"
            assert f"out-{member}" not in fact_ids and not inert


def _admission(member: str, org: str) -> dict[str, Any]:
    fact = {**admitted(member, org, "2024-02-01"), "id": f"adm-{org}-{member}"}
    del fact["recorded_at"]
    return fact


def test_two_admissions_of_one_new_member_exactly_one_wins(database_url: str, race: Any) -> None:
    members = [f"n{n:02d}" for n in range(MEMBERS)]
    _setup(database_url, [])
    writers = [[_admission(m, org) for m in members] for org in ("c1", "c2")]
    answers = race(database_url, writers)
    views = _members(database_url, members)
    for n, member in enumerate(members):
        assert sorted([answers[0][n], answers[1][n]]) == ["accepted", "already_member"]
        winner = "c1" if answers[0][n] == "accepted" else "c2"
        member_state, fact_ids, _ = views[member]
        assert fact_ids == [f"adm-{winner}-{member}"] and member_state.org == winner


# --- a writer that bypasses the lock and keeps losing -----------------------------------------


class Interloper:
    """A second writer that bypasses the writer lock and commits a dossier entry for the same
    member just before the loser's every commit (an aggregate version conflict)."""

    def __init__(self, url: str, member: str, times: int) -> None:
        self.app = LedgerApplication(url)
        self.member = member
        self.left = times
        self.ids: list[str] = []

    def strike(self) -> None:
        if self.left == 0:
            return
        self.left -= 1
        fact_id = f"dossier-{len(self.ids)}"
        fact = parse_object(_fact("dossier_recorded", fact_id, self.member, "2024-01-10"))
        batch = _Batch(self.app, [fact])
        assert batch.apply(fact) == "accepted"
        batch.commit()
        self.ids.append(fact_id)


@pytest.fixture
def loser(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LedgerApplication, Interloper]]:
    _setup(database_url, ["m1"])
    app = LedgerApplication(database_url)
    interloper = Interloper(database_url, "m1", COMMIT_ATTEMPTS)
    commit = app.commit

    def commit_after_the_interloper(*args: Any, **kwargs: Any) -> None:
        interloper.strike()
        commit(*args, **kwargs)

    monkeypatch.setattr(app, "commit", commit_after_the_interloper)
    try:
        yield app, interloper
    finally:
        app.close()
        interloper.app.close()


def test_a_writer_that_keeps_losing_gets_a_clean_conflict(
    loser: tuple[LedgerApplication, Interloper], database_url: str
) -> None:
    app, interloper = loser
    with pytest.raises(LedgerError) as refused:
        record_fact(app, _fact("went_away", "away-1", "m1", "2024-02-01"))
    assert refused.value.code == "conflict" and refused.value.fact == "away-1"
    assert "submit the fact again" in refused.value.message
    assert interloper.ids == [f"dossier-{n}" for n in range(COMMIT_ATTEMPTS)]
    _, fact_ids, _ = _members(database_url, ["m1"])["m1"]
    assert "away-1" not in fact_ids and fact_ids[-COMMIT_ATTEMPTS:] == interloper.ids
    # Submitted again once the other writer is done, the fact is checked afresh and stored.
    assert record_fact(app, _fact("went_away", "away-1", "m1", "2024-02-01")) == "accepted"


def test_a_writer_that_loses_once_is_revalidated_and_wins(
    loser: tuple[LedgerApplication, Interloper], database_url: str
) -> None:
    app, interloper = loser
    interloper.left = 1
    assert record_fact(app, _fact("went_away", "away-1", "m1", "2024-02-01")) == "accepted"
    _, fact_ids, _ = _members(database_url, ["m1"])["m1"]
    assert fact_ids[-2:] == ["dossier-0", "away-1"]


def test_an_import_batch_that_keeps_losing_refuses_its_facts_with_conflict(
    loser: tuple[LedgerApplication, Interloper], database_url: str
) -> None:
    app, _ = loser
    lines = [
        json.dumps(_fact("went_away", "away-1", "m1", "2024-02-01")),
        json.dumps(admitted("m1", "c1", "2020-01-02")),  # already stored: a duplicate
        json.dumps(_fact("died", "died-9", "nobody", "2024-02-01")),  # refused by the rules
    ]
    summary = import_facts(app, lines)
    assert (summary.accepted, summary.duplicates, summary.rejected) == (0, 1, 2)
    assert [(r.line, r.id, r.error) for r in summary.rejects] == [
        (1, "away-1", "conflict"),
        (3, "died-9", "not_member"),
    ]
    assert "away-1" not in set(_stored_ids(database_url))


@pytest.mark.parametrize("route", ["/facts", "/facts/batch"])
def test_the_api_answers_a_lost_race_with_409_conflict_never_500(
    database_url: str, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    _setup(database_url, ["m1"])
    run("migrate", "--db", database_url)  # the read models' tables, which the API needs

    def always_loses(self: LedgerApplication, *args: Any, **kwargs: Any) -> None:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(LedgerApplication, "commit", always_loses)
    now = datetime(2026, 1, 1, 12).astimezone()
    body = json.dumps(_fact("went_away", "away-1", "m1", "2024-02-01"))
    with TestClient(create_app(database_url, clock=lambda: now, auth=False)) as client:
        answer = client.post(route, content=body, headers={"content-type": "application/x-ndjson"})
    if route == "/facts":
        assert answer.status_code == 409
        assert answer.json()["error"] == "conflict" and answer.json()["fact"] == "away-1"
        assert "submit the fact again" in answer.json()["message"]
    else:
        assert answer.status_code == 200
        assert [r["error"] for r in answer.json()["rejects"]] == ["conflict"]
