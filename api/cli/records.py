"""``ledger import`` and ``ledger demo``: facts in."""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from api.cli import render
from api.cli.common import (
    DbOption,
    JsonOption,
    app,
    batch_work,
    count_lines,
    fail,
    open_ledger,
    output_path,
    print_json,
)
from api.settings import Settings
from ledger.facts import MAX_LINE_BYTES

if TYPE_CHECKING:  # the write side is imported by the commands below when they run
    from api.bootstrap import Ledger
    from commands.record import Refusal


@app.command("import", epilog="Example: ledger import facts.jsonl --rejects refused.jsonl")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="JSON Lines file, one fact per line ('-' = stdin)."),
    ],
    json_output: JsonOption = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects", metavar="FILE", help="Write each refused line with its error to this file."
        ),
    ] = None,
    restore: Annotated[
        bool,
        typer.Option(
            "--restore",
            help="FILE is a 'ledger export': keep each fact's recorder. Needs an empty database.",
        ),
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", metavar="N", min=1, help="Facts per transaction.")
    ] = 5_000,
    db: DbOption = None,
) -> None:
    """Import facts from a JSON Lines file.

    Exit status 1 when any line was refused (--rejects keeps them, to fix and import again).
    With --restore, the file is read as written by `ledger export` (docs/reliability.md).
    """
    from api.cli import files
    from commands.decoding import read_lines
    from commands.record import ImportSummary, import_facts

    from_stdin = str(file) == "-"
    if not from_stdin and not file.is_file():
        fail(f"no such file: {file}")
    rejects = output_path(rejects, "--rejects", db, *([] if from_stdin else [file]))
    total = None if from_stdin else count_lines(file)
    summary = ImportSummary()
    with contextlib.ExitStack() as stack:
        ledger = stack.enter_context(open_ledger(db, create=True))
        if restore:
            _require_empty(ledger)
        advance = stack.enter_context(render.progress(total, "importing"))
        after_batch = stack.enter_context(batch_work())
        reject_file = (
            stack.enter_context(files.replaced(rejects, keep_partial=True)) if rejects else None
        )
        stream = sys.stdin.buffer if from_stdin else stack.enter_context(file.open("rb"))

        def keep_reject(refusal: "Refusal", text: str | bytes) -> None:
            if reject_file is not None:
                reject_file.write(orjson.dumps(reject_record(refusal, text)).decode() + "\n")

        try:
            import_facts(
                ledger.app,
                read_lines(stream),
                batch_size=batch_size,
                progress=after_batch(advance),
                on_reject=keep_reject,
                summary=summary,
                recorded_by=recorder(),
                restore=restore,
            )
        except BaseException:
            # Interrupted, or the database failed: say what was committed before that.
            typer.echo(
                "stopped; committed before that: " + render.import_summary(summary, rejects),
                err=True,
            )
            raise
    if json_output:
        print_json(summary.as_json())
    else:
        typer.echo(render.import_summary(summary, rejects))
    raise typer.Exit(1 if summary.rejected else 0)


def _require_empty(ledger: "Ledger") -> None:
    """A restore makes a copy of another ledger: it starts from an empty log, or the copy would
    mix two ledgers' facts and recorders (docs/decisions.md)."""
    events = ledger.log.position()
    if events:
        fail(
            f"--restore needs an empty database; this one already holds {events:,} events. "
            "Restore into a new database (a new SQLite file, or an empty PostgreSQL database "
            "or schema)"
        )


def reject_record(refusal: "Refusal", text: str | bytes) -> dict[str, Any]:
    """A rejects-file line: the refusal and the fact as submitted (the raw text if not JSON).

    A refused line of a rejects file is kept as the fact it wraps, so the rejects file of a
    rejects file can be imported too. A line over the size limit is not kept (``fact``: null).
    """
    from commands.schema import REJECT_KEYS

    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    fact: Any = None
    if len(raw.encode("utf-8", "surrogatepass")) <= MAX_LINE_BYTES + 2:
        try:
            fact = orjson.loads(raw)
        except orjson.JSONDecodeError:
            fact = raw.rstrip("\r\n")
        while isinstance(fact, dict) and fact.keys() == REJECT_KEYS:
            fact = fact["fact"]
    return {**refusal.as_json(), "fact": fact}


@app.command("demo", epilog="Example: ledger demo --db sqlite:///demo.db")
def demo_command(
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            metavar="N",
            help="Seed of the generated history [default: 2021, or at another scale the first "
            "of 2021, 7, 1, 2, 3 that meets its plan].",
            show_default=False,
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            metavar="N",
            help="Size of the city against the seed's (0 < N <= 50; 43 is about a country's "
            "membership). The seed city's own figures come out exactly only at 1; another "
            "scale scales them.",
        ),
    ] = 1.0,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Also write the history as JSON Lines here."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Generate the Hải Phòng demo history and import it.

    It is imported like any file, then the reports are brought up to date.
    """
    from commands.record import import_facts
    from demo.plan import check_scale

    try:
        check_scale(scale)
    except ValueError as err:
        fail(f"--scale: {err}")
    url = db or Settings().database_url
    out = output_path(out, "--out", url)
    with open_ledger(url, create=True) as ledger, batch_work() as after_batch:
        models = ledger.models
        started = time.perf_counter()
        # Three processes share the work: one generates the history into a pipe, this one
        # imports it line by line as it comes, and a projection worker follows the log.
        # Each commits (or writes) on its own, so any of them may stop at any point.
        arguments = ["--scale", repr(scale)] + ([] if seed is None else [str(seed)])
        generator = subprocess.Popen(
            [sys.executable, "-m", "demo", *arguments], stdout=subprocess.PIPE
        )
        worker = subprocess.Popen(
            # The URL goes by the environment: a command line is visible to every user.
            [sys.executable, "-m", "api.cli", "project", "--follow"],
            stdout=subprocess.DEVNULL,
            env={**os.environ, "LEDGER_DATABASE_URL": url},
        )
        try:
            assert generator.stdout is not None
            history = _tee(generator.stdout, out)
            with render.progress(None, "importing") as advance:
                summary = import_facts(
                    ledger.app, history, progress=after_batch(advance), recorded_by="demo"
                )
        finally:
            worker.terminate()  # safe at any point: a batch commits whole or not at all
            if generator.stdout is not None:
                generator.stdout.close()  # read to the end, unless the import stopped early
            worker.wait()
            generator.wait()
        if generator.returncode != 0:
            fail(f"the demo history generator failed (exit status {generator.returncode})")
        imported = time.perf_counter() - started
        started = time.perf_counter()
        behind = ledger.log.position() - models.runner.position()
        with render.progress(behind, "projecting") as advance:
            models.fresh(progress=after_batch(advance))
        projected = time.perf_counter() - started
    facts = summary.accepted + summary.duplicates + summary.rejected
    typer.echo(
        f"demo history (seed {_seed_text(seed, scale)}, scale {scale:g}): {facts:,} facts"
        + (f", written to {out}" if out else "")
    )
    typer.echo(render.import_summary(summary, None))
    typer.echo(
        f"generated and imported in {imported:.1f} s ({facts / max(imported, 1e-9):,.0f} "
        f"facts/s), read models caught up {projected:.1f} s later"
    )
    raise typer.Exit(1 if summary.rejected else 0)


def _seed_text(seed: int | None, scale: float) -> str:
    if seed is not None or scale == 1:
        return str(seed or 2021)
    return "the first of 2021, 7, 1, 2, 3 that meets the plan"


def _tee(lines: Iterable[bytes], out: Path | None) -> Iterator[bytes]:
    """The lines as they come, also written to ``out`` (in one step, when all were read)."""
    if out is None:
        yield from lines
        return
    from api.cli import files

    with files.replaced(out, "wb") as handle:
        for line in lines:
            handle.write(line)
            yield line


def recorder() -> str:
    """Who an import by this command records the facts as: ``cli:<login>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in this environment (a container's uid)
        return "cli"
