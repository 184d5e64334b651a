"""The projection runner: exactly-once batches, crash recovery, rebuild, read-your-writes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.write_path import synthetic_history
from commands.application import LedgerApplication
from commands.record import import_facts
from ledger.errors import UnknownOrg
from ledger.facts import Fact
from projections.queries import ReadModels
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from projections.store import TABLES, Store
from tests.support import LedgerHarness, admitted
from tests.support import fact as fact_of

ROOT = Path(__file__).resolve().parents[2]


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, sorted, per table."""
    return {
        table: sorted(
            store.fetchall(f"SELECT * FROM {table}"), key=lambda row: [str(v) for v in row]
        )
        for table in TABLES
    }


def rebuilt_snapshot(app: LedgerApplication) -> dict[str, list[tuple[Any, ...]]]:
    store = Store(app.database)
    try:
        rebuild(app.event_log, store)
        return snapshot(store)
    finally:
        store.close()


def test_a_failure_in_the_middle_of_a_batch_leaves_nothing_half_written(
    app: LedgerApplication,
) -> None:
    import_facts(app, synthetic_history(1200))
    store = Store(app.database)
    runner = ProjectionRunner(app.event_log, store, batch_size=300)
    runner.catch_up()  # first batches commit normally
    import_facts(app, synthetic_history(2000)[1200:])
    before = runner.position()
    calls = {"n": 0}
    real = store.executemany

    def failing(sql: str, rows: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # some rows of the batch are already written by now
            raise RuntimeError("power cut")
        real(sql, rows)

    store.executemany = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="power cut"):
        runner.run_batch()
    store.executemany = real  # type: ignore[method-assign]
    assert runner.position() == before
    runner.catch_up()
    assert runner.position() == app.recorder.max_notification_id()
    assert snapshot(store) == rebuilt_snapshot(app)
    store.close()


CATCH_UP = textwrap.dedent(
    """
    import sys
    from commands.application import LedgerApplication
    from projections.runner import ProjectionRunner
    from projections.store import Store

    app = LedgerApplication(sys.argv[1])
    runner = ProjectionRunner(app.event_log, Store(app.database), batch_size=100)
    runner.catch_up(progress=lambda n: print(runner.position(), flush=True))
    """
)


def test_a_runner_killed_mid_catch_up_resumes_to_the_same_result_as_a_rebuild(
    database_url: str,
) -> None:
    app = LedgerApplication(database_url)
    try:
        import_facts(app, synthetic_history(3000))
        run = subprocess.Popen(
            [sys.executable, "-c", CATCH_UP, database_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert run.stdout is not None
        seen = 0
        for line in run.stdout:
            seen = int(line)
            if seen >= 1000:
                run.send_signal(signal.SIGKILL)
                break
        run.wait(timeout=60)
        total = app.recorder.max_notification_id()
        assert 1000 <= seen < total, "the runner must be killed mid-way"
        store = Store(app.database)
        runner = ProjectionRunner(app.event_log, store)
        assert runner.position() >= seen
        runner.catch_up()
        assert runner.position() == total
        assert snapshot(store) == rebuilt_snapshot(app)
        store.close()
    finally:
        app.close()


def test_a_query_sees_an_import_made_by_another_process(database_url: str, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    lines = synthetic_history(400)
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = LedgerApplication(database_url)
    models = ReadModels(app.event_log)
    try:
        with pytest.raises(UnknownOrg):
            models.annual("hp", year=2010, known_at=None, label="now").model_dump()
        imported = subprocess.run(
            [sys.executable, "-m", "api.cli", "import", str(history), "--json", "--db",
             database_url],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert json.loads(imported.stdout)["accepted"] == len(lines)
        roster = models.roster(
            "hp", as_of=date(2030, 1, 1), known_at=None, label="now"
        ).model_dump()
        admitted = {json.loads(line).get("member") for line in lines} - {None}
        assert roster["count"] == len(admitted)
    finally:
        models.close()
        app.close()


def test_rebuild_swaps_in_tables_equal_to_the_incremental_ones(app: LedgerApplication) -> None:
    import_facts(app, synthetic_history(1500))
    models = ReadModels(app.event_log)
    models.fresh()
    incremental = snapshot(models.store)
    report = models.annual("hp", year=2012, known_at=None, label="now").model_dump()
    position = rebuild(app.event_log, models.store)
    assert position == app.recorder.max_notification_id()
    assert snapshot(models.store) == incremental
    assert models.annual("hp", year=2012, known_at=None, label="now").model_dump() == report
    # The swapped-in tables keep being maintained incrementally.
    import_facts(app, synthetic_history(1800)[1500:])
    models.fresh()
    assert snapshot(models.store) == rebuilt_snapshot(app)
    models.close()


def test_a_log_whose_members_open_with_the_old_opened_marker_still_loads_and_projects(
    ledger: LedgerHarness,
) -> None:
    # Logs written before a member's first fact opened its aggregate start each member with
    # an Opened marker. m1 is written that way, m2 the current way, with the same facts.
    from commands.schema import parse_object
    from ledger.events import member_uuid
    from ledger.member import Member

    ledger.tree()
    app = ledger.app
    first = parse_object(admitted("m1", "c1", "2020-01-02"))
    old = Member._create(Member.Opened, id=member_uuid("m1"), member="m1")
    with app.writing():
        fact = Fact(first.id, first.type, first.model.on, first.model.recorded_at, 0, first.data())
        old.record(fact, app.org_info)
        app.commit([old], fact_rows=[(first.id, "member:m1", first.type, first.digest)])
    ledger.record(admitted("m2", "c1", "2020-01-02"))
    for member in ("m1", "m2"):
        ledger.record(fact_of("probation_completed", member, "2021-01-02"))
        ledger.record(fact_of("transferred_out", member, "2021-06-01", to_org="c3"))

    models = ReadModels(app.event_log)
    try:
        views = [
            models.member(m, as_of=date(2021, 12, 31), known_at=None, label="now").model_dump()
            for m in ("m1", "m2")
        ]
        assert views[0]["status"] == "in_transit"
        assert [f["type"] for f in views[0]["facts"]] == [f["type"] for f in views[1]["facts"]]
        assert {k: v for k, v in views[0].items() if k not in ("member", "facts")} == {
            k: v for k, v in views[1].items() if k not in ("member", "facts")
        }
        roster = models.roster(
            "hp", as_of=date(2021, 12, 31), known_at=None, label="now"
        ).model_dump()
        assert [(m["member"], m["status"]) for m in roster["members"]] == [
            ("m1", "in_transit"),
            ("m2", "in_transit"),
        ]
    finally:
        models.close()
