"""The FastAPI application: the routes of ``reads`` and ``writes`` over one ``Service``.

``create_app(url)`` wires the database through ``api.bootstrap.Ledger`` (as the command line
does). Every refusal is a status, a stable code and a message: 404 for an unknown org, 409 for
a fact the rules refuse, 413 for a body over its limit, 422 for a malformed request; never a
500 for bad input. A database out of reach is a 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.http import directory, reads, writes
from api.http.auth import Forbidden, Guard, Unauthorized
from api.http.service import BadRequest, NotFound, Service
from commands.application import local_now
from ledger.errors import LedgerError, UnknownOrg
from storage.cipher import EncryptionRefused
from storage.outage import RETRY_AFTER_SECONDS, first_line, unavailable
from storage.tokens import TokenStore

log = logging.getLogger("ledger.api")


class Problem(BaseModel):
    """A refused request: a stable code and a message naming the problem."""

    error: str
    message: str


class Health(BaseModel):
    status: str


def _where(error: dict[str, object]) -> str:
    loc = error.get("loc")
    parts = [str(part) for part in loc[1:]] if isinstance(loc, (list, tuple)) else []
    return ".".join(parts) or "request"


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)


def create_app(
    url: str,
    *,
    clock: Callable[[], datetime] = local_now,
    auth: bool = True,
    cipher_key: str | None = None,
) -> FastAPI:
    """The API over the ledger at ``url`` (its tables must exist: ``ledger migrate``).

    ``auth``: every route but ``/health`` needs a bearer token (``ledger token create``);
    without it (``ledger serve --no-auth``, for local use) every request may do everything.
    ``cipher_key``: the ledger's ``LEDGER_CIPHER_KEY`` when it is encrypted at rest.
    """
    ledgers = Service(url, clock, cipher_key=cipher_key)
    guard = Guard(_token_store(url) if auth else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ledgers.close()
        guard.close()

    app = FastAPI(
        title="Membership ledger",
        summary="Rosters and reports of an event-sourced membership register, as of any date "
        "and as known at any time; facts recorded under the same rules as `ledger import`.",
        version="1",
        lifespan=lifespan,
        responses={
            401: {"model": Problem, "description": "No token, or not a live one."},
            403: {"model": Problem, "description": "The token may not do this."},
            404: {"model": Problem},
            422: {"model": Problem},
            503: {
                "model": Problem,
                "description": "The database cannot be reached now; try again after "
                "`Retry-After` seconds.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {"type": "integer"},
                    }
                },
            },
        },
    )
    app.state.service = ledgers
    app.state.guard = guard
    app.include_router(reads.router)
    app.include_router(writes.router)
    app.include_router(directory.router)
    from api.web import mount  # the dashboard (/ui): pages over the same routes and tokens

    mount(app)

    @app.exception_handler(LedgerError)
    def refused(request: Request, err: LedgerError) -> JSONResponse:
        return _problem(404 if isinstance(err, UnknownOrg) else 409, err.code, err.message)

    @app.exception_handler(EncryptionRefused)
    def wrong_key(request: Request, err: EncryptionRefused) -> JSONResponse:
        # The process's key does not fit the ledger (storage.cipher): nothing was written.
        return _problem(503, "encryption_refused", str(err))

    @app.exception_handler(RequestValidationError)
    def malformed(request: Request, err: RequestValidationError) -> JSONResponse:
        message = "; ".join(f"{_where(e)}: {e.get('msg', 'invalid')}" for e in err.errors())
        return _problem(422, "invalid_request", message)

    @app.exception_handler(BadRequest)
    def bad_request(request: Request, err: BadRequest) -> JSONResponse:
        return _problem(422, "invalid_request", err.message)

    @app.exception_handler(Unauthorized)
    def unauthorized(request: Request, err: Unauthorized) -> JSONResponse:
        response = _problem(401, "unauthorized", str(err))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, err: Forbidden) -> JSONResponse:
        return _problem(403, "forbidden", str(err))

    @app.exception_handler(NotFound)
    def not_found(request: Request, err: NotFound) -> JSONResponse:
        return _problem(404, "not_found", str(err))

    @app.exception_handler(writes.TooLarge)
    def too_large(request: Request, err: writes.TooLarge) -> JSONResponse:
        return _problem(413, "too_large", err.message)

    def database_down(request: Request, err: Exception) -> JSONResponse:
        if not unavailable(err):
            raise err  # a bug or a broken database, not an outage: the server's own 500
        # The driver's text names hosts and ports: it goes to the server's log, not to clients.
        log.warning("database unavailable (%s %s): %s", request.method, request.url.path,
                    first_line(err))  # fmt: skip
        response = _problem(
            503,
            "unavailable",
            f"the database cannot be reached now; try again in {RETRY_AFTER_SECONDS} seconds",
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    # The drivers' and the library's errors: an outage is a 503, for reads and writes alike;
    # the process keeps no broken connection (api.http.pool, Service.writer) and recovers by
    # itself once the database is back.
    for error in (PersistenceError, psycopg.Error, sqlite3.Error):
        app.add_exception_handler(error, database_down)

    @app.get("/health", tags=["service"])
    def health() -> Health:
        """The process answers (no database access, no token)."""
        return Health(status="ok")

    return app


def _token_store(url: str) -> TokenStore:
    from storage.tokens import TokenStore
    from storage.urls import parse_database_url

    return TokenStore(parse_database_url(url), migrate=False)
