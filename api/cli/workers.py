"""Keeping the database and its read models up to date: ``project``, ``rebuild``, ``migrate``."""

import time
from typing import Annotated

import typer

from api.cli import render
from api.cli.common import DbOption, app, batch_work, open_ledger


@app.command("project", epilog="Example: ledger project --follow")
def project_command(
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep following the log until interrupted.")
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", metavar="N", min=1, help="Events per transaction."),
    ] = 10_000,
    db: DbOption = None,
) -> None:
    """Bring the read models up to date with the event log.

    A projection worker: with --follow it keeps following the log, and waits out an outage
    of the database (a line on stderr, then a new attempt every few seconds).
    """
    from storage.outage import RETRY_AFTER_SECONDS, first_line, unavailable

    # A worker writes the read models: it migrates them first, like every writer.
    with open_ledger(db, migrate=True) as ledger, batch_work() as after_batch:
        runner = ledger.models.runner
        runner.batch_size = batch_size
        applied = 0
        while True:
            try:
                applied += runner.catch_up(after_batch(lambda n: None))
            except Exception as err:
                if not (follow and unavailable(err)):
                    raise
                # A batch cut short is rolled back; new connections are opened on next use.
                typer.echo(f"ledger: database unavailable, retrying: {first_line(err)}", err=True)
                ledger.reconnect()
                time.sleep(RETRY_AFTER_SECONDS)
            if not follow:
                break
            time.sleep(0.2)
    typer.echo(f"read models up to date ({applied} events applied)")


@app.command("rebuild", epilog="Example: ledger rebuild --db sqlite:///demo.db")
def rebuild_command(db: DbOption = None) -> None:
    """Rebuild every read model from the event log.

    Into fresh tables, swapped in when done; the old ones answer queries meanwhile.
    """
    from projections.rebuild import rebuild

    with open_ledger(db, migrate=True) as ledger, batch_work() as after_batch:
        total = ledger.log.position()
        with render.progress(total, "rebuilding") as advance:
            position = rebuild(ledger.log, ledger.models.store, after_batch(advance))
    typer.echo(f"read models rebuilt from {position} events")


@app.command("migrate", epilog="Example: ledger migrate --db sqlite:///demo.db")
def migrate_command(db: DbOption = None) -> None:
    """Create or upgrade the event log's and the read models' tables.

    import, project and rebuild do it too; reading commands never change the database's layout.
    """
    from projections.store import LAYOUT_VERSION

    with open_ledger(db, create=True):
        pass  # opening a ledger for writing creates or upgrades its tables
    typer.echo(f"database ready: event log and read models (layout {LAYOUT_VERSION})")
