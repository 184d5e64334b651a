"""The read routes: every report of SPEC §4, answered from the read models.

Each route borrows a ledger, whose read models catch up with the log before the query runs
(read-your-writes, whichever process recorded); no route replays events.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.http.auth import Principal, require_org, requires, within
from api.http.params import AsOf, KnownAt, MemberId, OrgId, Year
from api.http.service import BadRequest, NotFound, Service, service
from projections.reports.annual import AnnualReport
from projections.reports.badges import BadgesDue
from projections.reports.diff import AnnualDiff
from projections.reports.member import MemberView
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster

router = APIRouter()
Ledgers = Annotated[Service, Depends(service)]
Reader = Annotated[Principal, requires("reader")]


@router.get("/orgs/{org}/roster", tags=["reports"])
def roster(
    org: OrgId, ledgers: Ledgers, who: Reader, as_of: AsOf = None, known_at: KnownAt = None
) -> Roster:
    """Members on the roster of the org's subtree as of a date."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        return ledger.models.roster(org, as_of=day, known_at=moment, label=label)


@router.get("/orgs/{org}/reports/annual/{year}", tags=["reports"])
def annual(
    org: OrgId, year: Year, ledgers: Ledgers, who: Reader, known_at: KnownAt = None
) -> AnnualReport:
    """The annual statistics of the org's subtree, with the previous year."""
    moment, label = ledgers.known_at(known_at)
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        return ledger.models.annual(org, year=year, known_at=moment, label=label)


@router.get("/orgs/{org}/reports/badges", tags=["reports"])
def badges(org: OrgId, ledgers: Ledgers, who: Reader, on: AsOf = None) -> BadgesDue:
    """Members whose highest party-age milestone reached is not yet awarded."""
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        return ledger.models.badges_due(org, on=on or ledgers.today())


@router.get("/orgs/{org}/reports/quality", tags=["reports"])
def quality(
    org: OrgId, ledgers: Ledgers, who: Reader, as_of: AsOf = None, known_at: KnownAt = None
) -> QualityReport:
    """Data-quality findings of the org's subtree."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        return ledger.models.quality(org, as_of=day, known_at=moment, label=label)


@router.get("/members/{member}", tags=["members"])
def member(
    member: MemberId,
    ledgers: Ledgers,
    who: Reader,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> MemberView:
    """A member as of a date, as known at a time (``not_member`` if never heard of)."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    with ledgers.readers.borrow() as ledger:
        view = ledger.models.member(member, as_of=day, known_at=moment, label=label)
        # A member outside the scope is not found: who is a member elsewhere is not for
        # this token to learn. A member never heard of is not_member for an unscoped reader.
        if who.scope is not None and not within(ledger, who, view.org):
            raise NotFound(f"no member {member} in {who.scope}")
        return view


@router.get("/orgs/{org}/reports/diff/{year}", tags=["reports"])
def diff(
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
) -> AnnualDiff:
    """The annual report known then against known now, with the facts that changed each
    figure (the auditor's diff)."""
    then, then_label = ledgers.known_at(known_at)
    now, now_label = ledgers.known_at(against)
    assert then is not None
    if then > (now or ledgers.clock()):
        raise BadRequest(
            "known_at is after against: the diff compares an earlier time with a later one"
        )
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        return ledger.models.annual_diff(
            org, year=year, then=then, now=now, then_label=then_label, now_label=now_label
        )
