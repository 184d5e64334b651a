"""The directory routes: the org tree, member search, the fact log, the event feed, readiness.

Each answers within the token's scope: the tree of its org, the members and facts of its
subtree. The event feed is the whole log, so it needs a token without a scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.http.auth import Forbidden, Principal, in_scope, require_org, requires, within
from api.http.params import AsOf, KnownAt, OrgId
from api.http.service import BadRequest, NotFound, Service, service
from api.timeparse import parse_known_at, parse_since
from ledger.facts import FACT_TYPES
from projections.reports.directory import MemberSearch
from projections.reports.facts import FactLog
from projections.reports.feed import MAX_FEED, MAX_POSITION, EventFeed, event_feed
from projections.reports.orgs import OrgTree
from projections.text import MAX_SEARCH
from storage.outage import RETRY_AFTER_SECONDS

router = APIRouter()
Ledgers = Annotated[Service, Depends(service)]
Reader = Annotated[Principal, requires("reader")]
MAX_FACTS = 10_000
"""At most this many facts in one answer of the fact log (``limit``, default and ceiling)."""


@router.get("/orgs", tags=["directory"])
def orgs(ledgers: Ledgers, who: Reader, as_of: AsOf = None, known_at: KnownAt = None) -> OrgTree:
    """The org tree with names and roster counts (the token's subtree; every tree without a
    scope)."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    with ledgers.readers.borrow() as ledger:
        return ledger.models.orgs(who.scope, as_of=day, known_at=moment, label=label)


@router.get("/orgs/{org}", tags=["directory"])
def org_subtree(
    org: OrgId, ledgers: Ledgers, who: Reader, as_of: AsOf = None, known_at: KnownAt = None
) -> OrgTree:
    """The subtree of an org with names and roster counts."""
    moment, label = ledgers.known_at(known_at)
    day = as_of or ledgers.today()
    with ledgers.readers.borrow() as ledger:
        require_org(ledger, who, org)
        return ledger.models.orgs(org, as_of=day, known_at=moment, label=label)


@router.get("/members", tags=["directory"])
def members(
    ledgers: Ledgers,
    who: Reader,
    name: Annotated[
        str,
        Query(
            min_length=1, max_length=200, description="Part of the name.", examples=["nguyen van"]
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH)] = 50,
) -> MemberSearch:
    """Members whose name contains the text, accents and case aside (in the token's scope)."""
    with ledgers.readers.borrow() as ledger:
        try:
            found = ledger.models.members(name, limit=limit)
        except ValueError as err:
            raise BadRequest(f"name: {err}") from err
        if who.scope is None:
            return found
        inside = in_scope(ledger, who)
        kept = [m for m in found.members if inside(m["org"])]
        return MemberSearch.model_construct(query=found.query, members=kept)


@router.get("/facts", tags=["directory"])
def facts(
    ledgers: Ledgers,
    who: Reader,
    member: Annotated[str | None, Query(max_length=64)] = None,
    org: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="Recorded at or after (a date: its start).")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=64, description="Recorded at or before (a date: its end).")
    ] = None,
    type: Annotated[list[str] | None, Query(description="Fact types (repeatable).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_FACTS)] = 1_000,
) -> FactLog:
    """The fact log in recording order, each fact as submitted (within the token's scope; at
    most ``limit`` facts: narrow the window with ``since``/``until`` for more)."""
    now = ledgers.clock()
    start = _instant(since, now, start=True)
    end = _instant(until, now, start=False)
    unknown = [t for t in type or () if t not in FACT_TYPES]
    if unknown:
        raise BadRequest(f"type: unknown fact type {', '.join(unknown)}")
    with ledgers.readers.borrow() as ledger:
        if org is not None:
            require_org(ledger, who, org)
        elif who.scope is not None:
            org = who.scope
        if member is not None and who.scope is not None:
            view = ledger.models.member(member, as_of=now.date(), known_at=None, label="")
            if not within(ledger, who, view.org):
                raise NotFound(f"no member {member} in {who.scope}")
        try:
            return ledger.models.facts(
                member=member, org=org, since=start, until=end, types=type, limit=limit
            )
        except ValueError as err:
            raise BadRequest(str(err)) from err


def _instant(text: str | None, now: datetime, *, start: bool) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_since(text, now) if start else parse_known_at(text, now)
    except ValueError as err:
        raise BadRequest(f"{'since' if start else 'until'}: {err}") from err


@router.get("/events", tags=["feed"])
def events(
    ledgers: Ledgers,
    who: Reader,
    after: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="The position last seen (0: the start).")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED)] = 1_000,
) -> EventFeed:
    """Every stored fact in commit order after a position, for downstream systems (a token
    without a scope: the feed is the whole ledger)."""
    if who.scope is not None:
        raise Forbidden(f"token {who.name!r} covers {who.scope}; the feed needs the whole ledger")
    with ledgers.readers.borrow() as ledger:
        return event_feed(ledger.log, after, limit)


class Readiness(BaseModel):
    """The database answers; how far the read models are behind the log."""

    database: str
    projection_lag: int
    """Events stored but not yet in the read models (read requests catch up first)."""


@router.get(
    "/ready", tags=["service"], response_model=Readiness, responses={503: {"model": Readiness}}
)
def ready(ledgers: Ledgers) -> Any:
    """Ready to answer: the database is reachable (503 otherwise). No token needed."""
    try:
        with ledgers.readers.borrow() as ledger:
            lag = ledger.models.store.log_lag()
    except Exception as err:  # any failure to reach the database is "not ready"
        body = {"database": f"unreachable: {type(err).__name__}", "projection_lag": -1}
        return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return Readiness(database="ok", projection_lag=lag)
