"""``benchmarks/national.py`` at 1 % of the city on PostgreSQL: every figure is written, the
growth against a run's own JSON is 1 for the history, and the schema is dropped afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.conftest import POSTGRES_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]


def schemas() -> set[str]:
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'national\\_%%'"
        ).fetchall()
    return {str(row[0]) for row in rows}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "benchmarks.national", "--postgres", POSTGRES_URL, *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_national_benchmark_at_one_percent(tmp_path: Path) -> None:
    require_postgres()
    before = schemas()
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    done = run("--scale", "0.01", "--repeat", "1", "--http-seconds", "0.2", "--json", str(first))
    assert done.returncode == 0, done.stderr
    figures = json.loads(first.read_text(encoding="utf-8"))
    assert figures["facts"] > 4000
    assert figures["import_ratio"] > 0 and figures["catch_up_ratio"] > 0
    assert figures["verify_ratio"] > 0 and figures["disk_total_bytes"] > 0
    assert set(figures["queries"]) == {"scan", "member"} | {
        f"{report}_{where}"
        for report in ("annual", "quality", "badges", "roster")
        for where in ("city", "committee")
    }
    assert figures["http"]["GET /health"]["x_health"] == 1.0
    assert all(route["errors"] == 0 for route in figures["http"].values())
    assert schemas() - before == set()  # dropped (other runs may come and go meanwhile)

    done = run("--scale", "0.01", "--repeat", "1", "--http-seconds", "0", "--json", str(second),
               "--against", str(first))  # fmt: skip
    assert done.returncode == 0, done.stderr
    growth = json.loads(second.read_text(encoding="utf-8"))["growth"]
    assert growth["facts"] == 1.0  # the same history: the same seed meets the same plan
    assert "import_seconds" in growth and "query_annual_city" in growth
    assert "growth against the run of" in done.stdout
