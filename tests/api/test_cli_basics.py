"""The command line's own options and help, and what a command imports before it answers.

No timings here (the machines are shared and noisy): ``python -m benchmarks.startup`` measures
them. What is tested is what makes start-up short: a read on SQLite loads no PostgreSQL driver,
no write side, no spreadsheet or terminal library.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "docs" / "examples" / "history.jsonl"
runner = CliRunner()

NOT_FOR_A_READ = (
    "psycopg", "openpyxl", "rich", "pydantic_settings", "commands.schema", "commands.record",
    "commands.application", "eventsourcing", "ledger.member", "projections.runner",
)  # fmt: skip
"""Modules a read on up-to-date SQLite read models must not load (each was loaded before)."""

LOADED_MODULES = """
import json, os, sys
from api.cli import app
try:
    app(sys.argv[1:], prog_name="ledger")
except SystemExit as done:
    if done.code:
        raise
with open(os.environ["MODULES_OUT"], "w") as out:
    json.dump(sorted(sys.modules), out)
"""
"""Run ``ledger ARGS`` in this process (``python -c`` this ARGS), then write the modules it
loaded to the file $MODULES_OUT."""


def commands() -> list[list[str]]:
    """Every command path of the app, groups included: [], ["member"], ["report", "annual"]…"""
    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def leaves() -> list[list[str]]:
    paths = commands()
    return [p for p in paths if not any(q[: len(p)] == p and q != p for q in paths)]


def loaded_by(args: list[str], tmp_path: Path) -> set[str]:
    """The modules a fresh process loads to run ``ledger ARGS``."""
    out = tmp_path / "modules.json"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    environment.update(PYTHONPATH=str(ROOT), MODULES_OUT=str(out))
    done = subprocess.run(
        [sys.executable, "-c", LOADED_MODULES, *args],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modules: list[str] = json.loads(out.read_text())
    return set(modules)


def unwanted(modules: set[str]) -> list[str]:
    return sorted(
        m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_FOR_A_READ)
    )


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    try:
        expected = f"ledger {version('membership-ledger')}\n"
    except PackageNotFoundError:  # a checkout that was never installed
        expected = result.output
    assert result.output == expected
    assert result.output.startswith("ledger ")


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(["ledger", *p]))
def test_dash_h_is_help_on_every_command(path: list[str]) -> None:
    short = runner.invoke(app, [*path, "-h"])
    assert short.exit_code == 0, short.output
    assert short.output.startswith(f"Usage: {' '.join(['ledger', *path])}")
    assert short.output == runner.invoke(app, [*path, "--help"]).output


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(["ledger", *p]))
def test_help_names_no_spec_section_and_no_type_placeholder(path: list[str]) -> None:
    text = runner.invoke(app, [*path, "--help"]).output
    assert "SPEC" not in text and "§" not in text
    options = text.split("Options:")[1]
    assert re.findall(r"<\w[^>]*>", options) == []  # --json, not --json <bool>; --db URL…


@pytest.mark.parametrize("path", leaves(), ids=lambda p: " ".join(["ledger", *p]))
def test_every_command_shows_an_example(path: list[str]) -> None:
    text = runner.invoke(app, [*path, "--help"]).output
    assert f"Example: {' '.join(['ledger', *path])} " in text


def test_the_annual_help_reads_well() -> None:
    text = runner.invoke(app, ["report", "annual", "--help"]).output
    for shown in ("--year YEAR", "--known-at TIME", "--lang vi|en", "--format text|csv|xlsx",
                  "--out FILE", "--db URL", "-h, --help", "[1800<=x<=9999; required]"):  # fmt: skip
        assert shown in text
    assert "<bool>" not in text and "<str>" not in text.split("Options:")[1]


def test_the_top_level_help_offers_version_and_shell_completion() -> None:
    text = runner.invoke(app, ["-h"]).output
    for option in ("--version", "--install-completion", "--show-completion"):
        assert option in text


def test_the_database_url_is_read_from_the_environment_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [k for k in os.environ if k.upper() == "LEDGER_DATABASE_URL"]:
        monkeypatch.delenv(name)
    assert Settings().database_url == "sqlite:///ledger.db"
    monkeypatch.setenv("ledger_database_url", "sqlite:///lower.db")
    assert Settings().database_url == "sqlite:///lower.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", "")
    assert Settings().database_url in ("", "sqlite:///lower.db")  # the last one set wins
    assert Settings(database_url="sqlite:///given.db").database_url == "sqlite:///given.db"


def test_importing_the_command_line_loads_no_database_driver_nor_write_side(
    tmp_path: Path,
) -> None:
    assert unwanted(loaded_by(["--version"], tmp_path)) == []


def test_a_read_on_sqlite_loads_neither_psycopg_nor_the_write_side_nor_rich(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert runner.invoke(app, ["import", str(HISTORY), "--db", db]).exit_code == 0
    # The first read catches the read models up (it opens the event log to do so)…
    assert runner.invoke(app, ["member", "hp-0001", "--db", db]).exit_code == 0
    # …the next ones find them up to date and open nothing else.
    for args in (["member", "hp-0001", "--as-of", "2022-12-31", "--json"],
                 ["roster", "hp.d03", "--as-of", "2021-12-31"],
                 ["report", "annual", "hp", "--year", "2021", "--format", "csv"]):  # fmt: skip
        modules = loaded_by([*args, "--db", db], tmp_path)
        assert unwanted(modules) == [], args
        assert "projections.queries" in modules  # (the check would see a module loaded)


def test_a_read_behind_the_log_still_sees_every_fact_imported(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert runner.invoke(app, ["import", str(HISTORY), "--db", db]).exit_code == 0
    modules = loaded_by(["member", "hp-0001", "--as-of", "2022-12-31", "--db", db], tmp_path)
    assert "eventsourcing.persistence" in modules  # it opened the log to catch up
    result = runner.invoke(
        app, ["member", "hp-0001", "--as-of", "2022-12-31", "--json", "--db", db]
    )
    assert json.loads(result.stdout)["facts"]
