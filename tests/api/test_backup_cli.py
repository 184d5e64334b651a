"""``ledger backup FILE``: a consistent, checked copy of a live SQLite ledger."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.api.example import EXAMPLE

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_copy_answers_like_the_ledger_and_is_private(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run("import", str(EXAMPLE), "--db", db)[0] == 0
    copy = tmp_path / "copy.db"
    code, output = run("backup", str(copy), "--db", db)
    assert code == 0 and "(122 events)" in output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # people's records: the owner's only
    questions = [["report", "annual", "hp", "--year", "2021", "--known-at", "2022-01-15"],
                 ["roster", "hp", "--as-of", "2021-12-31", "--known-at", "2022-01-15"]]  # fmt: skip
    for question in questions:
        source = json.loads(run(*question, "--json", "--db", db)[1])
        copied = json.loads(run(*question, "--json", "--db", f"sqlite:///{copy}")[1])
        assert copied == source


def test_the_copy_is_one_moment_without_uncommitted_writes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    db = f"sqlite:///{path}"
    assert run("import", str(EXAMPLE), "--db", db)[0] == 0
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        writer.execute("DELETE FROM stored_events")
        copy = tmp_path / "copy.db"
        assert run("backup", str(copy), "--db", db)[0] == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with sqlite3.connect(copy) as copied:
        assert copied.execute("SELECT count(*) FROM stored_events").fetchone()[0] == 122


def test_backup_refuses_what_it_cannot_do_safely(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run("import", str(EXAMPLE), "--db", db)[0] == 0
    for target in ("ledger.db", "ledger.db-wal"):
        code, output = run("backup", str(tmp_path / target), "--db", db)
        assert code == 2 and "would destroy it" in output, output
    code, output = run("backup", str(tmp_path / "x.db"), "--db", f"sqlite:///{tmp_path}/none.db")
    assert code == 2 and "no ledger database" in output
    code, output = run("backup", str(tmp_path / "x.db"), "--db", "postgresql://u@h:5432/d")
    assert code == 2 and "pg_dump" in output
    assert not (tmp_path / "x.db").exists()
