"""The directory's answers in the reader's language: the org tree, a member search and the fact
log as text, and the org tree and the fact log as spreadsheets (``exports.Document``)."""

from __future__ import annotations

from typing import Any

from api.formats import l10n
from api.formats.exports import Column, Document, Table
from api.formats.l10n import org_label
from api.formats.sheets import as_date
from projections.reports.directory import MemberSearch
from projections.reports.facts import FactLog
from projections.reports.names import Names
from projections.reports.orgs import OrgTree

BRIEF_CHARS = 80
"""A fact's own fields are cut to this many characters in the text (the JSON has them all)."""
COMMON = ("id", "type", "on", "recorded_at", "member", "ref", "note")


def _cols(lang: str, *spec: tuple[str, Any]) -> list[Column]:
    return [Column(l10n.word(f"col.{key}", lang), kind) for key, kind in spec]


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


def org_tree_document(tree: OrgTree, names: Names, lang: str) -> Document:
    """The tree as one table: an org per row, in tree order, with its level and count."""
    w = l10n.word
    columns = _cols(lang, ("org", "text"), ("org_name", "text"), ("level", "number"),
                    ("parent", "text"), ("registered_on", "date"), ("dissolved_on", "date"),
                    ("count", "number"))  # fmt: skip
    rows = [
        [o["org"], o["name"], o["level"], o["parent"], as_date(o["registered_on"]),
         as_date(o["dissolved_on"]), o["members"]]
        for o in tree.orgs
    ]  # fmt: skip
    subject = org_label(tree.org, names) if tree.org else w("orgs.every_root", lang)
    return Document(
        lang,
        f"{w('title.orgs', lang)} — {subject}",
        [
            (w("param.org", lang), subject),
            (w("param.as_of", lang), as_date(tree.as_of)),
            (w("param.known_at", lang), l10n.moment(tree.known_at, lang)),
        ],
        [Table(w("sheet.orgs", lang), columns, rows)],
    )


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
            f"{f['id']}{ref}  {brief(submitted)}{flags}".rstrip()
        )
    return "\n".join(lines)


def fact_log_document(log: FactLog, names: Names, lang: str) -> Document:
    """The fact log as one table, a fact per row, in recording order."""
    w = l10n.word
    columns = _cols(lang, ("recorded_at", "text"), ("on", "date"), ("type", "text"),
                    ("type_key", "text"), ("member", "text"), ("member_name", "text"),
                    ("org", "text"), ("org_name", "text"), ("fact", "text"), ("ref", "text"),
                    ("fields", "text"), ("retracted", "text"), ("anomaly", "text"))  # fmt: skip
    rows = []
    for f in log.facts:
        submitted = f["fact"] or {}
        rows.append(
            [l10n.moment(f["recorded_at"], lang), as_date(f["on"]),
             l10n.fact_type(f["type"], lang), f["type"], f["member"], names.member(f["member"]),
             f["org"], names.org(f["org"]), f["id"], submitted.get("ref"),
             brief(submitted, limit=None), l10n.yes_no(f["retracted"], lang),
             l10n.yes_no(f["anomaly"], lang)]
        )  # fmt: skip
    return Document(
        lang,
        w("title.facts", lang),
        [(w("param.facts", lang), len(rows))],
        [Table(w("sheet.facts", lang), columns, rows)],
    )


def brief(fact: dict[str, Any], limit: int | None = BRIEF_CHARS) -> str:
    """The fact's own fields as ``key=value``, cut to ``limit`` characters."""
    parts = []
    for key, value in fact.items():
        if key in COMMON:
            continue
        if isinstance(value, dict):
            parts += [f"{key}.{k}={v}" for k, v in value.items()]
        else:
            parts.append(f"{key}={value}")
    text = " ".join(parts)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
