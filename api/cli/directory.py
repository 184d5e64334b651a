"""The directory commands for clerks and auditors: ``ledger orgs``, ``members`` and ``facts``."""

from datetime import datetime, time
from typing import Annotated, Any

import typer

from api.cli.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    KnownAtOption,
    answer,
    app,
    fail,
    print_json,
    read_models,
    when,
)
from api.timeparse import parse_day, parse_known_at
from commands.clock import local_now
from projections.reports.directory import MAX_LIMIT, MemberSearch
from projections.reports.facts import FactLog
from projections.reports.names import Names
from projections.reports.orgs import OrgTree

BRIEF_CHARS = 80
"""How much of a fact's own fields a line of ``ledger facts`` shows."""
COMMON = ("id", "type", "on", "recorded_at", "member", "ref", "note")


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
    db: DbOption = None,
) -> None:
    """The org tree with names and roster counts as of a date."""
    day, moment, label = when(as_of, known_at)
    with read_models(db) as models:
        tree = answer(lambda: models.orgs(org, as_of=day, known_at=moment, label=label))
    if json_output:
        print_json(tree)
    else:
        typer.echo(org_tree_text(tree))


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
        typer.Option("--limit", metavar="N", help="List at most this many.", min=1, max=MAX_LIMIT),
    ] = 50,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Find members by name."""
    with read_models(db) as models:
        try:
            found = models.members(name, limit=limit)
        except ValueError as err:
            fail(str(err))
        names = models.names(orgs=[m["org"] for m in found.members if m["org"]])
    if json_output:
        print_json(found)
    else:
        typer.echo(members_text(found, names))


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
    db: DbOption = None,
) -> None:
    """The fact log in recording order, each fact as submitted."""
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
    if json_output:
        print_json(log)
    else:
        typer.echo(facts_text(log, names))


def _moment(text: str, now: datetime, *, start: bool) -> datetime:
    """A time typed for --since (a bare date: its start) or --until (its end)."""
    try:
        if start and "T" not in text and " " not in text:
            return datetime.combine(parse_day(text), time.min, tzinfo=now.tzinfo)
        return parse_known_at(text, now)
    except ValueError as err:
        fail(f"{'--since' if start else '--until'}: {err}")


# --- text ---------------------------------------------------------------------------------------


def count(n: int) -> str:
    """A count with Vietnamese thousands separators: 127.455."""
    return f"{n:,}".replace(",", ".")


def org_tree_text(tree: OrgTree) -> str:
    """The tree indented by level, each org with its name and its subtree's roster count."""
    top = min((o["level"] for o in tree.orgs), default=0)
    lines = [
        f"org tree of {tree.org or 'every root'} as of {tree.as_of} "
        f"(known at {tree.known_at}): {len(tree.orgs)} orgs"
    ]
    for o in tree.orgs:
        dissolved = f"  (dissolved {o['dissolved_on']})" if o["dissolved_on"] else ""
        indent = "  " * (o["level"] - top + 1)
        lines.append(
            f"{indent}{o['org']}  {o['name']}  {count(o['members'])} "
            f"member{'' if o['members'] == 1 else 's'}{dissolved}"
        )
    return "\n".join(lines)


def members_text(found: MemberSearch, names: Names) -> str:
    """One line per member found: id, name, org (and its name)."""
    lines = [f"members whose name contains {found.query!r}: {len(found.members)}"]
    for m in found.members:
        org = f"{m['org']} {names.org(m['org'])}".rstrip() if m["org"] else "-"
        lines.append(f"  {m['member']:<20} {m['name']:<32} {org}")
    return "\n".join(lines)


def facts_text(log: FactLog, names: Names) -> str:
    """One line per fact: recorded, on, type, member (name), org, id, ref, its own fields."""
    lines = [f"{len(log.facts)} facts"]
    for f in log.facts:
        flags = "".join(
            f" [{flag}]"
            for flag, on in (("retracted", f["retracted"]), ("anomaly", f["anomaly"]))
            if on
        )
        who = f"{f['member']} ({names.member(f['member'])})" if f["member"] else "-"
        if f["member"] and not names.member(f["member"]):
            who = f["member"]
        submitted = f["fact"] or {}
        ref = f"  ref {submitted['ref']}" if submitted.get("ref") else ""
        lines.append(
            f"{f['recorded_at']}  {f['on']}  {f['type']}  {who}  {f['org'] or '-'}  "
            f"{f['id']}{ref}  {_brief(submitted)}{flags}".rstrip()
        )
    return "\n".join(lines)


def _brief(fact: dict[str, Any]) -> str:
    """The fact's own fields as ``key=value``, cut to ``BRIEF_CHARS``."""
    parts = []
    for key, value in fact.items():
        if key in COMMON:
            continue
        if isinstance(value, dict):
            parts += [f"{key}.{k}={v}" for k, v in value.items()]
        else:
            parts.append(f"{key}={value}")
    text = " ".join(parts)
    return text if len(text) <= BRIEF_CHARS else text[: BRIEF_CHARS - 1] + "…"
