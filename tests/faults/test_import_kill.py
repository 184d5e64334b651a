"""``kill -9`` of ``ledger import`` mid-way, then the same import again: every fact stored
once, the summary counting the ones already stored as duplicates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from commands.application import LedgerApplication
from tests.commands.test_concurrency import _history
from tests.faults.kill import kill_when, log_position
from tests.faults.support import (
    ROOT,
    assert_read_models_equal_a_rebuild,
    ledger_command,
    logged_fact_ids,
    run_ledger,
)


def test_an_import_killed_mid_way_then_run_again_stores_every_fact_once(
    database_url: str, tmp_path: Path
) -> None:
    lines = _history(1500)
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = LedgerApplication(database_url)  # the tables, so that the test can watch the log
    try:
        run = subprocess.Popen(
            ledger_command("import", str(history), "--batch-size", "100", "--db", database_url),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        kill_when(run, lambda: log_position(app) >= 500, "the import committed 500 facts")
        stored = len(logged_fact_ids(database_url))
        assert 500 <= stored < len(lines), "the import must be killed mid-way"
    finally:
        app.close()

    again = run_ledger("import", str(history), "--json", "--db", database_url)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["duplicates"] == stored
    assert summary["accepted"] == len(lines) - stored
    assert summary["rejected"] == 0
    logged = logged_fact_ids(database_url)
    assert len(logged) == len(set(logged)) == len(lines)
    assert run_ledger("project", "--db", database_url).returncode == 0
    assert_read_models_equal_a_rebuild(database_url)
