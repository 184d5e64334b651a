"""What every ``ledger`` command shares: the Typer apps, the common options, opening the
ledger through the bootstrap, the checks on output paths, the dates and times users type,
and the way errors become messages.

Start-up is most of a query's time, so this module and the command modules import only what
every command needs; the rest is imported by the command that uses it: the bootstrap (and with
it the event store and the read models) when a command opens the ledger, the write side by
``import`` and ``demo``, psycopg only for a PostgreSQL URL, rich only for a progress bar on a
terminal, openpyxl only for ``--format xlsx`` (docs/operations.md, start-up).

The command modules do not postpone the evaluation of annotations (no ``from __future__ import
annotations``): typer reads every command's parameter annotations on every run, and evaluating
each one again from its text took longer than the query itself.
"""

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import orjson
import typer

from api.formats.l10n import LANGS
from api.settings import Settings
from api.timeparse import parse_day, parse_known_at
from commands.clock import local_now
from ledger.errors import LedgerError
from storage.outage import first_line, unavailable
from storage.urls import Database, database_files, parse_database_url, redacted_url, scrubbed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic import BaseModel

    from api.bootstrap import Ledger
    from api.formats import exports
    from projections.queries import ReadModels
    from projections.reports.names import Names

PROGRAM = "ledger"
DISTRIBUTION = "membership-ledger"


def print_version(asked: bool) -> None:
    """``--version``: the installed package's version, from its metadata."""
    if not asked:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout that was never installed
        number = "(version unknown: the package is not installed)"
    typer.echo(f"{PROGRAM} {number}")
    raise typer.Exit()


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name=PROGRAM,
    help="Event-sourced membership ledger: record facts, read rosters and reports.",
    epilog="Example: ledger member hp-m0000334 --as-of 2022-01-15 --db sqlite:///demo.db",
    no_args_is_help=True,
    add_completion=True,
    context_settings=HELP_OPTIONS,
    # Plain help and error messages: rich formatting would load rich on every --help and
    # every usage error (about 0.4 s); rich stays for the progress bar on a terminal.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def ledger_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Event-sourced membership ledger: record facts, read rosters and reports."""


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL (default: $LEDGER_DATABASE_URL or sqlite:///ledger.db).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
FormatOption = Annotated[
    str,
    typer.Option("--format", metavar="text|csv|xlsx", help="Output format (xlsx needs --out)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Write the report to this file instead of stdout."),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", metavar="DATE", help="Date (default: today).")
]
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        metavar="TIME",
        help="Use only what was recorded by this time (ISO date-time; a date means its end).",
    ),
]
LangOption = Annotated[
    str,
    typer.Option("--lang", metavar="vi|en", help="Language of the text and exports (default vi)."),
]


def check_lang(lang: str) -> None:
    """Refuse a language the reports are not written in."""
    if lang not in LANGS:
        fail(f"--lang must be vi or en, not {lang!r}")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"ledger: {message}", err=True)
    raise typer.Exit(code)


DATABASE_ERROR_NAMES = (
    ("sqlite3", "Error"),
    ("psycopg", "Error"),
    ("eventsourcing.persistence", "PersistenceError"),
)
"""The exceptions of a database failure, as (module, name): the drivers' and the library's."""


def database_errors(*also: type[Exception]) -> tuple[type[Exception], ...]:
    """The exceptions a database failure raises, among the drivers this process has loaded
    (and ``also``).

    Looked up when an error is being handled: a driver that raised it is loaded by then, and
    naming psycopg's errors must not load psycopg for a SQLite database.
    """
    errors: list[type[Exception]] = list(also)
    for module, name in DATABASE_ERROR_NAMES:
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors.append(getattr(loaded, name))
    return tuple(errors)


@contextmanager
def open_ledger(
    db: str | None, *, migrate: bool = False, create: bool = False, log_only: bool = False
) -> "Iterator[Ledger]":
    """The ledger at ``db``, for writing (``migrate``: tables created or upgraded) or for
    reading (no DDL; the read models must be there, unless the command reads the ``log_only``).
    A SQLite file must exist unless the command ``create``s it (import, demo, migrate)."""
    from api.bootstrap import Ledger
    from projections.store import NotMigrated

    url = db or Settings().database_url
    try:
        database = parse_database_url(url)
    except ValueError as err:
        fail(str(err))
    if not create:
        require_existing(database)
    try:
        ledger = Ledger(url, migrate=migrate or create, read_models=not log_only)
    except NotMigrated as err:
        fail(str(err))
    except database_errors(OSError) as err:
        fail(f"cannot open the database {redacted_url(url)}: {scrubbed(first_line(err), url)}")
    try:
        yield ledger
    except database_errors() as err:  # lost connection, read-only or full disk, corrupt file…
        # One line: a driver's message spans several (hints), which a log shows as many.
        what = "database unavailable" if unavailable(err) else "database error"
        fail(f"{what} ({redacted_url(url)}): {scrubbed(first_line(err), url)}")
    except NotMigrated as err:
        fail(str(err))
    finally:
        ledger.close()


def require_existing(database: Database) -> None:
    """Refuse to read a SQLite file that does not exist (a typo would create an empty one)."""
    files = database_files(database)
    if files and not os.path.isfile(files[0]):
        fail(
            f"no ledger database at {files[0]} (check --db or LEDGER_DATABASE_URL; "
            "'ledger import' creates one)"
        )


def protected_files(db: str | None, *inputs: Path) -> dict[str, str]:
    """The files an output must not overwrite: the command's inputs and the database's files."""
    try:
        database = parse_database_url(db or Settings().database_url)
    except ValueError as err:
        fail(str(err))
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


def output_path(path: Path | None, option: str, db: str | None, *inputs: Path) -> Path | None:
    """``path`` once it is safe to write (see ``files.check_output``)."""
    if path is None:
        return None
    from api.cli import files

    try:
        return files.check_output(path, protected_files(db, *inputs), option)
    except files.OutputRefused as err:
        fail(str(err))


def day_of(text: str | None, default: date) -> date:
    if text is None:
        return default
    try:
        return parse_day(text)
    except ValueError as err:
        fail(str(err))


def when(as_of: str | None, known_at: str | None) -> tuple[date, datetime | None, str]:
    """The as-of date (default today), the knowledge time (None: now) and its label."""
    now = local_now()
    moment, label = known_at_of(known_at, now)
    return day_of(as_of, now.date()), moment, label


def known_at_of(text: str | None, now: datetime) -> tuple[datetime | None, str]:
    if text is None:
        return None, now.isoformat()
    try:
        moment = parse_known_at(text, now)
    except ValueError as err:
        fail(str(err))
    return moment, moment.isoformat()


def json_text(payload: "BaseModel | dict[str, Any]") -> str:
    """A report (its model dumped: exactly the JSON of the spec) or a summary, indented."""
    data = payload if isinstance(payload, dict) else payload.model_dump()
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


def print_json(payload: "BaseModel | dict[str, Any]") -> None:
    sys.stdout.write(json_text(payload))


report_app = typer.Typer(
    help="Reports: annual statistics, badges due, data quality.",
    epilog="Example: ledger report annual hp --year 2021",
    no_args_is_help=True,
    context_settings=HELP_OPTIONS,
    rich_markup_mode=None,
)
app.add_typer(report_app, name="report")


def check_format(fmt: str, out: Path | None, db: str | None) -> None:
    if fmt not in ("text", "csv", "xlsx"):
        fail(f"--format must be text, csv or xlsx, not {fmt!r}")
    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE")
    output_path(out, "--out", db)


def emit(
    kind: str,
    report: "BaseModel",
    json_output: bool,
    fmt: str,
    out: Path | None,
    as_text: Callable[[], str],
    as_document: "Callable[[], exports.Document]",
) -> None:
    """Print or write the report: its JSON (``--json``), its text, or its spreadsheet (CSV:
    the document's first table; XLSX: every table, to ``--out``)."""
    from api.cli import files
    from api.formats import exports

    if fmt == "xlsx":
        assert out is not None
        with files.replaced(out, "wb") as stream:
            exports.to_xlsx(as_document(), stream)
        typer.echo(f"{kind} report written to {out}")
        return
    if json_output:
        text = json_text(report)
    elif fmt == "csv":
        text = exports.to_csv(as_document())
    else:
        text = as_text() + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        with files.replaced(out) as stream:
            stream.write(text)
        typer.echo(f"{kind} report written to {out}")


@contextmanager
def read_models(db: str | None) -> "Iterator[ReadModels]":
    """The read models of the ledger at ``db``, for reading (see ``open_ledger``), caught up
    with the log under the batch-work GC policy (the first read after a large import may
    apply many batches; the query's own catch-up then finds nothing to do)."""
    with open_ledger(db) as ledger:
        models = ledger.models
        lag = models.store.log_lag()
        if lag >= SHOW_CATCH_UP:
            typer.echo(
                f"ledger: bringing the read models up to date ({lag:,} new events)…", err=True
            )
        with batch_work() as after_batch:
            if lag >= SHOW_CATCH_UP:
                from api.cli.render import progress

                with progress(lag, "read models", "events") as advance:
                    models.fresh(after_batch(advance))
            else:
                models.fresh(after_batch(lambda n: None))
        yield models


SHOW_CATCH_UP = 5_000
"""A catch-up of this many events or more is announced and shows progress on stderr."""


def answer(query: Any) -> Any:
    try:
        return query()
    except LedgerError as err:
        fail(str(err), 1)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


@contextmanager
def batch_work() -> Iterator[Callable[[Callable[[int], None]], Callable[[int], None]]]:
    """The process's garbage-collection policy for long batch work (imports, catch-ups).

    Automatic cyclic collections ran in the middle of batches, found nothing (a batch's
    objects form no cycles; refusals are kept as plain values) and took a third of an
    import's time. Inside this block they are off; the progress callback wrapped by the
    yielded function collects the young generations once per batch instead, which is cheap
    because the batch's objects are gone by then. Set here, at the command line: a server
    that shares the use cases between threads keeps Python's default.
    """
    enabled = gc.isenabled()
    gc.disable()

    def collecting(advance: Callable[[int], None]) -> Callable[[int], None]:
        def after_batch(n: int) -> None:
            gc.collect(1)
            advance(n)

        return after_batch

    try:
        yield collecting
    finally:
        if enabled:
            gc.enable()


def in_words(json_output: bool, fmt: str) -> bool:
    """Whether the answer is text or a spreadsheet (names wanted), not the JSON of the spec."""
    return fmt == "xlsx" or not json_output


def names_for(
    models: "ReadModels",
    orgs: "Iterable[str | None]",
    members: "Iterable[str | None]",
    wanted: bool = True,
) -> "Names":
    """The names of ``orgs`` and ``members`` (ids may repeat or be None); none when not
    ``wanted`` (the JSON carries ids only)."""
    if not wanted:
        from projections.reports.names import Names

        return Names()
    return models.names(orgs=orgs, members=members)
