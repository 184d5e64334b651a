"""The read routes: every report of SPEC §4, answered from the read models.

Each route borrows a ledger, whose read models catch up with the log before the query runs
(read-your-writes, whichever process recorded); no route replays events.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.http.auth import Principal, require_org, requires, within
from api.http.params import AsOf, KnownAt, MemberId, OrgId, Year
from api.http.service import NotFound, Service, service
from projections.reports.annual import AnnualReport
from projections.reports.badges import BadgesDue
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
