"""The dashboard's read pages: the org tree, an org's annual report with charts, the auditor's
diff, the roster, a member's timeline, the quality findings and the badges due.

Each page asks ``ReadModels`` the same question as its JSON route (``api.http.reads``) and
shows the answer with the words of ``api.formats.l10n``; nothing here computes a figure.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.bootstrap import Ledger
from api.formats import l10n
from api.formats.sheets import figure_label
from api.http.auth import require_org, within
from api.http.service import BadRequest, NotFound
from api.web import charts
from api.web.render import View, day_param, page
from api.web.words import t
from ledger.facts import FIRST_DAY, LAST_DAY
from projections.text import MAX_SEARCH, search_key

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE_SIZE = 50
TREE_LEVELS = 1
"""Levels of the org tree shown below its root (the districts of the city), unless every
level is asked for."""
YEARS = 10
"""The charts' span: the year asked for and the nine before it."""
PRESENTATIONS = ((2, 3), (5, 19), (9, 2), (11, 7))
"""The badge presentation days (month, day): 3 Feb, 19 May, 2 Sep, 7 Nov."""


@router.get("")
def start() -> Response:
    """The dashboard starts at the org tree."""
    return RedirectResponse("/ui/orgs", 303)


@router.get("/orgs")
def org_tree(request: Request) -> Response:
    """The org tree with member counts as of the chosen day."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        root = view.param("root") or view.who.scope
        if root is not None:
            require_org(ledger, view.who, root)
        tree = ledger.models.orgs(root, as_of=view.as_of, known_at=view.known_at,
                                  label=view.label)  # fmt: skip
        # Thousands of cells are not read on one page: one level below the root, each deeper
        # org reached through its parent's link (``?root=``), or all of them with ?depth=all.
        top = min((node["level"] for node in tree.orgs), default=0)
        deep = view.param("depth") == "all"
        shown = [n for n in tree.orgs if deep or n["level"] <= top + TREE_LEVELS]
        parents = {n["parent"] for n in tree.orgs if n["level"] > top + TREE_LEVELS}
        return {"title": t("nav.orgs", view.lang), "tree": tree, "nodes": shown,
                "deeper": parents, "root": root, "top": top}  # fmt: skip

    return page(request, "orgs.html", build)


def _year(view: View) -> int:
    text = view.param("year")
    if not text:
        return view.as_of.year - 1 if view.as_of.month < 12 else view.as_of.year
    if not text.isdigit() or not FIRST_DAY.year + YEARS + 1 <= int(text) <= LAST_DAY.year:
        raise BadRequest(f"year: {text!r} is not a year the ledger reports on")
    return int(text)


@router.get("/orgs/{org}")
def org_page(request: Request, org: str) -> Response:
    """The annual report of the org's subtree for the chosen year, with three charts."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        require_org(ledger, view.who, org)
        year = _year(view)
        report, years = ledger.models.annual_decade(
            org, year=year, span=YEARS, known_at=view.known_at, label=view.label
        )
        names = ledger.models.names(orgs=[org])
        return {
            "title": f"{t('page.annual', view.lang)} {year} — {l10n.org_label(org, names)}",
            "org": org,
            "year": year,
            "report": report,
            "rows": _figures(report.model_dump(mode="json"), view.lang),
            "charts": _charts(view.lang, years, report.admitted_by.occupation),
            "years": years,
        }

    return page(request, "org.html", build)


def _figures(report: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """The report's figures as (label, this year, previous year) rows, in the JSON's order."""
    before = dict(_flat(report.pop("previous_year"), ""))
    rows: list[tuple[str, str, str]] = []
    for key, value in _flat(report, ""):
        if key in ("org", "year", "known_at"):
            continue
        if isinstance(value, bool):
            rows.append((figure_label(key, lang), l10n.yes_no(value, lang),
                         l10n.yes_no(bool(before.get(key)), lang)))  # fmt: skip
        else:
            rows.append((figure_label(key, lang), l10n.number(value, lang),
                         l10n.number(int(before.get(key, 0)), lang)))  # fmt: skip
    return rows


def _flat(data: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    """Dotted keys and their values (admitted_by.occupation.farmer → 3)."""
    found: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            found += _flat(value, f"{prefix}{key}.")
        else:
            found.append((f"{prefix}{key}", value))
    return found


def _charts(lang: str, years: list[Any], jobs: dict[str, int]) -> list[Any]:
    labels = [str(f.year) for f in years]
    number = lambda n: l10n.number(n, lang)  # noqa: E731
    members = charts.Series(t("fig.members_at_end", lang), [f.members_at_end for f in years])
    admitted = charts.Series(t("chart.admitted", lang), [f.admitted for f in years])
    exits = charts.Series(t("chart.exits", lang), [f.exits for f in years])
    return [
        (t("chart.members", lang),
         charts.bars(t("chart.members", lang), labels, [members], number)),
        (t("chart.flows", lang),
         charts.bars(t("chart.flows", lang), labels, [admitted, exits], number)),
        (t("chart.composition", lang),
         charts.shares(t("chart.composition", lang),
                       [(l10n.occupation(k, lang), n) for k, n in jobs.items() if n], number)),
    ]  # fmt: skip


@router.get("/orgs/{org}/diff")
def diff_page(request: Request, org: str) -> Response:
    """The auditor's diff: the year's report known then (``known_at``) against ``against``
    (default now), each changed figure with the facts behind it."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        require_org(ledger, view.who, org)
        year = _year(view)
        names = ledger.models.names(orgs=[org])
        context: dict[str, Any] = {
            "title": f"{t('page.diff', view.lang)} {year} — {l10n.org_label(org, names)}",
            "org": org, "year": year, "diff": None, "names": names,
        }  # fmt: skip
        if view.known_at is None:
            return context  # the form alone: "known then" has no default
        ledgers = request.app.state.service
        now, now_label = ledgers.known_at(view.param("against") or None)
        if view.known_at > (now or ledgers.clock()):
            raise BadRequest("known_at is after against: the diff compares an earlier time "
                             "with a later one")  # fmt: skip
        report = ledger.models.annual_diff(org, year=year, then=view.known_at, now=now,
                                           then_label=view.label, now_label=now_label)  # fmt: skip
        facts = [fact for figure in report.figures for fact in figure.facts]
        context["names"] = ledger.models.names(orgs=[org, *(f["org"] for f in facts)],
                                               members=[f["member"] for f in facts])  # fmt: skip
        context["diff"] = report
        context["labels"] = {f.figure: figure_label(f.figure, view.lang) for f in report.figures}
        return context

    return page(request, "diff.html", build)


@router.get("/orgs/{org}/roster")
def roster_page(request: Request, org: str) -> Response:
    """The roster as of the day, searchable by name or id, a page of members at a time."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        require_org(ledger, view.who, org)
        query = view.param("q")
        named = _named(ledger, query) if query else None
        number = view.param("page")
        at = int(number) if number.isdigit() and 0 < int(number) < 10**6 else 1

        def fetch(at: int) -> tuple[int, int, list[Any]]:
            return ledger.models.roster_page(
                org, as_of=view.as_of, known_at=view.known_at, offset=(at - 1) * PAGE_SIZE,
                limit=PAGE_SIZE, members=named, id_part=query or None,
            )  # fmt: skip

        total, found, rows = fetch(at)
        pages = max(1, -(-found // PAGE_SIZE))
        if at > pages:  # past the end (the roster shrank): the last page
            at = pages
            total, found, rows = fetch(at)
        names = ledger.models.names(orgs=[org, *(m["org"] for m in rows)],
                                    members=[m["member"] for m in rows])  # fmt: skip
        return {
            "title": f"{t('page.roster', view.lang)} — {l10n.org_label(org, names)}",
            "org": org, "as_of": view.as_of.isoformat(), "count": total, "rows": rows,
            "found": found, "q": query, "page_no": at, "pages": pages, "names": names,
        }  # fmt: skip

    return page(request, "roster.html", build)


def _named(ledger: Ledger, query: str) -> list[str]:
    """The members whose name contains ``query``, accents and case aside."""
    if not search_key(query):
        return []
    try:
        return [m["member"] for m in ledger.models.members(query, limit=MAX_SEARCH).members]
    except ValueError as err:
        raise BadRequest(f"q: {err}") from err


@router.get("/members/{member}")
def member_page(request: Request, member: str) -> Response:
    """A member's timeline: each fact's effective day against its recorded time, retractions
    and anomalies marked, who recorded it."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        found = ledger.models.member(member, as_of=view.as_of, known_at=view.known_at,
                                     label=view.label)  # fmt: skip
        if view.who.scope is not None and not within(ledger, view.who, found.org):
            raise NotFound(f"no member {member} in {view.who.scope}")
        names = ledger.models.names(orgs=[found.org, found.to_org], members=[member])
        by = ledger.models.recorders(member, known_at=view.known_at)
        points = [(f["on"], f["recorded_at"][:10],
                   f"{f['id']} {l10n.fact_type(f['type'], view.lang)}",
                   f["retracted"] or f["anomaly"] or _after_report(f))
                  for f in found.facts]  # fmt: skip
        words = (t("member.effective", view.lang), t("member.recorded", view.lang))
        return {
            "title": f"{t('page.member', view.lang)} — {names.member(member) or member}",
            "member": found, "names": names, "by": by,
            "late": {f["id"]: _late(f["on"], f["recorded_at"]) for f in found.facts},
            "after_report": {f["id"] for f in found.facts if _after_report(f)},
            "chart": charts.timeline(t("page.member", view.lang), points, words),
        }  # fmt: skip

    return page(request, "member.html", build)


def _after_report(fact: Any) -> bool:
    """Recorded after 15 Jan of the year after its effective day: too late for that year's
    annual report (the auditor's question), as the report stood then."""
    return str(fact["recorded_at"])[:10] > f"{int(fact['on'][:4]) + 1:04d}-01-15"


def _late(on: str, recorded: str) -> int:
    """Days between a fact's effective day and its recording."""
    try:
        return (date.fromisoformat(recorded[:10]) - date.fromisoformat(on)).days
    except ValueError:
        return 0


@router.get("/orgs/{org}/quality")
def quality_page(request: Request, org: str) -> Response:
    """The data-quality findings of the org's subtree."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        require_org(ledger, view.who, org)
        report = ledger.models.quality(org, as_of=view.as_of, known_at=view.known_at,
                                       label=view.label)  # fmt: skip
        shown = report.findings[:500]
        names = ledger.models.names(orgs=[org, *(f["org"] for f in shown)],
                                    members=[f["member"] for f in shown])  # fmt: skip
        return {"title": f"{t('page.quality', view.lang)} — {l10n.org_label(org, names)}",
                "org": org, "report": report, "rows": shown, "names": names}  # fmt: skip

    return page(request, "quality.html", build)


def next_presentation(day: date) -> date:
    """The first badge presentation day on or after ``day``."""
    for month, dom in PRESENTATIONS:
        if date(day.year, month, dom) >= day:
            return date(day.year, month, dom)
    return date(day.year + 1, *PRESENTATIONS[0])


@router.get("/orgs/{org}/badges")
def badges_page(request: Request, org: str) -> Response:
    """Members due a badge on the next presentation day (or the day chosen)."""

    def build(view: View, ledger: Ledger) -> dict[str, Any]:
        require_org(ledger, view.who, org)
        on = day_param(view.param("on"), next_presentation(view.as_of), "on")
        report = ledger.models.badges_due(org, on=on)
        shown = report.due[:1000]
        names = ledger.models.names(orgs=[org], members=[d["member"] for d in shown])
        return {"title": f"{t('page.badges', view.lang)} — {l10n.org_label(org, names)}",
                "org": org, "report": report, "rows": shown, "names": names,
                "on": on}  # fmt: skip

    return page(request, "badges.html", build)
