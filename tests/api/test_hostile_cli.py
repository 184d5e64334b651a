"""The command line tried as a hostile or careless user would: messages, not tracebacks; no
file destroyed; no secret printed; no database created or split by accident.

These run the real entry point in a subprocess (``python -m api.cli``), as a user types it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from storage.urls import redacted_url, scrubbed
from tests.api.test_cli import MIXED, write_lines
from tests.support import admitted

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    """``ledger ARGS`` in a subprocess; the result has returncode, stdout and stderr."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        cwd=cwd or ROOT,
        timeout=120,
    )


def no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


@pytest.fixture
def demo(tmp_path: Path) -> tuple[str, Path]:
    """A small SQLite ledger and the file it was imported from."""
    facts = write_lines(tmp_path / "facts.jsonl", MIXED)
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run("import", str(facts), "--db", db).returncode == 1  # MIXED holds refused lines
    return db, facts


def test_rejects_pointed_at_the_input_is_refused_and_the_input_is_intact(
    demo: tuple[str, Path],
) -> None:
    db, facts = demo
    before = facts.read_bytes()
    result = run("import", str(facts), "--rejects", str(facts), "--db", db)
    assert result.returncode == 2
    assert "an input of this command" in result.stderr
    assert facts.read_bytes() == before
    linked = facts.parent / "link.jsonl"
    linked.symlink_to(facts)
    assert run("import", str(facts), "--rejects", str(linked), "--db", db).returncode == 2
    os.link(facts, facts.parent / "hard.jsonl")
    assert run("import", str(facts), "--rejects", str(facts.parent / "hard.jsonl"),
               "--db", db).returncode == 2  # fmt: skip
    assert facts.read_bytes() == before


@pytest.mark.parametrize("suffix", ["", "-wal", ".lock"])
def test_an_output_pointed_at_the_database_or_its_files_is_refused(
    demo: tuple[str, Path], suffix: str
) -> None:
    db, _ = demo
    path = db.removeprefix("sqlite:///") + suffix
    Path(path).touch()
    before = Path(path).read_bytes()
    for args in (["roster", "hp", "--out", path], ["report", "annual", "hp", "--year", "2021",
                 "--format", "xlsx", "--out", path], ["demo", "--out", path]):  # fmt: skip
        result = run(*args, "--db", db)
        assert result.returncode == 2, args
        assert "would destroy it" in result.stderr
        no_traceback(result)
    assert Path(path).read_bytes() == before
    assert run("roster", "hp", "--as-of", "2021-12-31", "--db", db).returncode == 0


def test_an_output_in_a_missing_folder_or_onto_a_folder_is_a_message(
    demo: tuple[str, Path], tmp_path: Path
) -> None:
    db, _ = demo
    for out in (tmp_path / "missing" / "r.csv", tmp_path):
        result = run("roster", "hp", "--format", "csv", "--out", str(out), "--db", db)
        assert result.returncode == 2
        no_traceback(result)


def test_an_export_replaces_its_file_whole_and_leaves_no_temporary_file(
    demo: tuple[str, Path], tmp_path: Path
) -> None:
    db, _ = demo
    out = tmp_path / "roster.csv"
    out.write_text("old content\n")
    assert run("roster", "hp", "--as-of", "2021-12-31", "--format", "csv", "--out", str(out),
               "--db", db).returncode == 0  # fmt: skip
    assert out.read_text(encoding="utf-8").startswith("\ufeffMã đảng viên,")
    assert not list(tmp_path.glob(".roster.csv.*"))


def test_a_read_on_a_database_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    for args in (["member", "m1"], ["roster", "hp"], ["report", "quality", "hp"],
                 ["report", "badges", "hp"], ["report", "annual", "hp", "--year", "2021"],
                 ["rebuild"], ["project"]):  # fmt: skip
        result = run(*args, "--db", f"sqlite:///{db}")
        assert result.returncode == 2, args
        assert "no ledger database" in result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("password", ["se/cret", "p@ss:w0rd", "100%real", "a:b@c/d%2Fe"])
def test_a_password_is_never_printed_whatever_it_holds(password: str) -> None:
    for url in (f"postgresql://alice:{password}@127.0.0.1:1/db",
                f"mysql://alice:{password}@host/db",
                f"postgres://alice:{password}@127.0.0.1:5432/ledger_nonexistent"):  # fmt: skip
        result = run("roster", "hp", "--db", url)
        assert result.returncode == 2
        no_traceback(result)
        for secret in (password, password.split("@")[0], password.split("/")[-1]):
            if len(secret) >= 4:
                assert secret not in result.stdout + result.stderr, (url, result.stderr)


def test_redaction_hides_the_whole_user_information() -> None:
    assert redacted_url("postgresql://u:p/w@d@h:5/db") == "postgresql://u:***@h:5/db"
    assert redacted_url("sqlite:///x.db") == "sqlite:///x.db"
    assert redacted_url("postgresql://u@h/db") == "postgresql://u@h/db"
    url = "postgresql://u:s%40cret@h/db"
    assert "s@cret" not in scrubbed("failed for s@cret and s%40cret", url)


def test_a_stray_library_variable_cannot_divert_the_events(
    demo: tuple[str, Path], tmp_path: Path
) -> None:
    db, _ = demo
    other = tmp_path / "other.db"
    env = {"LEDGER_SQLITE_DBNAME": str(other), "SQLITE_DBNAME": str(other),
           "LEDGER_PERSISTENCE_MODULE": "eventsourcing.popo"}  # fmt: skip
    facts = write_lines(tmp_path / "more.jsonl", [admitted("m9", "c1", "2021-05-01", id="a9")])
    assert run("import", str(facts), "--db", db, env=env).returncode == 0
    assert not other.exists()
    member = json.loads(run("member", "m9", "--json", "--db", db).stdout)
    assert member["status"] == "probationary"


@pytest.mark.parametrize(
    "args",
    [
        ["report", "annual", "hp", "--year", "21"],
        ["report", "annual", "hp", "--year", "10000"],
        ["roster", "hp", "--as-of", "2021-02-30"],
        ["member", "m1", "--known-at", "yesterday"],
    ],
)
def test_values_out_of_range_are_usage_errors(demo: tuple[str, Path], args: list[str]) -> None:
    db, _ = demo
    result = run(*args, "--db", db)
    assert result.returncode == 2
    no_traceback(result)


@pytest.mark.parametrize(
    "known_at",
    ["0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31", "9999-12-31T23:59:59-12:00"],
)
def test_knowledge_times_at_the_edges_of_the_calendar_answer(
    demo: tuple[str, Path], known_at: str
) -> None:
    db, _ = demo
    for args in (["roster", "hp", "--as-of", "9999-12-31"],
                 ["member", "m1", "--as-of", "0001-01-01"],
                 ["report", "quality", "hp", "--as-of", "9999-12-31"]):  # fmt: skip
        result = run(*args, "--known-at", known_at, "--json", "--db", db)
        assert result.returncode == 0, result.stderr
        json.loads(result.stdout)


def test_a_read_only_or_corrupt_database_is_a_message(
    demo: tuple[str, Path], tmp_path: Path
) -> None:
    _, text = demo  # a JSON Lines file, not a database at all
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)
    result = run("roster", "hp", "--db", f"sqlite:///{corrupt}")
    assert result.returncode == 2
    no_traceback(result)
    assert "database" in result.stderr
    result = run("member", "m1", "--db", f"sqlite:///{text}")
    assert result.returncode == 2
    no_traceback(result)
    assert text.read_text().startswith("{")  # untouched


def test_the_rejects_of_a_rejects_file_can_be_imported_again(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    facts = write_lines(tmp_path / "facts.jsonl", MIXED)
    first, second = tmp_path / "r1.jsonl", tmp_path / "r2.jsonl"
    assert run("import", str(facts), "--rejects", str(first), "--db", db).returncode == 1
    assert run("import", str(first), "--rejects", str(second), "--db", db).returncode == 1
    wrapped = [json.loads(x) for x in first.read_text().splitlines()]
    rewrapped = [json.loads(x) for x in second.read_text().splitlines()]
    assert [r["fact"] for r in rewrapped] == [r["fact"] for r in wrapped]


def test_an_interrupted_import_says_what_it_committed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    facts = write_lines(tmp_path / "facts.jsonl", MIXED[:3])
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    environment["PYTHONPATH"] = str(ROOT)
    # The import reads standard input: give it the first lines, then interrupt it. Its Ctrl-C
    # is the terminal's default: a runner started in the background (``cmd &`` in a script)
    # passes SIGINT on as ignored, and Python then never turns it into KeyboardInterrupt.
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "import", "-", "--db", db],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=environment, cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write(facts.read_bytes())
    process.stdin.flush()
    time.sleep(3)  # importing the first lines, waiting for more
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    text = stderr.decode()
    assert "Traceback" not in text
    assert "committed before that" in text and "ledger: interrupted" in text
