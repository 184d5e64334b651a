"""The reading commands: ``ledger member``, ``roster`` and ``report annual|badges|quality``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import typer

from api.cli import annual_text, render, sheets
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
    read_models,
    report_app,
    when,
)
from api.cli.l10n import LANGS
from commands.application import local_now
from ledger.facts import FIRST_DAY, LAST_DAY
from projections.queries import ReadModels
from projections.reports.committees import Committees, committees
from projections.reports.names import Names

LangOption = Annotated[str, typer.Option("--lang", help="vi (default) or en.")]


def check_lang(lang: str) -> None:
    """Refuse a language the reports are not written in."""
    if lang not in LANGS:
        fail(f"--lang must be vi or en, not {lang!r}")


@app.command("member")
def member_command(
    member: Annotated[str, typer.Argument(help="The member's ledger id.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Show a member as of a date, as known at a time."""
    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        view = models.member(member, as_of=day, known_at=moment, label=label)
        quarantine = models.unreadable(member, known_at=moment)
        orgs = [view.org, view.to_org]
        names = names_for(models, orgs, [member]) if in_words(json_output, fmt) else Names()
    if quarantine is not None:  # the JSON stays SPEC §4's; the reason goes to stderr
        fact_id, detail = quarantine
        typer.echo(
            f"ledger: the stored history of {member} cannot be derived (fact {fact_id}: "
            f"{detail}); it is left out of every report until that fact is retracted",
            err=True,
        )
    emit("member", view, json_output, fmt, out,
         lambda: render.member(view, names, lang),
         lambda: sheets.member(view, names, lang))  # fmt: skip


@app.command("roster")
def roster_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is listed.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """List the members on the roster of an org's subtree as of a date."""
    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        roster = answer(lambda: models.roster(org, as_of=day, known_at=moment, label=label))
        rows = roster.members
        names = (
            names_for(models, [org, *(m["org"] for m in rows)], [m["member"] for m in rows])
            if in_words(json_output, fmt)
            else Names()
        )
    emit("roster", roster, json_output, fmt, out,
         lambda: render.roster(roster, names, lang),
         lambda: sheets.roster(roster, names, lang))  # fmt: skip


@report_app.command("annual")
def annual_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is reported.")],
    year: Annotated[
        int,
        typer.Option("--year", help="The calendar year.", min=FIRST_DAY.year, max=LAST_DAY.year),
    ],
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The annual statistics of an org's subtree, with the previous year for comparison."""
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
        names = names_for(models, [org, *this.committees], []) if words else Names()
    emit("annual", report, json_output, fmt, out,
         lambda: annual_text.render(report, lang, names, this),
         lambda: sheets.annual(report, names, lang, (this, last)))  # fmt: skip


@report_app.command("badges")
def badges_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is reported.")],
    on: Annotated[str | None, typer.Option("--on", help="Date (default: today).")] = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Members whose highest party-age milestone reached is not yet awarded."""
    check_lang(lang)
    day = day_of(on, local_now().date())
    check_format(fmt, out, db)
    with read_models(db) as models:
        report = answer(lambda: models.badges_due(org, on=day))
        members = [d["member"] for d in report.due]
        names = names_for(models, [org], members) if in_words(json_output, fmt) else Names()
    emit("badges", report, json_output, fmt, out,
         lambda: render.badges_due(report, names, lang),
         lambda: sheets.badges_due(report, names, lang))  # fmt: skip


@report_app.command("quality")
def quality_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is checked.")],
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Data-quality findings: overdue transfers and probations, late reports, anomalies…"""
    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        report = answer(lambda: models.quality(org, as_of=day, known_at=moment, label=label))
        found = report.findings
        names = (
            names_for(models, [org, *(f["org"] for f in found)], [f["member"] for f in found])
            if in_words(json_output, fmt)
            else Names()
        )
    emit("quality", report, json_output, fmt, out,
         lambda: render.quality(report, names, lang),
         lambda: sheets.quality(report, names, lang))  # fmt: skip


def in_words(json_output: bool, fmt: str) -> bool:
    """Whether the answer is text or a spreadsheet (names wanted), not SPEC §4's JSON."""
    return fmt == "xlsx" or not json_output


# TEMPORARY, to be removed at the merge with the `names` branch (which adds
# ``ReadModels.names``): org names from ``rm_orgs``, no member names.
def names_for(
    models: ReadModels, orgs: Iterable[str | None], members: Iterable[str | None]
) -> Names:
    """The names of ``orgs`` and ``members`` (ids may repeat or be None)."""
    org_ids = sorted({o for o in orgs if o is not None})
    member_ids = sorted({m for m in members if m is not None})
    if hasattr(models, "names"):
        named: Names = models.names(orgs=org_ids, members=member_ids)
        return named
    wanted = set(org_ids)
    rows = models.store.fetchall("SELECT org, name FROM rm_orgs")
    return Names(orgs={str(o): str(n) for o, n in rows if o in wanted})
