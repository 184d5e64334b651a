"""The directory commands for clerks and auditors: ``ledger orgs``, ``members`` and ``facts``."""

from datetime import datetime
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
    emit,
    fail,
    in_words,
    names_for,
    print_json,
    read_models,
    when,
)
from api.timeparse import parse_known_at, parse_since
from commands.clock import local_now
from projections.text import MAX_SEARCH


@app.command("orgs", epilog="Example: ledger orgs hp --as-of 2021-12-31")
def orgs_command(
    org: Annotated[
        str | None,
        typer.Argument(
            metavar="[ORG]", help="The org whose subtree is listed (default: every tree)."
        ),
    ] = None,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The org tree with names and roster counts as of a date."""
    from api.cli import directory_text
    from api.formats import sheets

    check_lang(lang)
    day, moment, label = when(as_of, known_at)
    check_format(fmt, out, db)
    with read_models(db) as models:
        tree = answer(lambda: models.orgs(org, as_of=day, known_at=moment, label=label))
        names = names_for(models, [org], [], in_words(json_output, fmt))
    emit("orgs", tree, json_output, fmt, out,
         lambda: directory_text.org_tree(tree, lang),
         lambda: sheets.org_tree(tree, names, lang))  # fmt: skip


@app.command("members", epilog='Example: ledger members --name "nguyen van"')
def members_command(
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="TEXT", help="Part of the name (accents and case do not matter)."
        ),
    ],
    limit: Annotated[
        int,
        typer.Option("--limit", metavar="N", help="List at most this many.", min=1, max=MAX_SEARCH),
    ] = 50,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    db: DbOption = None,
) -> None:
    """Find members by name."""
    from api.cli import directory_text

    check_lang(lang)
    with read_models(db) as models:
        try:
            found = models.members(name, limit=limit)
        except ValueError as err:
            fail(str(err))
        names = models.names(orgs=[m["org"] for m in found.members if m["org"]])
    if json_output:
        print_json(found)
    else:
        typer.echo(directory_text.member_search(found, names, lang))


@app.command("facts", epilog="Example: ledger facts --member hp-m0000404")
def facts_command(
    member: Annotated[
        str | None, typer.Option("--member", metavar="MEMBER", help="Only this member's facts.")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option("--org", metavar="ORG", help="Only facts concerning this org's subtree."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="TIME", help="Recorded at or after (a date: its start)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="TIME", help="Recorded at or before (a date: its end)."),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", metavar="TYPE", help="Only facts of this type (repeatable)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="List at most this many.", min=1)
    ] = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The fact log in recording order, each fact as submitted."""
    from api.cli import directory_text
    from api.formats import sheets

    check_lang(lang)
    check_format(fmt, out, db)
    now = local_now()
    start = _moment(since, now, start=True) if since is not None else None
    end = _moment(until, now, start=False) if until is not None else None
    if start is not None and end is not None and start > end:
        fail(f"--since {since} is after --until {until}")
    with read_models(db) as models:
        try:
            log = answer(
                lambda: models.facts(
                    member=member, org=org, since=start, until=end, types=types, limit=limit
                )
            )
        except ValueError as err:
            fail(str(err))
        names = models.names(
            orgs=[f["org"] for f in log.facts if f["org"]],
            members=[f["member"] for f in log.facts if f["member"]],
        )
    emit("facts", log, json_output, fmt, out,
         lambda: directory_text.fact_log(log, names, lang),
         lambda: sheets.fact_log(log, names, lang))  # fmt: skip


def _moment(text: str, now: datetime, *, start: bool) -> datetime:
    """A time typed for --since (a bare date: its start) or --until (its end)."""
    try:
        return parse_since(text, now) if start else parse_known_at(text, now)
    except ValueError as err:
        fail(f"{'--since' if start else '--until'}: {err}")
