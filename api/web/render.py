"""Pages from templates: the question every page shares (language, as of, known at), the
Jinja2 environment, and the one way a page is answered — refusals as pages, never tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.bootstrap import Ledger
from api.formats import l10n
from api.http.auth import Forbidden, Principal
from api.http.service import BadRequest, NotFound, Service
from api.web import session
from api.web.words import t
from ledger.errors import LedgerError, UnknownOrg
from ledger.facts import FIRST_DAY, LAST_DAY

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["sentence"] = lambda text: text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class View:
    """A page's question: the language, the day (as of) and the knowledge time (None: now)."""

    request: Request
    who: Principal
    lang: str
    as_of: date
    known_at: datetime | None
    label: str
    """The knowledge time as the reports print it (now, when none was asked for)."""

    def param(self, name: str) -> str:
        """A query parameter as given ('' when absent)."""
        return self.request.query_params.get(name, "").strip()

    def url(self, path: str, **changes: str | int | None) -> str:
        """``path`` with this page's language, as-of and known-at kept and ``changes`` applied
        (None drops a parameter)."""
        keep = {k: self.param(k) for k in ("lang", "as_of", "known_at") if self.param(k)}
        keep.update({k: str(v) for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            keep.pop(key, None)
        return f"{path}?{urlencode(keep)}" if keep else path

    def here(self, **changes: str | int | None) -> str:
        """This page with ``changes`` to its query (every parameter kept)."""
        query = dict(self.request.query_params)
        query.update({k: str(v) for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            query.pop(key, None)
        return f"{self.request.url.path}?{urlencode(query)}"


def language(request: Request) -> str:
    """The page's language: ``?lang=en`` or Vietnamese."""
    return "en" if request.query_params.get("lang") == "en" else "vi"


def day_param(text: str, default: date, name: str) -> date:
    """A day of the query (YYYY-MM-DD), or ``default`` when empty."""
    if not text:
        return default
    try:
        value = date.fromisoformat(text)
    except ValueError as err:
        raise BadRequest(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from err
    if not FIRST_DAY <= value <= LAST_DAY:
        raise BadRequest(f"{name}: {text} is outside {FIRST_DAY}..{LAST_DAY}")
    return value


def view_of(request: Request, ledgers: Service) -> View:
    """The question of this request; SignIn when the browser must sign in first."""
    who = session.principal(request)
    lang = language(request)
    as_of = day_param(request.query_params.get("as_of", "").strip(), ledgers.today(), "as_of")
    known = request.query_params.get("known_at", "").strip() or None
    moment, label = ledgers.known_at(known)
    return View(request, who, lang, as_of, moment, label)


def page(
    request: Request,
    template: str,
    build: Callable[[View, Ledger], dict[str, Any]],
    *,
    status: int = 200,
) -> Response:
    """The page ``template`` with what ``build`` finds in a borrowed ledger; a refusal (an
    unknown org, a bad date, outside the token's scope) is an error page with its status."""
    ledgers: Service = request.app.state.service
    try:
        view = view_of(request, ledgers)
        with ledgers.readers.borrow() as ledger:
            context = build(view, ledger)
    except session.SignIn:
        query = request.url.query
        target = session.local_path(request.url.path + (f"?{query}" if query else ""))
        return RedirectResponse("/ui/signin?" + urlencode({"next": target}), 303)
    except BadRequest as err:
        return error(request, 422, "invalid_request", err.message)
    except UnknownOrg as err:
        return error(request, 404, err.code, err.message)
    except LedgerError as err:
        return error(request, 409, err.code, err.message)
    except Forbidden as err:
        return error(request, 403, "forbidden", str(err))
    except NotFound as err:
        return error(request, 404, "not_found", str(err))
    return html(request, template, view, context, status)


def html(
    request: Request, template: str, view: View | None, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render ``template`` with the words and helpers every template uses."""
    lang = view.lang if view is not None else language(request)
    signed = view.who if view is not None else None
    body = TEMPLATES.get_template(template).render(
        view=view,
        lang=lang,
        who=signed,
        auth=session.guard(request).enabled,
        t=lambda key: t(key, lang),
        number=lambda n: l10n.number(int(n), lang),
        day=lambda d: l10n.day(d, lang),
        moment=lambda m: l10n.moment(m, lang),
        fact_type=lambda k: l10n.fact_type(k, lang),
        status_word=lambda s: l10n.status(s, lang),
        kind_word=lambda k: l10n.kind(k, lang),
        occupation=lambda o: l10n.occupation(o, lang),
        other_lang="en" if lang == "vi" else "vi",
        csrf=session.csrf_value(request),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(body, status)
    session.keep_csrf(request, response)
    # Pages change with every fact: never served from a cache; never framed by another site.
    response.headers["cache-control"] = "no-store"
    response.headers["x-frame-options"] = "DENY"
    response.headers["content-security-policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
    )
    return response


def error(request: Request, status: int, code: str, message: str) -> HTMLResponse:
    """A refusal as a page: its status, stable code and message."""
    return html(request, "error.html", None, {"code": code, "message": message}, status)
