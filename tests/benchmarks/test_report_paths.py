"""``benchmarks/report_paths.py`` on the demo city at 1 % (SQLite): both annual paths agree
and every query of the city and the committee is printed with its ratio to the scan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.suite import history, ledger_import

ROOT = Path(__file__).resolve().parents[2]


def test_the_report_paths_benchmark_prints_each_query(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    app, _ = ledger_import(url, history(0.01))
    app.close()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report_paths", "--db", url, "--repeat", "1"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("full scan of rm_spans: ")
    for org in ("hp", "hp.d05"):
        for query in ("annual, known now (tallies)", "annual, known at 2022-01-15",
                      "annual, counted from the rows", "quality", "badges due"):  # fmt: skip
            row = next(line for line in lines if line.startswith(f"{org}: {query} "))
            assert float(row.split()[-1]) > 0, row
