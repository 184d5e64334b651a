"""Who is looking: the browser's sign-in cookie, and the forms' protection against forgery.

A browser signs in by posting a token (``ledger token create``) to ``/ui/signin``; the token is
kept in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` over HTTPS) and checked on every
request exactly as a bearer token is, so a revoked token signs the browser out at once. A token
never travels in a URL. Without authentication (``ledger serve --no-auth``) nobody signs in.

Forms carry a random value that must equal the one in a second ``SameSite=Strict`` cookie (the
double-submit pattern): another site can neither read that cookie nor set it, so it cannot post
a form in the user's name. It works with any number of worker processes (nothing is kept on the
server).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

from api.http.auth import Guard, Principal, Unauthorized

TOKEN_COOKIE = "ledger_token"
CSRF_COOKIE = "ledger_csrf"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 64 * 1024


class SignIn(Exception):
    """The page needs a signed-in browser: the answer is the sign-in page."""


def guard(request: Request) -> Guard:
    """The app's token guard (shared with the JSON API)."""
    found: Guard = request.app.state.guard
    return found


def principal(request: Request) -> Principal:
    """The signed-in principal; SignIn when there is no live token in the cookie."""
    checker = guard(request)
    if not checker.enabled:
        return checker.check("")
    token = request.cookies.get(TOKEN_COOKIE, "")
    if not token:
        raise SignIn
    try:
        return checker.check(token)
    except Unauthorized as err:
        raise SignIn from err


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def sign_in(response: Response, request: Request, token: str) -> None:
    """Keep ``token`` in the browser's cookie (not readable by scripts, never sent cross-site)."""
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request), path="/")  # fmt: skip


def sign_out(response: Response) -> None:
    """Forget the browser's token."""
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")


def csrf_value(request: Request) -> str:
    """The value this browser's forms carry (the cookie's, or a new one set by ``keep_csrf``)."""
    found = request.cookies.get(CSRF_COOKIE, "")
    if len(found) == 43:
        return found
    made: str = getattr(request.state, "csrf", "") or secrets.token_urlsafe(32)
    request.state.csrf = made
    return made


def keep_csrf(request: Request, response: Response) -> None:
    """Set the form cookie when this answer made a new value."""
    made = getattr(request.state, "csrf", "")
    if made:
        response.set_cookie(CSRF_COOKIE, made, httponly=True, samesite="strict",
                            secure=_secure(request), path="/ui")  # fmt: skip


async def form(request: Request) -> dict[str, str] | None:
    """The posted form's fields (the first value of each); None when it is too large, not a
    form, or its CSRF value does not match the cookie's."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    pairs = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    fields = {key: values[0] for key, values in pairs.items()}
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = fields.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return None
    return fields


def local_path(text: str | None) -> str:
    """A path of the dashboard to go back to (anything else, e.g. another site: the start)."""
    if text and text.startswith("/ui") and not text.startswith("//") and "\\" not in text:
        return text
    return "/ui/orgs"
