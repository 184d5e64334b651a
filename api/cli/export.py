"""``ledger export [FILE]``: the whole event log as JSON Lines, for a backup or a migration
(read back by ``ledger import FILE --restore``; docs/reliability.md)."""

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Annotated

import typer

from api.cli.common import DbOption, app, fail, open_ledger, output_path


@app.command(
    "export", epilog="Example: ledger export ledger-2026-12-03.jsonl --db sqlite:///demo.db"
)
def export_command(
    file: Annotated[
        Path | None,
        typer.Argument(metavar="FILE", help="Where to write it ('-' or none: stdout)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """Write every stored fact, in commit order, as JSON Lines: ids, recording times and
    recorders included.

    FILE is written for its owner only (mode 0600: it holds people's records), under a
    temporary name, and renamed when complete. `ledger import FILE --restore` reads it back
    into an empty database, SQLite or PostgreSQL.
    """
    from api.cli import render
    from api.formats.log_export import ExportSummary, UnreadableEvent, export_lines

    to_stdout = file is None or str(file) == "-"
    target = None if to_stdout else output_path(file, "FILE", db)
    if target is not None and target.exists() and not force:
        fail(f"{target} exists; give --force to replace it, or another name")
    summary = ExportSummary()
    with open_ledger(db, log_only=True) as ledger:
        log = ledger.log
        app = ledger.app

        def digests(ids: Sequence[str]) -> dict[str, str]:
            return {k: v.digest for k, v in app.known_facts(ids).items()}

        total = log.position()
        try:
            with (
                _destination(target) as stream,
                render.progress(total, "exporting", "events") as advance,
            ):
                done = 0
                for chunk in export_lines(log, digests, summary):
                    stream.write(chunk)
                    advance(summary.facts + summary.skipped - done)
                    done = summary.facts + summary.skipped
        except UnreadableEvent as err:
            fail(f"{err}; the export is incomplete" + ("" if to_stdout else ", nothing written"))
    where = "stdout" if target is None else str(target)
    skipped = f" ({summary.skipped:,} non-fact events skipped)" if summary.skipped else ""
    typer.echo(
        f"exported {summary.facts:,} facts{skipped} up to log position {summary.position:,} "
        f"to {where}",
        err=to_stdout,  # stdout carries the facts themselves
    )


@contextlib.contextmanager
def _destination(target: Path | None) -> Iterator[IO[bytes]]:
    """stdout, or a private temporary file beside ``target`` that replaces it once complete
    and on disk (an interrupted export leaves ``target`` as it was)."""
    if target is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    done = False
    try:
        with os.fdopen(handle, "wb") as stream:  # mkstemp's mode 0600: the owner's only
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
