"""The read routes: every report of SPEC §4 (and the auditor's diff), answered from the read
models as JSON, or as CSV or XLSX in the reader's language (``api.http.formats``).

Each route borrows a ledger, whose read models catch up with the log before the query runs
(read-your-writes, whichever process recorded); no route replays events.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.formats import sheets
from api.http.auth import Principal, require_org, requires, within
from api.http.formats import SPREADSHEETS, FormatParam, LangParam, chosen, spreadsheet
from api.http.params import AsOf, KnownAt, MemberId, OrgId, Year
from api.http.service import BadRequest, NotFound, Service, service
from projections.reports.annual import AnnualReport
from projections.reports.badges import BadgesDue
from projections.reports.committees import committees
from projections.reports.diff import AnnualDiff
from projections.reports.member import MemberView
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster

router = APIRouter()
Ledgers = Annotated[Service, Depends(service)]
Reader = Annotated[Principal, requires("reader")]


@router.get("/orgs/{org}/roster", tags=["reports"], response_model=Roster, responses=SPREADSHEETS)
def roster(
    request: Request,
    org: OrgId,
    ledgers: Ledgers,
    who: Reader,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    fmt: FormatParam = None,
    lang: LangParam = "vi",
) -> Any:
    """Members on the roster of the org's subtree as of a date."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    kind = chosen(request, fmt)
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        report = ledger.models.roster(org, as_of=day, known_at=moment, label=label)
        if kind == "json":
            return report
        rows = report.members
        names = ledger.models.names(
            orgs=[org, *(m["org"] for m in rows)], members=[m["member"] for m in rows]
        )
    return spreadsheet(lambda: sheets.roster(report, names, lang), kind, f"roster-{org}-{day}")


@router.get(
    "/orgs/{org}/reports/annual/{year}",
    tags=["reports"],
    response_model=AnnualReport,
    responses=SPREADSHEETS,
)
def annual(
    request: Request,
    org: OrgId,
    year: Year,
    ledgers: Ledgers,
    who: Reader,
    known_at: KnownAt = None,
    fmt: FormatParam = None,
    lang: LangParam = "vi",
) -> Any:
    """The annual statistics of the org's subtree, with the previous year."""
    moment, label = ledgers.known_at(known_at)
    kind = chosen(request, fmt)
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        report = ledger.models.annual(org, year=year, known_at=moment, label=label)
        if kind == "json":
            return report
        this, last = (committees(ledger.models, org, y, moment) for y in (year, year - 1))
        names = ledger.models.names(orgs=[org, *this.committees])
    return spreadsheet(
        lambda: sheets.annual(report, names, lang, (this, last)), kind, f"annual-{org}-{year}"
    )


@router.get(
    "/orgs/{org}/reports/badges", tags=["reports"], response_model=BadgesDue, responses=SPREADSHEETS
)
def badges(
    request: Request,
    org: OrgId,
    ledgers: Ledgers,
    who: Reader,
    on: AsOf = None,
    fmt: FormatParam = None,
    lang: LangParam = "vi",
) -> Any:
    """Members whose highest party-age milestone reached is not yet awarded."""
    day = on or ledgers.today()
    kind = chosen(request, fmt)
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        report = ledger.models.badges_due(org, on=day)
        if kind == "json":
            return report
        names = ledger.models.names(orgs=[org], members=[d["member"] for d in report.due])
    return spreadsheet(lambda: sheets.badges_due(report, names, lang), kind, f"badges-{org}-{day}")


@router.get(
    "/orgs/{org}/reports/quality",
    tags=["reports"],
    response_model=QualityReport,
    responses=SPREADSHEETS,
)
def quality(
    request: Request,
    org: OrgId,
    ledgers: Ledgers,
    who: Reader,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    fmt: FormatParam = None,
    lang: LangParam = "vi",
) -> Any:
    """Data-quality findings of the org's subtree."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    kind = chosen(request, fmt)
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        report = ledger.models.quality(org, as_of=day, known_at=moment, label=label)
        if kind == "json":
            return report
        found = report.findings
        names = ledger.models.names(
            orgs=[org, *(f["org"] for f in found)], members=[f["member"] for f in found]
        )
    return spreadsheet(lambda: sheets.quality(report, names, lang), kind, f"quality-{org}-{day}")


@router.get("/members/{member}", tags=["members"], response_model=MemberView,
            responses=SPREADSHEETS)  # fmt: skip
def member(
    request: Request,
    member: MemberId,
    ledgers: Ledgers,
    who: Reader,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    fmt: FormatParam = None,
    lang: LangParam = "vi",
) -> Any:
    """A member as of a date, as known at a time (``not_member`` if never heard of)."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    kind = chosen(request, fmt)
    with ledgers.readers.borrow() as ledger:
        view = ledger.models.member(member, as_of=day, known_at=moment, label=label)
        # A member outside the scope is not found: who is a member elsewhere is not for
        # this token to learn. A member never heard of is not_member for an unscoped reader.
        if who.scope is not None and not within(ledger, who, view.org):
            raise NotFound(f"no member {member} in {who.scope}")
        if kind == "json":
            return view
        names = ledger.models.names(orgs=[view.org, view.to_org], members=[member])
    return spreadsheet(lambda: sheets.member(view, names, lang), kind, f"member-{member}-{day}")


@router.get(
    "/orgs/{org}/reports/diff/{year}",
    tags=["reports"],
    response_model=AnnualDiff,
    responses=SPREADSHEETS,
)
def diff(
    request: Request,
    org: OrgId,
    year: Year,
    ledgers: Ledgers,
    who: Reader,
    known_at: Annotated[
        str,
        Query(
            max_length=64, description="Then: the earlier knowledge time.", examples=["2022-01-15"]
        ),
    ],
    against: Annotated[
        str | None, Query(max_length=64, description="Now: the later one (default: now).")
    ] = None,
    fmt: FormatParam = None,
    lang: LangParam = "vi",
) -> Any:
    """The annual report known then against known now, with the facts that changed each
    figure (the auditor's diff)."""
    then, then_label = ledgers.known_at(known_at)
    now, now_label = ledgers.known_at(against)
    assert then is not None
    if then > (now or ledgers.clock()):
        raise BadRequest(
            "known_at is after against: the diff compares an earlier time with a later one"
        )
    kind = chosen(request, fmt)
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        report = ledger.models.annual_diff(
            org, year=year, then=then, now=now, then_label=then_label, now_label=now_label
        )
        if kind == "json":
            return report
        facts = [fact for figure in report.figures for fact in figure.facts]
        names = ledger.models.names(
            orgs=[org, *(f["org"] for f in facts)], members=[f["member"] for f in facts]
        )
    return spreadsheet(lambda: sheets.diff(report, names, lang), kind, f"diff-{org}-{year}")
