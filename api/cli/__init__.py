"""The ``ledger`` command line (SPEC §5): parse, call the use case, render. Nothing more.

``common`` holds what the commands share; ``records`` (import, demo), ``reads`` (member,
roster, reports) and ``workers`` (project, rebuild, migrate) register their commands on the
one Typer app; ``render``, ``annual_text`` and ``exports`` turn reports into text and
spreadsheets.
"""

from __future__ import annotations

import sys

import typer

from api.cli import (
    backup,
    diff,
    directory,
    export,
    integrity,
    reads,
    records,
    serve,
    tokens,
    workers,
)
from api.cli.common import PROGRAM, app, fail
from ledger.errors import LedgerError

__all__ = [
    "app",
    "backup",
    "diff",
    "directory",
    "export",
    "integrity",
    "main",
    "reads",
    "records",
    "serve",
    "tokens",
    "workers",
]


def main() -> None:
    """Entry point of the ``ledger`` console script: every error a user can cause is a message.

    Exit status: 0 done, 1 facts refused, 2 usage or environment (database, files), 130
    interrupted (Typer turns Ctrl-C into that status).
    """
    try:
        app(prog_name=PROGRAM)  # also when run as ``python -m api.cli``
    except SystemExit as done:
        if done.code == INTERRUPTED:
            typer.echo("ledger: interrupted", err=True)
        raise
    except LedgerError as err:  # pragma: no cover - every command maps its own refusals
        fail(str(err), 1)
    except OSError as err:  # a file that cannot be read or written, a full disk…
        typer.echo(f"ledger: {err}", err=True)
        sys.exit(2)


INTERRUPTED = 130
