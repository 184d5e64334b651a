"""The bundled example history and running the command line in-process, for the API tests."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "history.jsonl"
runner = CliRunner()


def run(*args: str) -> str:
    """``ledger ARGS`` in-process; its output, once it succeeded."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output
