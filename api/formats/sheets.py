"""Each report as a spreadsheet ``Document`` (see ``exports``): its title and parameters, and
its tables with org names beside org ids and member names beside member ids, in the language.

- roster: one row per member (id, name, org id, org name, status, since);
- annual: one row per figure (label, key, year Y, share, share of, year Y-1, change), then the
  subordinate committees and those recording in each year;
- quality: the findings (the CSV); the XLSX has the counts per kind as a second sheet;
- badges due: one row per member (id, name, milestone, party age);
- member: the member's facts (on, type, id, recorded at, retracted, anomaly).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from api.formats import l10n
from api.formats.details import detail
from api.formats.exports import Column, Document, Table
from api.formats.l10n import org_label
from projections.reports.annual import AnnualFigures, AnnualReport
from projections.reports.badges import BadgesDue
from projections.reports.committees import Committees
from projections.reports.diff import AnnualDiff
from projections.reports.facts import FactLog
from projections.reports.member import MemberView
from projections.reports.names import Names
from projections.reports.orgs import OrgTree
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster

BRIEF_CHARS = 80
"""A fact's own fields are cut to this many characters in the text (the JSON has them all)."""
COMMON = ("id", "type", "on", "recorded_at", "member", "ref", "note")


def as_date(text: str | None) -> date | str | None:
    """An ISO day as a date (a real date in XLSX); other text as it is."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


def _cols(lang: str, *spec: tuple[str, Any]) -> list[Column]:
    return [Column(l10n.word(f"col.{key}", lang), kind) for key, kind in spec]


def roster(view: Roster, names: Names, lang: str) -> Document:
    """The roster: one row per member."""
    w = l10n.word
    columns = _cols(lang, ("member", "text"), ("member_name", "text"), ("org", "text"),
                    ("org_name", "text"), ("status", "text"), ("since", "date"))  # fmt: skip
    rows = [
        [m["member"], names.member(m["member"]), m["org"], names.org(m["org"]),
         l10n.status(m["status"], lang), as_date(m["since"])]
        for m in view.members
    ]  # fmt: skip
    return Document(
        lang,
        f"{w('title.roster', lang)} — {org_label(view.org, names)}",
        [
            (w("param.org", lang), org_label(view.org, names)),
            (w("param.as_of", lang), as_date(view.as_of)),
            (w("param.known_at", lang), l10n.moment(view.known_at, lang)),
            (w("param.count", lang), view.count),
        ],
        [Table(w("sheet.roster", lang), columns, rows)],
    )


BASES = {
    "readmitted": "admitted",
    "admitted_by": "admitted",
    "admitted_with_dossier": "admitted",
    "dossiers_recorded_at_end": "members_at_end",
    "in_transit_at_end": "members_at_end",
    "badges_by_years": "badges_awarded",
}
"""The figure each share is taken of, by key (or the first part of a dotted key)."""


def figures(r: AnnualFigures) -> list[tuple[str, Any]]:
    """Every figure of one year as (dotted key, value), in the order of SPEC §4."""
    out: list[tuple[str, Any]] = []
    for key, value in r.model_dump().items():
        if key in ("org", "year", "known_at", "previous_year"):
            continue
        if key == "admitted_by":
            for sub, sub_value in value.items():
                if sub == "occupation":
                    out += [(f"{key}.{sub}.{job}", n) for job, n in sub_value.items()]
                else:
                    out.append((f"{key}.{sub}", sub_value))
        elif key == "badges_by_years":
            out += [(f"{key}.{years}", n) for years, n in value.items()]
        else:
            out.append((key, value))
    return out


def figure_label(key: str, lang: str) -> str:
    """The label of a figure's row (an occupation or milestone adds its own words; a figure of
    the previous year, ``previous_year.died``, says so)."""
    if key.startswith("previous_year."):
        label = figure_label(key.removeprefix("previous_year."), lang)
        return f"{label} ({l10n.word('previous_year', lang)})"
    if key.startswith("admitted_by.occupation."):
        job = key.rsplit(".", 1)[1]
        return f"{l10n.word('fig.admitted_by.occupation', lang)}: {l10n.occupation(job, lang)}"
    if key.startswith("badges_by_years."):
        years = key.rsplit(".", 1)[1]
        return f"{l10n.word('fig.badges_by_years', lang)} {years} {l10n.word('years', lang)}"
    return l10n.word(f"fig.{key}", lang)


def annual(
    report: AnnualReport, names: Names, lang: str, committees: tuple[Committees, Committees]
) -> Document:
    """The annual report: one row per figure, with its share, the previous year and the
    change; then the subordinate committees (``committees``: year Y, then Y-1)."""
    w, y = l10n.word, report.year
    now = dict(figures(report))
    before = dict(figures(report.previous_year))
    columns = [
        Column(w("col.figure", lang)), Column(w("col.key", lang)), Column(str(y), "number"),
        Column(w("col.share", lang), "percent"), Column(w("col.base", lang)),
        Column(str(report.previous_year.year), "number"), Column(w("col.change", lang), "number"),
    ]  # fmt: skip
    rows: list[list[Any]] = []
    for key, value in now.items():
        base = BASES.get(key, BASES.get(key.split(".", 1)[0]))
        whole = now[base] if base else 0
        share = value / whole if base and whole else None
        change = None if isinstance(value, bool) else value - before[key]
        rows.append([figure_label(key, lang), key, value, share,
                     w(f"fig.{base}", lang) if base else None, before[key], change])  # fmt: skip
    this, last = committees
    rows.append([w("fig.committees", lang), "committees", len(this.committees), None, None,
                 len(last.committees), len(this.committees) - len(last.committees)])  # fmt: skip
    share = len(this.recording) / len(this.committees) if this.committees else None
    rows.append([w("fig.committees_recording", lang), "committees_recording",
                 len(this.recording), share, w("fig.committees", lang), len(last.recording),
                 len(this.recording) - len(last.recording)])  # fmt: skip
    return Document(
        lang,
        f"{w('title.annual', lang)} {y} — {org_label(report.org, names)}",
        [
            (w("param.org", lang), org_label(report.org, names)),
            (w("param.year", lang), str(y)),  # text: a year is not a count (no "2,021")
            (w("param.known_at", lang), l10n.moment(report.known_at, lang)),
        ],
        [Table(w("sheet.annual", lang), columns, rows)],
    )


def quality(view: QualityReport, names: Names, lang: str) -> Document:
    """The findings (with the names of their org and member), then the counts per kind."""
    w = l10n.word
    columns = _cols(lang, ("kind", "text"), ("kind_key", "text"), ("org", "text"),
                    ("org_name", "text"), ("member", "text"), ("member_name", "text"),
                    ("fact", "text"), ("detail", "text"))  # fmt: skip
    rows = [
        [l10n.kind(f["kind"], lang), f["kind"], f["org"], names.org(f["org"]), f["member"],
         names.member(f["member"]), f["fact"], detail(f["kind"], f["detail"], lang)]
        for f in view.findings
    ]  # fmt: skip
    counts = [[l10n.kind(k, lang), k, n] for k, n in view.counts.items()]
    return Document(
        lang,
        f"{w('title.quality', lang)} — {org_label(view.org, names)}",
        [
            (w("param.org", lang), org_label(view.org, names)),
            (w("param.as_of", lang), as_date(view.as_of)),
            (w("param.known_at", lang), l10n.moment(view.known_at, lang)),
            (w("param.findings", lang), len(view.findings)),
        ],
        [
            Table(w("sheet.findings", lang), columns, rows),
            Table(
                w("sheet.counts", lang),
                _cols(lang, ("kind", "text"), ("kind_key", "text"), ("count", "number")),
                counts,
            ),
        ],
    )


def badges_due(view: BadgesDue, names: Names, lang: str) -> Document:
    """The members due a badge."""
    w = l10n.word
    columns = _cols(lang, ("member", "text"), ("member_name", "text"), ("years", "number"),
                    ("party_age", "number"))  # fmt: skip
    rows = [
        [d["member"], names.member(d["member"]), d["years"], d["party_age_years"]] for d in view.due
    ]
    return Document(
        lang,
        f"{w('title.badges', lang)} — {org_label(view.org, names)}",
        [
            (w("param.org", lang), org_label(view.org, names)),
            (w("param.on", lang), as_date(view.on)),
            (w("param.count", lang), len(view.due)),
        ],
        [Table(w("sheet.badges", lang), columns, rows)],
    )


def member(view: MemberView, names: Names, lang: str) -> Document:
    """The member's facts, under the member's id, name, status and org."""
    w = l10n.word
    columns = _cols(lang, ("on", "date"), ("type", "text"), ("type_key", "text"),
                    ("fact", "text"), ("recorded_at", "text"), ("retracted", "text"),
                    ("anomaly", "text"))  # fmt: skip
    rows = [
        [as_date(f["on"]), l10n.fact_type(f["type"], lang), f["type"], f["id"],
         l10n.moment(f["recorded_at"], lang), f["retracted"], f["anomaly"]]
        for f in view.facts
    ]  # fmt: skip
    name = names.member(view.member)
    return Document(
        lang,
        f"{w('title.member', lang)} {view.member}" + (f" — {name}" if name else ""),
        [
            (w("param.member", lang), view.member),
            (w("col.member_name", lang), name),
            (w("col.status", lang), l10n.status(view.status, lang)),
            (w("param.org", lang), org_label(view.org, names)),
            (w("param.as_of", lang), as_date(view.as_of)),
            (w("param.known_at", lang), l10n.moment(view.known_at, lang)),
        ],
        [Table(w("sheet.member", lang), columns, rows)],
    )


def diff(view: AnnualDiff, names: Names, lang: str) -> Document:
    """The auditor's diff: one row per fact of each changed figure (a figure without facts: one
    row without a fact)."""
    w = l10n.word
    columns = _cols(lang, ("figure", "text"), ("key", "text"), ("then", "number"),
                    ("now", "number"), ("change", "number"), ("fact", "text"), ("type", "text"),
                    ("member", "text"), ("member_name", "text"), ("org", "text"),
                    ("org_name", "text"), ("on", "date"), ("recorded_at", "text"),
                    ("retracted", "text"))  # fmt: skip
    rows: list[list[Any]] = []
    for figure in view.figures:
        head = [figure_label(figure.figure, lang), figure.figure, figure.then, figure.now,
                figure.now - figure.then]  # fmt: skip
        if not figure.facts:
            rows.append([*head, None, None, None, None, None, None, None, None, None])
        for f in figure.facts:
            rows.append(
                [*head, f["id"], l10n.fact_type(f["type"], lang), f["member"],
                 names.member(f["member"]), f["org"], names.org(f["org"]), as_date(f["on"]),
                 l10n.moment(f["recorded_at"], lang), l10n.yes_no(f["retracted"], lang)]
            )  # fmt: skip
    return Document(
        lang,
        f"{w('title.diff', lang)} {view.year} — {org_label(view.org, names)}",
        [
            (w("param.org", lang), org_label(view.org, names)),
            (w("param.year", lang), str(view.year)),
            (w("param.then", lang), l10n.moment(view.then, lang)),
            (w("param.now", lang), l10n.moment(view.now, lang)),
        ],
        [Table(w("sheet.diff", lang), columns, rows)],
    )


def org_tree(tree: OrgTree, names: Names, lang: str) -> Document:
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


def fact_log(log: FactLog, names: Names, lang: str) -> Document:
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
