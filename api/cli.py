"""The ``ledger`` command line (SPEC §5): parse, call the use case, render. Nothing more."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import psycopg
import typer
from eventsourcing.persistence import PersistenceError

from api import annual_text, exports, files, render
from api.settings import Settings
from api.timeparse import parse_day, parse_known_at
from commands.application import LedgerApplication, local_now
from commands.persistence import (
    Database,
    database_files,
    parse_database_url,
    redacted_url,
    scrubbed,
)
from commands.record import ImportSummary, Refusal, import_facts
from commands.schema import REJECT_KEYS, read_lines
from ledger.errors import LedgerError
from ledger.facts import FIRST_DAY, LAST_DAY, MAX_LINE_BYTES
from projections.queries import ReadModels
from projections.rebuild import rebuild

app = typer.Typer(
    name="ledger",
    help="Event-sourced membership ledger: record facts, read rosters and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: $LEDGER_DATABASE_URL or sqlite:///ledger.db)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON of SPEC §4/§5.")]
FormatOption = Annotated[
    str,
    typer.Option("--format", help="text (default), csv or xlsx (xlsx needs --out)."),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write the report to this file instead of stdout.")
]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Date (default: today).")]
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="Use only what was recorded by this time (ISO date-time; a date means its end).",
    ),
]


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"ledger: {message}", err=True)
    raise typer.Exit(code)


DATABASE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)


@contextmanager
def _open(db: str | None, *, create: bool = False) -> Iterator[LedgerApplication]:
    """The ledger at ``db``; a SQLite file must exist unless the command ``create``s it."""
    url = db or Settings().database_url
    try:
        database = parse_database_url(url)
    except ValueError as err:
        _fail(str(err))
    if not create:
        _require_existing(database)
    try:
        application = LedgerApplication(url)
    except (*DATABASE_ERRORS, OSError) as err:
        _fail(f"cannot open the database {redacted_url(url)}: {scrubbed(str(err), url)}")
    try:
        yield application
    except DATABASE_ERRORS as err:  # lost connection, read-only or full disk, corrupt file…
        _fail(f"database error ({redacted_url(url)}): {scrubbed(str(err), url)}")
    finally:
        application.close()


def _require_existing(database: Database) -> None:
    """Refuse to read a SQLite file that does not exist (a typo would create an empty one)."""
    files = database_files(database)
    if files and not os.path.isfile(files[0]):
        _fail(
            f"no ledger database at {files[0]} (check --db or LEDGER_DATABASE_URL; "
            "'ledger import' creates one)"
        )


def _protected(db: str | None, *inputs: Path) -> dict[str, str]:
    """The files an output must not overwrite: the command's inputs and the database's files."""
    try:
        database = parse_database_url(db or Settings().database_url)
    except ValueError as err:
        _fail(str(err))
    protected = {str(path): "an input of this command" for path in inputs}
    for name, what in zip(database_files(database), DATABASE_FILE_NAMES, strict=False):
        protected[name] = what
    return protected


DATABASE_FILE_NAMES = (
    "the database",
    "the database's write-ahead log",
    "the database's shared-memory file",
    "the database's journal",
    "the database's writer lock",
)


def _output(path: Path | None, option: str, db: str | None, *inputs: Path) -> Path | None:
    """``path`` once it is safe to write (see ``files.check_output``)."""
    if path is None:
        return None
    try:
        return files.check_output(path, _protected(db, *inputs), option)
    except files.OutputRefused as err:
        _fail(str(err))


def _day(text: str | None, default: date) -> date:
    if text is None:
        return default
    try:
        return parse_day(text)
    except ValueError as err:
        _fail(str(err))


def _when(as_of: str | None, known_at: str | None) -> tuple[date, datetime | None, str]:
    """The as-of date (default today), the knowledge time (None: now) and its label."""
    now = local_now()
    moment, label = _known_at(known_at, now)
    return _day(as_of, now.date()), moment, label


def _known_at(text: str | None, now: datetime) -> tuple[datetime | None, str]:
    if text is None:
        return None, now.isoformat()
    try:
        moment = parse_known_at(text, now)
    except ValueError as err:
        _fail(str(err))
    return moment, moment.isoformat()


def _print_json(payload: Any) -> None:
    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="JSON Lines file, one fact per line ('-' = stdin).")],
    json_output: JsonOption = False,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Write each refused line with its error to this file."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Import facts from a JSON Lines file; exit 1 when any line was refused."""
    from_stdin = str(file) == "-"
    if not from_stdin and not file.is_file():
        _fail(f"no such file: {file}")
    rejects = _output(rejects, "--rejects", db, *([] if from_stdin else [file]))
    total = None if from_stdin else _count_lines(file)
    summary = ImportSummary()
    with contextlib.ExitStack() as stack:
        application = stack.enter_context(_open(db, create=True))
        advance = stack.enter_context(render.progress(total, "importing"))
        reject_file = (
            stack.enter_context(files.replaced(rejects, keep_partial=True)) if rejects else None
        )
        stream = sys.stdin.buffer if from_stdin else stack.enter_context(file.open("rb"))

        def keep_reject(refusal: Refusal, text: str | bytes) -> None:
            if reject_file is not None:
                reject_file.write(orjson.dumps(reject_record(refusal, text)).decode() + "\n")

        try:
            import_facts(
                application,
                read_lines(stream),
                progress=advance,
                on_reject=keep_reject,
                summary=summary,
            )
        except BaseException:
            # Interrupted, or the database failed: say what was committed before that.
            typer.echo(
                "stopped; committed before that: " + render.import_summary(summary, rejects),
                err=True,
            )
            raise
    if json_output:
        _print_json(summary.as_json())
    else:
        typer.echo(render.import_summary(summary, rejects))
    raise typer.Exit(1 if summary.rejected else 0)


def reject_record(refusal: Refusal, text: str | bytes) -> dict[str, Any]:
    """A rejects-file line: the refusal and the fact as submitted (the raw text if not JSON).

    A refused line of a rejects file is kept as the fact it wraps, so the rejects file of a
    rejects file can be imported too. A line over the size limit is not kept (``fact``: null).
    """
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


@app.command("member")
def member_command(
    member: Annotated[str, typer.Argument(help="The member's ledger id.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show a member as of a date, as known at a time."""
    day, moment, label = _when(as_of, known_at)
    with _read_models(db) as models:
        view = models.member(member, as_of=day, known_at=moment, label=label)
        quarantine = models.unreadable(member, known_at=moment)
    if quarantine is not None:  # the JSON stays SPEC §4's; the reason goes to stderr
        fact_id, detail = quarantine
        typer.echo(
            f"ledger: the stored history of {member} cannot be derived (fact {fact_id}: "
            f"{detail}); it is left out of every report until that fact is retracted",
            err=True,
        )
    if json_output:
        _print_json(view)
    else:
        typer.echo(render.member(view))


@app.command("roster")
def roster_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is listed.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """List the members on the roster of an org's subtree as of a date."""
    day, moment, label = _when(as_of, known_at)
    _check_format(fmt, out, db)
    with _read_models(db) as models:
        roster = _answer(lambda: models.roster(org, as_of=day, known_at=moment, label=label))
    _emit("roster", roster, json_output, fmt, out, render.roster)


report_app = typer.Typer(
    help="Reports: annual statistics, badges due, data quality.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


@report_app.command("annual")
def annual_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is reported.")],
    year: Annotated[
        int,
        typer.Option("--year", help="The calendar year.", min=FIRST_DAY.year, max=LAST_DAY.year),
    ],
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: Annotated[str, typer.Option("--lang", help="vi (default) or en.")] = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The annual statistics of an org's subtree, with the previous year for comparison."""
    if lang not in ("vi", "en"):
        _fail(f"--lang must be vi or en, not {lang!r}")
    _check_format(fmt, out, db)
    moment, label = _known_at(known_at, local_now())
    with _read_models(db) as models:
        report = _answer(lambda: models.annual(org, year=year, known_at=moment, label=label))
    _emit("annual", report, json_output, fmt, out, lambda r: annual_text.render(r, lang))


@report_app.command("badges")
def badges_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is reported.")],
    on: Annotated[str | None, typer.Option("--on", help="Date (default: today).")] = None,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Members whose highest party-age milestone reached is not yet awarded."""
    day = _day(on, local_now().date())
    with _read_models(db) as models:
        report = _answer(lambda: models.badges_due(org, on=day))
    if json_output:
        _print_json(report)
    else:
        typer.echo(render.badges_due(report))


@report_app.command("quality")
def quality_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is checked.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Data-quality findings: overdue transfers and probations, late reports, anomalies…"""
    day, moment, label = _when(as_of, known_at)
    _check_format(fmt, out, db)
    with _read_models(db) as models:
        report = _answer(lambda: models.quality(org, as_of=day, known_at=moment, label=label))
    _emit("quality", report, json_output, fmt, out, render.quality)


def _check_format(fmt: str, out: Path | None, db: str | None) -> None:
    if fmt not in ("text", "csv", "xlsx"):
        _fail(f"--format must be text, csv or xlsx, not {fmt!r}")
    if fmt == "xlsx" and out is None:
        _fail("--format xlsx needs --out FILE")
    _output(out, "--out", db)


def _emit(
    kind: str,
    report: dict[str, Any],
    json_output: bool,
    fmt: str,
    out: Path | None,
    as_text: Callable[[dict[str, Any]], str],
) -> None:
    if fmt == "xlsx":
        assert out is not None
        with files.replaced(out, "wb") as stream:
            exports.to_xlsx(kind, report, stream)
        typer.echo(f"{kind} report written to {out}")
        return
    if json_output:
        text = orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n"
    elif fmt == "csv":
        text = exports.to_csv(kind, report)
    else:
        text = as_text(report) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        with files.replaced(out) as stream:
            stream.write(text)
        typer.echo(f"{kind} report written to {out}")


@app.command("demo")
def demo_command(
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated history.")] = 2021,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the history as JSON Lines here.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Generate the Hải Phòng history, import it like any file and bring the reports up to date."""
    url = db or Settings().database_url
    out = _output(out, "--out", url)
    with _read_models(url, create=True) as models:
        started = time.perf_counter()
        # Three processes share the work: one generates the history into a pipe, this one
        # imports it line by line as it comes, and a projection worker follows the log.
        # Each commits (or writes) on its own, so any of them may stop at any point.
        generator = subprocess.Popen(
            [sys.executable, "-m", "commands.demo", str(seed)], stdout=subprocess.PIPE
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
                summary = import_facts(models.app, history, progress=advance)
        finally:
            worker.terminate()  # safe at any point: a batch commits whole or not at all
            if generator.stdout is not None:
                generator.stdout.close()  # read to the end, unless the import stopped early
            worker.wait()
            generator.wait()
        if generator.returncode != 0:
            _fail(f"the demo history generator failed (exit status {generator.returncode})")
        imported = time.perf_counter() - started
        started = time.perf_counter()
        behind = (models.app.recorder.max_notification_id() or 0) - models.runner.position()
        with render.progress(behind, "projecting") as advance:
            models.fresh(progress=advance)
        projected = time.perf_counter() - started
    facts = summary.accepted + summary.duplicates + summary.rejected
    typer.echo(
        f"demo history (seed {seed}): {facts:,} facts" + (f", written to {out}" if out else "")
    )
    typer.echo(render.import_summary(summary, None))
    typer.echo(
        f"generated and imported in {imported:.1f} s ({facts / max(imported, 1e-9):,.0f} "
        f"facts/s), read models caught up {projected:.1f} s later"
    )
    raise typer.Exit(1 if summary.rejected else 0)


def _tee(lines: Iterable[bytes], out: Path | None) -> Iterator[bytes]:
    """The lines as they come, also written to ``out`` (in one step, when all were read)."""
    if out is None:
        yield from lines
        return
    with files.replaced(out, "wb") as handle:
        for line in lines:
            handle.write(line)
            yield line


@app.command("project")
def project_command(
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep following the log until interrupted.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Bring the read models up to date with the event log (a projection worker)."""
    with _read_models(db) as models:
        applied = models.runner.catch_up()
        while follow:
            time.sleep(0.2)
            applied += models.runner.catch_up()
    typer.echo(f"read models up to date ({applied} events applied)")


@app.command("rebuild")
def rebuild_command(db: DbOption = None) -> None:
    """Rebuild every read model from the event log into fresh tables and swap them in."""
    with _read_models(db) as models:
        total = models.app.recorder.max_notification_id() or 0
        with render.progress(total, "rebuilding") as advance:
            position = rebuild(models.app, models.store, advance)
    typer.echo(f"read models rebuilt from {position} events")


@contextmanager
def _read_models(db: str | None, *, create: bool = False) -> Iterator[ReadModels]:
    with _open(db, create=create) as application:
        models = ReadModels(application)
        try:
            yield models
        finally:
            models.close()


def _answer(query: Any) -> Any:
    try:
        return query()
    except LedgerError as err:
        _fail(str(err), 1)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def main() -> None:
    """Entry point of the ``ledger`` console script: every error a user can cause is a message.

    Exit status: 0 done, 1 facts refused, 2 usage or environment (database, files), 130
    interrupted (Typer turns Ctrl-C into that status).
    """
    try:
        app()
    except SystemExit as done:
        if done.code == INTERRUPTED:
            typer.echo("ledger: interrupted", err=True)
        raise
    except LedgerError as err:  # pragma: no cover - every command maps its own refusals
        _fail(str(err), 1)
    except OSError as err:  # a file that cannot be read or written, a full disk…
        typer.echo(f"ledger: {err}", err=True)
        sys.exit(2)


INTERRUPTED = 130


if __name__ == "__main__":
    main()
