"""``ledger serve``: the HTTP API (uvicorn, N worker processes)."""

import os
from typing import Annotated

import typer

from api.cli.common import DbOption, app, fail, open_ledger
from api.settings import Settings

WORKER_HEALTHCHECK_SECONDS = 60
"""How long a worker may take to answer uvicorn's ping before it is killed as hung."""


@app.command("serve", epilog="Example: ledger serve --port 8000 --workers 4")
def serve_command(
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", help="TCP port.", min=1, max=65535)
    ] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", metavar="N", help="Worker processes.", min=1, max=64)
    ] = 1,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="Serve without tokens: anyone who can connect may read and record everything.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Serve the HTTP API: the reports as JSON, facts recorded under the import's rules.

    Run 'ledger migrate' first; with PostgreSQL, run 'ledger project --follow' beside it.
    """
    import uvicorn

    url = db or Settings().database_url
    with open_ledger(url):  # the tables must be there: a clear message now, not per request
        pass
    if no_auth:
        if host not in ("127.0.0.1", "localhost", "::1"):
            fail(f"--no-auth only on this machine (--host 127.0.0.1), not on {host}")
        typer.echo("ledger: serving WITHOUT authentication (--no-auth)", err=True)
    os.environ["LEDGER_DATABASE_URL"] = url
    os.environ["LEDGER_API_AUTH"] = "off" if no_auth else "on"
    uvicorn.run(
        "api.http.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        # uvicorn kills a worker that does not answer its supervisor's ping in time (5 s by
        # default), dropping the requests in flight: a worker busy catching the read models up
        # on a loaded machine missed it in the soak (benchmarks/soak.py). Only a hung one should.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
