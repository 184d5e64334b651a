"""``ledger backup FILE``: a consistent copy of a live SQLite ledger (SQLite's backup API)."""

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import DbOption, app, fail, output_path
from api.settings import Settings
from storage.urls import database_files, parse_database_url


@app.command("backup", epilog="Example: ledger backup ledger-2026-12-03.db --db sqlite:///demo.db")
def backup_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the copy.")],
    db: DbOption = None,
) -> None:
    """Copy a live SQLite ledger to FILE, consistently, while others read and write it.

    The copy is the whole database (event log, keys, tokens, read models) as of one moment,
    checked, then put in place in one step. PostgreSQL: use pg_dump (docs/operations.md).
    """
    url = db or Settings().database_url
    try:
        database = parse_database_url(url)
    except ValueError as err:
        fail(str(err))
    if database.is_postgres:
        fail("backup copies a SQLite ledger; for PostgreSQL use pg_dump or base backups with WAL "
             "archiving (docs/operations.md, Backups)")  # fmt: skip
    source = database_files(database)[0]
    if not Path(source).is_file():
        fail(f"no ledger database at {source}")
    target = output_path(file, "FILE", db)
    assert target is not None
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(handle)  # mode 0600: a copy of people's records is for its owner only
    try:
        events = _copy(source, temporary)
        os.replace(temporary, target)
    except sqlite3.Error as err:
        fail(f"backup of {source} failed: {err}")
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    typer.echo(f"backup of {source} ({events:,} events) written to {target}")


def _copy(source: str, temporary: str) -> int:
    """Copy ``source`` into ``temporary`` in one step (a snapshot of one moment), check the
    copy, and return how many events it holds."""
    reading = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writing = sqlite3.connect(temporary)
    try:
        reading.backup(writing)
        check = writing.execute("PRAGMA integrity_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its integrity check: {check}")
        row = writing.execute("SELECT count(*) FROM stored_events").fetchone()
        return int(row[0])
    finally:
        writing.close()
        reading.close()
