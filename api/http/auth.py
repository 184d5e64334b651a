"""Who may do what: bearer tokens with a role and an org scope.

A token (``ledger token create``) has a role — ``reader`` reads, ``registrar`` also records
facts, ``admin`` also records org facts at the roots — and a scope, an org: the token reads and
writes only inside that org's subtree. Tokens travel in the ``Authorization: Bearer`` header,
never in a URL (a query string ends up in logs): a request that puts one there is refused.

Whose fact is it? A registrar records a fact when the org that acts on it is in its scope:
the receiving org for an admission or an arrival, the org that holds the member on the fact's
date for every other member fact (a transfer out, an exit, a badge…), the org itself for an org
fact (its parent for a registration), and for a retraction the subject of the retracted fact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from api.bootstrap import Ledger
from ledger.errors import UnknownOrg

if TYPE_CHECKING:
    from commands.schema import ParsedFact
    from storage.tokens import TokenStore

RANKS = {"reader": 0, "registrar": 1, "admin": 2}


class Unauthorized(Exception):
    """No token, or not a live one (401)."""


class Forbidden(Exception):
    """A live token that may not do this (403)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a token's name, role and scope (None: the whole ledger)."""

    name: str
    role: str
    scope: str | None

    def may(self, role: str) -> bool:
        return RANKS[self.role] >= RANKS[role]

    @property
    def recorder(self) -> str:
        """Who the stored events say recorded them: ``token:<name>``, or ``api`` without
        authentication."""
        return "api" if self is LOCAL else f"token:{self.name}"


LOCAL = Principal("local", "admin", None)
"""Everyone, when the API runs without authentication (``ledger serve --no-auth``)."""


class Guard:
    """Checks tokens against the ledger's token table (one connection, one thread at a time)."""

    def __init__(self, tokens: TokenStore | None) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._tokens is not None

    def principal(self, request: Request) -> Principal:
        if any(key.lower() in ("token", "access_token") for key in request.query_params):
            raise Unauthorized(
                "a token is never accepted in the URL (it would be logged): send it as "
                "'Authorization: Bearer <token>'"
            )
        if self._tokens is None:
            return LOCAL
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise Unauthorized("this request needs 'Authorization: Bearer <token>'")
        return self.check(token.strip())

    def check(self, token: str) -> Principal:
        """The principal of a token (the dashboard's sign-in cookie holds one); Unauthorized
        unless it is live. Without authentication, everyone is ``LOCAL``."""
        if self._tokens is None:
            return LOCAL
        with self._lock:
            record = self._tokens.verify(token)
        if record is None:
            raise Unauthorized("the token is unknown or revoked")
        return Principal(record.name, record.role, record.scope)

    def close(self) -> None:
        if self._tokens is not None:
            self._tokens.close()


def _guard(request: Request) -> Guard:
    found: Guard = request.app.state.guard
    return found


def requires(role: str) -> object:
    """A dependency: the principal of the request, refused unless it has at least ``role``."""

    def dependency(request: Request, guard: Annotated[Guard, Depends(_guard)]) -> Principal:
        who = guard.principal(request)
        if not who.may(role):
            raise Forbidden(f"token {who.name!r} is a {who.role}; this needs a {role}")
        return who

    return Depends(dependency)


def within(ledger: Ledger, who: Principal, org: str | None) -> bool:
    """Whether ``org`` lies in the subtree of ``who``'s scope (an unknown org does not)."""
    return in_scope(ledger, who)(org)


def in_scope(ledger: Ledger, who: Principal) -> Callable[[str | None], bool]:
    """A test of ``within`` for many orgs: the read models caught up and the scope's path
    looked up once, each org's path once."""
    if who.scope is None:
        return lambda org: True
    ledger.models.fresh()
    try:
        scope = ledger.models.org_path(who.scope)
    except UnknownOrg:
        return lambda org: False
    paths: dict[str, bool] = {}

    def test(org: str | None) -> bool:
        if org is None:
            return False
        if org not in paths:
            try:
                paths[org] = ledger.models.org_path(org).startswith(scope)
            except UnknownOrg:
                paths[org] = False
        return paths[org]

    return test


def require_org(ledger: Ledger, who: Principal, org: str) -> None:
    """Refuse a read or write of ``org`` outside ``who``'s scope (an unknown org: 404 first)."""
    ledger.models.fresh()
    ledger.models.org_path(org)  # UnknownOrg → 404
    if not within(ledger, who, org):
        raise Forbidden(f"token {who.name!r} covers {who.scope}, not {org}")


def acting_org(ledger: Ledger, fact: ParsedFact) -> str | None:
    """The org that acts on ``fact`` (see the module's docstring); None when there is none
    (an unknown member, or a registration at the root)."""
    data = fact.data()
    kind = fact.type
    if kind == "organization.registered":
        return data.get("parent")
    if kind.startswith("organization."):
        return data.get("org")
    if kind in ("member.admitted", "member.transferred_in"):
        return data.get("org")
    if kind == "fact.retracted":
        known = ledger.app.known_facts([str(data.get("fact"))]).get(str(data.get("fact")))
        if known is None:
            return None
        kind_of_subject, _, subject = known.subject.partition(":")  # "member:m1", "org:hp"
        if kind_of_subject == "org":
            return subject
        return _holder(ledger, subject, fact.model.on)
    return _holder(ledger, str(data.get("member")), fact.model.on)


def _holder(ledger: Ledger, member: str, on: date) -> str | None:
    view = ledger.models.member(member, as_of=on, known_at=None, label="")
    return view.org


def require_fact(ledger: Ledger, who: Principal, fact: ParsedFact) -> None:
    """Refuse a fact ``who`` may not record (see the module's docstring)."""
    if who.scope is None:
        return
    org = acting_org(ledger, fact)
    if org is None:
        if who.role == "admin" and fact.type == "organization.registered":
            return  # a new root: an admin's to register
        raise Forbidden(
            f"token {who.name!r} may not record {fact.type} {fact.id}: no org of its scope "
            f"{who.scope} acts on it"
        )
    if not within(ledger, who, org):
        raise Forbidden(
            f"token {who.name!r} covers {who.scope}; {fact.type} {fact.id} is for {org}"
        )
