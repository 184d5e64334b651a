"""Writers in other processes, racing writers and a crash in the middle of an import."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from commands import record as record_module
from commands.application import LedgerApplication, Reads
from commands.record import _Batch, import_facts, record_fact
from commands.schema import parse_object
from ledger.events import member_uuid
from tests.support import Clock, admitted, at, fact

ROOT = Path(__file__).resolve().parents[2]


def _history(members: int) -> list[str]:
    lines = [
        {"type": "organization.registered", "on": "1990-01-01", "org": "hp", "name": "HP",
         "parent": None, "recorded_at": at("1990-01-01")},
        {"type": "organization.registered", "on": "1990-01-01", "org": "c1", "name": "C1",
         "parent": "hp", "recorded_at": at("1990-01-01")},
    ]  # fmt: skip
    for n in range(members):
        lines.append(admitted(f"m{n:05d}", "c1", "2020-01-02"))
        lines.append(
            {"type": "member.probation_completed", "on": "2021-01-04", "member": f"m{n:05d}",
             "recorded_at": at("2021-01-05")}
        )  # fmt: skip
    return [json.dumps(line) for line in lines]


def _stored_fact_count(app: LedgerApplication) -> int:
    """Facts in the event log: every stored event is one fact."""
    position = app.recorder.max_notification_id() or 0
    return len(app.recorder.select_notifications(start=1, limit=position + 1))


def test_two_writers_racing_with_the_same_fact_cannot_both_win(database_url: str) -> None:
    clock = Clock(datetime.fromisoformat("2026-01-01T12:00:00+07:00"))
    first = LedgerApplication(database_url, clock=clock)
    second = LedgerApplication(database_url, clock=clock)
    try:
        import_facts(first, _history(0))
        fact = parse_object(admitted("m1", "c1", "2020-01-02"))
        # Both validate against the same stored state (no lock taken: a writer that bypasses
        # it), then both try to commit. The store's keys let exactly one of them in.
        batch_one, batch_two = _Batch(first, [fact]), _Batch(second, [fact])
        assert batch_one.apply(fact) == "accepted"
        assert batch_two.apply(fact) == "accepted"
        batch_one.commit()
        with pytest.raises(IntegrityError):
            batch_two.commit()
        member = second.member("m1")
        assert member is not None
        assert [f.id for f in member.facts] == [fact.id]
    finally:
        first.close()
        second.close()


def test_two_processes_importing_the_same_file_store_each_fact_once(
    database_url: str, tmp_path: Path
) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(_history(300)) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "api.cli", "import", str(history), "--json", "--db",
               database_url]  # fmt: skip
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in "ab"]
    summaries = [json.loads(run.communicate(timeout=300)[0]) for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    total = len(_history(300))
    assert sum(s["accepted"] for s in summaries) == total
    assert sum(s["duplicates"] for s in summaries) == total
    app = LedgerApplication(database_url)
    try:
        assert _stored_fact_count(app) == total
    finally:
        app.close()


CRASHING_IMPORT = textwrap.dedent(
    """
    import sys
    from commands.application import LedgerApplication
    from commands.record import import_facts

    app = LedgerApplication(sys.argv[1])
    done = 0

    def report(n):
        global done
        done += n
        print(done, flush=True)

    with open(sys.argv[2], "rb") as lines:
        import_facts(app, lines, batch_size=50, progress=report)
    """
)


def test_a_crash_in_the_middle_of_an_import_loses_nothing_reported_as_accepted(
    database_url: str, tmp_path: Path
) -> None:
    history = tmp_path / "history.jsonl"
    lines = _history(1500)
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-c", CRASHING_IMPORT, database_url, str(history)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None
    reported = 0
    for line in run.stdout:
        reported = int(line)
        if reported >= 400:
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=60)
    assert 400 <= reported < len(lines), "the import must be killed mid-way"

    app = LedgerApplication(database_url)
    try:
        stored = _stored_fact_count(app)
        assert stored >= reported
        summary = import_facts(app, lines)
        assert summary.rejected == 0
        assert summary.duplicates == stored
        assert summary.accepted == len(lines) - stored
        assert _stored_fact_count(app) == len(lines)
    finally:
        app.close()


def _racing(app: LedgerApplication, other: LedgerApplication, line: dict[str, object]) -> None:
    """Make ``other`` record ``line`` while ``app`` validates its next batch without the lock
    (after it read the store, before it takes the lock to commit)."""
    validating = app.validating

    @contextmanager
    def racing() -> Iterator[Reads | None]:
        with validating() as reads:
            assert reads is not None, "the batch must be validated without the lock"
            yield reads
        record_fact(other, line)

    app.validating = racing  # type: ignore[method-assign]


def test_a_batch_validated_without_the_lock_is_validated_again_when_an_org_it_read_changed(
    database_url: str,
) -> None:
    clock = Clock(datetime.fromisoformat("2026-01-01T12:00:00+07:00"))
    first = LedgerApplication(database_url, clock=clock)
    second = LedgerApplication(database_url, clock=clock)
    c2 = {"type": "organization.registered", "on": "1990-01-01", "org": "c2", "name": "C2",
          "parent": "hp", "recorded_at": at("1990-01-01")}  # fmt: skip
    try:
        import_facts(first, [*_history(1), json.dumps(c2)])
        # The other writer dissolves c2 while `first` validates an admission into it against
        # the org as it was. The store's keys cannot see this one (the admission writes
        # nothing of c2's): the admission must be validated again, and refused.
        dissolved = {"type": "organization.dissolved", "on": "2021-01-01", "org": "c2",
                     "recorded_at": at("2021-01-01")}  # fmt: skip
        _racing(first, second, dissolved)
        summary = import_facts(first, [json.dumps(admitted("m9", "c2", "2021-06-01"))])
        assert (summary.accepted, summary.rejected) == (0, 1)
        assert summary.rejects[0].error == "org_inactive"
        assert first.member("m9") is None
    finally:
        first.close()
        second.close()


def test_a_write_to_other_aggregates_lets_the_batch_commit_and_leaves_the_rest_cached(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(datetime.fromisoformat("2026-01-01T12:00:00+07:00"))
    first = LedgerApplication(database_url, clock=clock)
    second = LedgerApplication(database_url, clock=clock)
    again: list[int] = []
    under_lock = record_module._validate_and_commit
    monkeypatch.setattr(
        record_module,
        "_validate_and_commit",
        lambda *args: again.append(1) or under_lock(*args),
    )
    try:
        import_facts(first, _history(3))  # the first batch under the lock: no mode checked yet
        again.clear()
        _racing(first, second, fact("died", "m00001", "2021-06-01"))
        summary = import_facts(first, [json.dumps(fact("resigned", "m00000", "2021-07-01"))])
        assert (summary.accepted, summary.rejected) == (1, 0), summary.rejects
        assert not again, "nothing the batch read changed: committed as validated"
        # The member the other writer changed is no longer cached; the others still are.
        assert member_uuid("m00001") not in first._cache
        assert member_uuid("m00002") in first._cache
        # …so that its next fact is checked against its death.
        summary = import_facts(first, [json.dumps(fact("resigned", "m00001", "2021-07-01"))])
        assert summary.rejected == 1
    finally:
        first.close()
        second.close()
