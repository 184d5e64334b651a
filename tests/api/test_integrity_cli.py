"""``ledger digest`` and ``ledger verify`` from the command line: what an auditor types."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.api.example import EXAMPLE
from tests.storage.test_chain import position_of, tamper

runner = CliRunner()


def ledger(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_kept_digest_verifies_and_then_catches_a_rewritten_fact(db: str) -> None:
    code, output = ledger("digest", "--json", "--db", db)
    assert code == 0
    kept = json.loads(output)
    assert kept["events"] == len(EXAMPLE.read_text(encoding="utf-8").splitlines())
    code, output = ledger("verify", "--digest", kept["head"], "--db", db)
    assert code == 0, output
    assert f"the kept digest {kept['head']} is a prefix of today's log" in output

    position = position_of(db, "hp-f0050")
    tamper(db, "DELETE FROM {events} WHERE {pos} = {p}", position)
    code, output = ledger("verify", "--digest", kept["head"], "--db", db)
    assert code == 1
    assert f"event 50 (position {position}) is missing from the log" in output
    assert "is a prefix" not in output
    verdict = json.loads(ledger("verify", "--json", "--db", db)[1])
    assert verdict["ok"] is False
    assert verdict["counts"] == {"key_orphan": 1, "missing_event": 1, "version_gap": 1}


def test_a_digest_that_is_not_one_is_refused_with_its_form(db: str) -> None:
    for bad in ("abc", "12:xyz", "-1:" + "0" * 64):
        code, output = ledger("verify", "--digest", bad, "--db", db)
        assert code == 2 and "EVENTS:HEX" in output and "Traceback" not in output
    code, output = ledger("verify", "--resume", "--db", db)
    assert code == 2 and "--digest" in output


def test_resuming_from_a_kept_digest_reads_only_what_came_after(db: str, tmp_path: Path) -> None:
    kept = json.loads(ledger("digest", "--json", "--db", db)[1])["head"]
    more = tmp_path / "more.jsonl"
    more.write_text(
        '{"type":"organization.registered","on":"2023-01-01","org":"x1","name":"X",'
        '"parent":"hp","recorded_at":"2023-01-02T09:00:00+07:00"}\n',
        encoding="utf-8",
    )
    assert ledger("import", str(more), "--db", db)[0] == 0
    verdict = json.loads(ledger("verify", "--digest", kept, "--resume", "--json", "--db", db)[1])
    assert verdict["ok"] and verdict["events"] == 1 and verdict["resumed"] is True
