"""The reading commands: ``ledger member``, ``roster`` and ``report annual|badges|quality``."""

from typing import Annotated

import typer

from api.cli.common import (
    AsOfOption,
    DbOption,
    FormatOption,
    JsonOption,
    KnownAtOption,
    LangOption,
    OutOption,
    answer,
    app,
    check_format,
    check_lang,
    day_of,
    emit,
    in_words,
    known_at_of,
    names_for,
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
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Show a member as of a date, as known at a time."""
    from api.cli import render
    from api.formats import sheets

    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        view = models.member(member, as_of=day, known_at=moment, label=label)
        quarantine = models.unreadable(member, known_at=moment)
        orgs = [view.org, view.to_org]
        names = names_for(models, orgs, [member], in_words(json_output, fmt))
        by = models.recorders(member, known_at=moment) if in_words(json_output, fmt) else {}
    if quarantine is not None:  # the JSON stays SPEC §4's; the reason goes to stderr
        fact_id, detail = quarantine
        typer.echo(
            f"ledger: the stored history of {member} cannot be derived (fact {fact_id}: "
            f"{detail}); it is left out of every report until that fact is retracted",
            err=True,
        )
    emit("member", view, json_output, fmt, out,
         lambda: render.member(view, names, lang, by),
         lambda: sheets.member(view, names, lang))  # fmt: skip


@app.command("roster", epilog="Example: ledger roster hp.d03 --as-of 2021-12-31")
def roster_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is listed.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """List the members on the roster of an org's subtree as of a date."""
    from api.cli import render
    from api.formats import sheets

    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        roster = answer(lambda: models.roster(org, as_of=day, known_at=moment, label=label))
        rows = roster.members
        names = names_for(
            models,
            [org, *(m["org"] for m in rows)],
            [m["member"] for m in rows],
            in_words(json_output, fmt),
        )
    emit("roster", roster, json_output, fmt, out,
         lambda: render.roster(roster, names, lang),
         lambda: sheets.roster(roster, names, lang))  # fmt: skip


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
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The annual statistics of an org's subtree.

    With the previous year for comparison.
    """
    from api.cli import annual_text
    from api.formats import sheets
    from projections.reports.committees import Committees, committees

    check_lang(lang)
    check_format(fmt, out, db)
    moment, label = known_at_of(known_at, local_now())
    with read_models(db) as models:
        report = answer(lambda: models.annual(org, year=year, known_at=moment, label=label))
        # Beside SPEC §4's JSON, never in it: the subordinate committees recording.
        words = in_words(json_output, fmt)
        this, last = (
            (committees(models, org, y, moment) for y in (year, year - 1))
            if words
            else (Committees(year, (), ()), Committees(year - 1, (), ()))
        )
        names = names_for(models, [org, *this.committees], [], words)
    emit("annual", report, json_output, fmt, out,
         lambda: annual_text.render(report, lang, names, this),
         lambda: sheets.annual(report, names, lang, (this, last)))  # fmt: skip


@report_app.command("badges", epilog="Example: ledger report badges hp --on 2022-01-15")
def badges_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is reported.")],
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Date (default: today).")
    ] = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Members due a party-age badge.

    Those whose highest party-age milestone reached is not awarded yet.
    """
    from api.cli import render
    from api.formats import sheets

    check_lang(lang)
    day = day_of(on, local_now().date())
    check_format(fmt, out, db)
    with read_models(db) as models:
        report = answer(lambda: models.badges_due(org, on=day))
        members = [d["member"] for d in report.due]
        names = names_for(models, [org], members, in_words(json_output, fmt))
    emit("badges", report, json_output, fmt, out,
         lambda: render.badges_due(report, names, lang),
         lambda: sheets.badges_due(report, names, lang))  # fmt: skip


@report_app.command("quality", epilog="Example: ledger report quality hp.d03 --as-of 2022-01-31")
def quality_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is checked.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Data-quality findings of an org's subtree.

    Overdue transfers and probations, late reports, anomalies…
    """
    from api.cli import render
    from api.formats import sheets

    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        report = answer(lambda: models.quality(org, as_of=day, known_at=moment, label=label))
        found = report.findings
        names = names_for(
            models,
            [org, *(f["org"] for f in found)],
            [f["member"] for f in found],
            in_words(json_output, fmt),
        )
    emit("quality", report, json_output, fmt, out,
         lambda: render.quality(report, names, lang),
         lambda: sheets.quality(report, names, lang))  # fmt: skip
