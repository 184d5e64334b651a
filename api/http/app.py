"""The FastAPI application: routes answer SPEC §4 from the read models, nothing more.

``create_app(url)`` wires the database through ``api.bootstrap.Ledger`` (as the command line
does) into a pool of ledgers, one per request at a time. Every route is a plain ``def``: the
blocking database work runs in FastAPI's thread pool. A route catches the read models up before
answering (read-your-writes, whichever process recorded), then runs the report's query; no
route replays events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.bootstrap import Ledger
from api.cli.timeparse import parse_known_at
from api.http.pool import LedgerPool
from commands.application import local_now
from ledger.errors import LedgerError, UnknownOrg
from ledger.facts import FIRST_DAY, LAST_DAY
from projections.reports.annual import AnnualReport
from projections.reports.badges import BadgesDue
from projections.reports.member import MemberView
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster

POOL_SIZE = 8
"""Ledgers (database connections) per API process."""

Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["hp.d03"])]
AsOf = Annotated[
    date | None,
    Query(description="The date (YYYY-MM-DD); default today.", ge=FIRST_DAY, le=LAST_DAY),
]
KnownAtParam = Annotated[
    str | None,
    Query(
        description="Use only what was recorded by this time: an ISO date-time (offset "
        "optional) or a date (its end). Default: now.",
        max_length=64,
        examples=["2022-01-15T09:00:00+07:00", "2022-01-15"],
    ),
]


class Problem(BaseModel):
    """A refusal: a stable code and a message naming the problem."""

    error: str
    message: str


class BadRequest(Exception):
    """A parameter FastAPI's own validation lets through but the ledger cannot use."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _where(error: dict[str, object]) -> str:
    loc = error.get("loc")
    parts = [str(part) for part in loc[1:]] if isinstance(loc, (list, tuple)) else []
    return ".".join(parts) or "request"


class Health(BaseModel):
    status: str


def create_app(url: str, *, clock: Callable[[], datetime] = local_now) -> FastAPI:
    """The API over the ledger at ``url`` (its tables must exist: ``ledger migrate``)."""
    pool = LedgerPool(lambda: Ledger(url, migrate=False, clock=clock), POOL_SIZE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(
        title="Membership ledger",
        summary="Rosters and reports of an event-sourced membership register, as of any date "
        "and as known at any time.",
        version="1",
        lifespan=lifespan,
        responses={404: {"model": Problem}, 422: {"model": Problem}},
    )
    app.state.pool = pool

    @app.exception_handler(LedgerError)
    def refused(request: Request, err: LedgerError) -> JSONResponse:
        status = 404 if isinstance(err, UnknownOrg) else 409
        return JSONResponse({"error": err.code, "message": err.message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    def malformed(request: Request, err: RequestValidationError) -> JSONResponse:
        message = "; ".join(f"{_where(e)}: {e.get('msg', 'invalid')}" for e in err.errors())
        return JSONResponse({"error": "invalid_request", "message": message}, status_code=422)

    @app.exception_handler(BadRequest)
    def bad_request(request: Request, err: BadRequest) -> JSONResponse:
        return JSONResponse({"error": "invalid_request", "message": err.message}, 422)

    def when(known_at: str | None) -> tuple[datetime | None, str]:
        now = clock()
        if known_at is None:
            return None, now.isoformat()
        try:
            moment = parse_known_at(known_at, now)
        except ValueError as err:
            raise BadRequest(f"known_at: {err}") from err
        return moment, moment.isoformat()

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """The process answers (no database access, no token)."""
        return Health(status="ok")

    @app.get("/orgs/{org}/roster", response_model=Roster, tags=["reports"])
    def roster(org: Id, as_of: AsOf = None, known_at: KnownAtParam = None) -> Roster:
        """Members on the roster of the org's subtree as of a date."""
        moment, label = when(known_at)
        day = as_of or clock().date()
        with pool.borrow() as ledger:
            return ledger.models.roster(org, as_of=day, known_at=moment, label=label)

    @app.get("/orgs/{org}/reports/annual/{year}", response_model=AnnualReport, tags=["reports"])
    def annual(
        org: Id,
        year: Annotated[int, Path(ge=FIRST_DAY.year + 2, le=LAST_DAY.year, examples=[2021])],
        known_at: KnownAtParam = None,
    ) -> AnnualReport:
        """The annual statistics of the org's subtree, with the previous year."""
        moment, label = when(known_at)
        with pool.borrow() as ledger:
            return ledger.models.annual(org, year=year, known_at=moment, label=label)

    @app.get("/orgs/{org}/reports/badges", response_model=BadgesDue, tags=["reports"])
    def badges(org: Id, on: AsOf = None) -> BadgesDue:
        """Members whose highest party-age milestone reached is not yet awarded."""
        with pool.borrow() as ledger:
            return ledger.models.badges_due(org, on=on or clock().date())

    @app.get("/orgs/{org}/reports/quality", response_model=QualityReport, tags=["reports"])
    def quality(org: Id, as_of: AsOf = None, known_at: KnownAtParam = None) -> QualityReport:
        """Data-quality findings of the org's subtree."""
        moment, label = when(known_at)
        day = as_of or clock().date()
        with pool.borrow() as ledger:
            return ledger.models.quality(org, as_of=day, known_at=moment, label=label)

    @app.get("/members/{member}", response_model=MemberView, tags=["members"])
    def member(member: Id, as_of: AsOf = None, known_at: KnownAtParam = None) -> MemberView:
        """A member as of a date, as known at a time (``not_member`` if never heard of)."""
        moment, label = when(known_at)
        day = as_of or clock().date()
        with pool.borrow() as ledger:
            return ledger.models.member(member, as_of=day, known_at=moment, label=label)

    return app
