"""The reading commands: ``ledger member``, ``roster`` and ``report annual|badges|quality``."""

from typing import Annotated

import typer

from api.cli import annual_text, render
from api.cli.common import (
    AsOfOption,
    DbOption,
    FormatOption,
    JsonOption,
    KnownAtOption,
    OutOption,
    answer,
    app,
    check_format,
    day_of,
    emit,
    fail,
    known_at_of,
    print_json,
    read_models,
    report_app,
    when,
)
from commands.clock import local_now
from ledger.facts import FIRST_DAY, LAST_DAY


@app.command("member", epilog="Example: ledger member hp-m0000334 --as-of 2022-01-15")
def member_command(
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="The member's ledger id.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show a member as of a date, as known at a time."""
    day, moment, label = when(as_of, known_at)
    with read_models(db) as models:
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
        print_json(view)
    else:
        typer.echo(render.member(view))


@app.command("roster", epilog="Example: ledger roster hp.d03 --as-of 2021-12-31")
def roster_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is listed.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """List the members on the roster of an org's subtree as of a date."""
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        roster = answer(lambda: models.roster(org, as_of=day, known_at=moment, label=label))
    emit("roster", roster, json_output, fmt, out, render.roster)


@report_app.command("annual", epilog="Example: ledger report annual hp --year 2021 --lang en")
def annual_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is reported.")],
    year: Annotated[
        int,
        typer.Option(
            "--year",
            metavar="YEAR",
            help="The calendar year.",
            min=FIRST_DAY.year,
            max=LAST_DAY.year,
        ),
    ],
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: Annotated[
        str, typer.Option("--lang", metavar="vi|en", help="Language of the text and exports.")
    ] = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The annual statistics of an org's subtree.

    With the previous year for comparison.
    """
    if lang not in ("vi", "en"):
        fail(f"--lang must be vi or en, not {lang!r}")
    check_format(fmt, out, db)
    moment, label = known_at_of(known_at, local_now())
    with read_models(db) as models:
        report = answer(lambda: models.annual(org, year=year, known_at=moment, label=label))
    emit("annual", report, json_output, fmt, out, lambda r: annual_text.render(r, lang))


@report_app.command("badges", epilog="Example: ledger report badges hp --on 2022-01-15")
def badges_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is reported.")],
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Date (default: today).")
    ] = None,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Members due a party-age badge.

    Those whose highest party-age milestone reached is not awarded yet.
    """
    day = day_of(on, local_now().date())
    with read_models(db) as models:
        report = answer(lambda: models.badges_due(org, on=day))
    if json_output:
        print_json(report)
    else:
        typer.echo(render.badges_due(report))


@report_app.command("quality", epilog="Example: ledger report quality hp.d03 --as-of 2022-01-31")
def quality_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is checked.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Data-quality findings of an org's subtree.

    Overdue transfers and probations, late reports, anomalies…
    """
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        report = answer(lambda: models.quality(org, as_of=day, known_at=moment, label=label))
    emit("quality", report, json_output, fmt, out, render.quality)
