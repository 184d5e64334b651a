"""The directory's answers as text in the reader's language: the org tree, a member search and
the fact log (their spreadsheets are ``api.formats.sheets.org_tree`` and ``.fact_log``)."""

from __future__ import annotations

from api.formats import l10n, sheets
from projections.reports.directory import MemberSearch
from projections.reports.facts import FactLog
from projections.reports.names import Names
from projections.reports.orgs import OrgTree


def _count(n: int, lang: str) -> str:
    return f"{l10n.number(n, lang)} {l10n.word('members', lang)}"


def org_tree(tree: OrgTree, lang: str) -> str:
    """The tree indented by level, each org with its name and its subtree's roster count."""
    w = l10n.word
    top = min((o["level"] for o in tree.orgs), default=0)
    lines = [
        f"{w('title.orgs', lang)} — {tree.org or w('orgs.every_root', lang)}",
        f"{w('param.as_of', lang)} {l10n.day(tree.as_of, lang)} "
        f"({w('param.known_at', lang).lower()} {l10n.moment(tree.known_at, lang)}): "
        f"{l10n.number(len(tree.orgs), lang)} {w('orgs', lang)}",
    ]
    for o in tree.orgs:
        dissolved = (
            f"  ({w('orgs.dissolved', lang)} {l10n.day(o['dissolved_on'], lang)})"
            if o["dissolved_on"]
            else ""
        )
        indent = "  " * (o["level"] - top + 1)
        lines.append(f"{indent}{o['org']}  {o['name']}  {_count(o['members'], lang)}{dissolved}")
    return "\n".join(lines)


def member_search(found: MemberSearch, names: Names, lang: str) -> str:
    """One line per member found: id, name, org (and its name)."""
    lines = [
        f"{l10n.word('members.found', lang)} {found.query!r}: "
        f"{l10n.number(len(found.members), lang)}"
    ]
    for m in found.members:
        org = f"{m['org']} {names.org(m['org'])}".rstrip() if m["org"] else "-"
        lines.append(f"  {m['member']:<20} {m['name']:<32} {org}")
    return "\n".join(lines)


def fact_log(log: FactLog, names: Names, lang: str) -> str:
    """One line per fact: recorded, on, type, member (name), org, id, ref, its own fields."""
    w = l10n.word
    lines = [f"{l10n.number(len(log.facts), lang)} {w('facts', lang)}"]
    for f in log.facts:
        flags = "".join(
            f" [{w(f'col.{flag}', lang).lower()}]"
            for flag, on in (("retracted", f["retracted"]), ("anomaly", f["anomaly"]))
            if on
        )
        name = names.member(f["member"])
        who = (f"{f['member']} ({name})" if name else f["member"]) if f["member"] else "-"
        submitted = f["fact"] or {}
        ref = f"  {w('col.ref', lang).lower()} {submitted['ref']}" if submitted.get("ref") else ""
        lines.append(
            f"{l10n.moment(f['recorded_at'], lang)}  {l10n.day(f['on'], lang)}  "
            f"{l10n.fact_type(f['type'], lang)}  {who}  {f['org'] or '-'}  "
            f"{f['id']}{ref}  {sheets.brief(submitted)}{flags}".rstrip()
        )
    return "\n".join(lines)
