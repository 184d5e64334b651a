"""The dashboard's forms and downloads: signing in and out, recording a fact (a registrar's
token), and every report as CSV or XLSX through the JSON API's own routes.

A fact goes through exactly the path of ``POST /facts``: the importer's parser, the token's
scope (``require_fact``), ``record_fact``. A refusal is shown with its stable code and message,
the form keeping what was typed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.http import reads
from api.http.auth import Forbidden, Principal, Unauthorized, require_fact
from api.http.service import BadRequest, Service
from api.web import session
from api.web.render import View, day_param, error, html, language
from api.web.words import t
from commands.record import record_fact
from commands.schema import parse_line
from ledger.errors import InvalidFact, LedgerError
from ledger.facts import FACT_TYPES

router = APIRouter(prefix="/ui", include_in_schema=False)
FIELDS = ("type", "id", "on", "member", "org", "ref", "extra")


@router.get("/signin")
def signin_form(request: Request) -> Response:
    """The sign-in form (a token, never in a URL)."""
    return html(request, "signin.html", None, {"next": session.local_path(
        request.query_params.get("next")), "wrong": False, "title": t("nav.signin",
        language(request))})  # fmt: skip


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Check the token; keep it in the browser's cookie and go back to the page asked for."""
    fields = await session.form(request)
    lang = language(request)
    if fields is None:
        return error(request, 403, "forbidden", t("csrf", lang))
    target = session.local_path(fields.get("next"))
    token = fields.get("token", "").strip()
    try:
        await run_in_threadpool(session.guard(request).check, token)
    except Unauthorized:
        context = {"next": target, "wrong": True, "title": t("nav.signin", lang)}
        return html(request, "signin.html", None, context, 401)
    response = RedirectResponse(target, 303)
    session.sign_in(response, request, token)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    """Forget the browser's token."""
    if await session.form(request) is None:
        return error(request, 403, "forbidden", t("csrf", language(request)))
    response = RedirectResponse("/ui/signin", 303)
    session.sign_out(response)
    return response


def _view(request: Request) -> View:
    ledgers: Service = request.app.state.service
    who = session.principal(request)
    return View(request, who, language(request), ledgers.today(), None, "")


@router.get("/record")
def record_form(request: Request) -> Response:
    """The form to record one fact."""
    try:
        view = _view(request)
    except session.SignIn:
        return RedirectResponse("/ui/signin?" + urlencode({"next": "/ui/record"}), 303)
    values = {k: request.query_params.get(k, "") for k in FIELDS}
    return html(request, "record.html", view, _context(view, values, None))


def _context(view: View, values: dict[str, str], outcome: dict[str, Any] | None) -> dict[str, Any]:
    return {"title": t("nav.record", view.lang), "types": FACT_TYPES, "values": values,
            "outcome": outcome, "may": view.who.may("registrar")}  # fmt: skip


@router.post("/record")
async def record(request: Request) -> Response:
    """Record the fact of the form; the page says accepted, duplicate, or refused and why."""
    try:
        view = _view(request)
    except session.SignIn:
        return RedirectResponse("/ui/signin?" + urlencode({"next": "/ui/record"}), 303)
    fields = await session.form(request)
    if fields is None:
        return error(request, 403, "forbidden", t("csrf", view.lang))
    values = {k: fields.get(k, "").strip() for k in FIELDS}
    outcome = await run_in_threadpool(_record, request.app.state.service, view.who, values)
    status = {"accepted": 201, "duplicate": 200}.get(str(outcome["outcome"]), outcome["status"])
    return html(request, "record.html", view, _context(view, values, outcome), int(status))


def _record(ledgers: Service, who: Principal, values: dict[str, str]) -> dict[str, Any]:
    """The outcome of recording the form's fact: accepted or duplicate with the fact's id, or
    refused with a status, a stable code and a message."""
    fact: dict[str, Any] = {}
    try:
        extra = orjson.loads(values["extra"]) if values["extra"] else {}
    except orjson.JSONDecodeError as err:
        return _refused(422, "invalid_fact", f"other fields: not JSON ({err})", None)
    if not isinstance(extra, dict):
        return _refused(422, "invalid_fact", "other fields: a JSON object {…}", None)
    for key in ("id", "type", "on", "member", "org", "ref"):
        if values[key]:
            fact[key] = values[key]
    fact.update(extra)
    try:
        parsed = parse_line(orjson.dumps(fact))
    except InvalidFact as err:
        return _refused(422, err.code, err.message, None)
    if not who.may("registrar"):
        return _refused(403, "forbidden", f"token {who.name!r} is a {who.role}; recording "
                        "needs a registrar", parsed.id)  # fmt: skip
    try:
        with ledgers.writer() as ledger:
            require_fact(ledger, who, parsed)
            outcome = record_fact(ledger.app, parsed, recorded_by=who.recorder)
    except LedgerError as err:
        return _refused(422 if isinstance(err, InvalidFact) else 409, err.code, err.message,
                        parsed.id)  # fmt: skip
    except Forbidden as err:
        return _refused(403, "forbidden", str(err), parsed.id)
    data = parsed.data()
    return {"outcome": outcome, "fact": parsed.id, "status": 201, "member": data.get("member"),
            "org": data.get("org")}  # fmt: skip


def _refused(status: int, code: str, message: str, fact: str | None) -> dict[str, Any]:
    return {"outcome": "refused", "status": status, "error": code, "message": message,
            "fact": fact}  # fmt: skip


REPORTS = ("annual", "roster", "quality", "badges", "member", "diff", "orgs")


@router.get("/export/{report}.{fmt}")
def export(request: Request, report: str, fmt: str) -> Response:
    """A report as CSV or XLSX, answered by the JSON API's route of the same report (the
    browser's cookie standing for the bearer token)."""
    try:
        who = session.principal(request)
    except session.SignIn:
        return RedirectResponse("/ui/signin", 303)
    if report not in REPORTS or fmt not in ("csv", "xlsx"):
        return error(request, 404, "not_found", f"no download {report}.{fmt}")
    query = request.query_params
    ledgers: Service = request.app.state.service
    lang = language(request)
    known = query.get("known_at") or None
    try:
        day = day_param(query.get("as_of", ""), ledgers.today(), "as_of")
        return _export(request, report, fmt, who, ledgers, day, known, lang)
    except BadRequest as err:
        return error(request, 422, "invalid_request", err.message)
    except LedgerError as err:
        return error(request, 404, err.code, err.message)
    except Forbidden as err:
        return error(request, 403, "forbidden", str(err))


def _export(request: Request, report: str, fmt: str, who: Principal, ledgers: Service,
            day: date, known: str | None, lang: str) -> Response:  # fmt: skip
    query = request.query_params
    kind: Literal["csv", "xlsx"] = "csv" if fmt == "csv" else "xlsx"
    lang_of: Literal["vi", "en"] = "en" if lang == "en" else "vi"
    org, member = query.get("org", ""), query.get("member", "")
    year = int(query.get("year", "0")) if query.get("year", "").isdigit() else day.year - 1
    answer: Response
    if report == "annual":
        answer = reads.annual(request, org, year, ledgers, who, known, kind, lang_of)
    elif report == "roster":
        answer = reads.roster(request, org, ledgers, who, day, known, kind, lang_of)
    elif report == "quality":
        answer = reads.quality(request, org, ledgers, who, day, known, kind, lang_of)
    elif report == "badges":
        on = day_param(query.get("on", ""), day, "on")
        answer = reads.badges(request, org, ledgers, who, on, kind, lang_of)
    elif report == "member":
        answer = reads.member(request, member, ledgers, who, day, known, kind, lang_of)
    elif report == "diff":
        if known is None:
            raise BadRequest("known_at: the diff needs the earlier knowledge time")
        against = query.get("against") or None
        answer = reads.diff(request, org, year, ledgers, who, known, against, kind, lang_of)
    else:
        from api.http.directory import org_subtree, orgs

        root = query.get("root") or None
        tree = (
            org_subtree(root, ledgers, who, day, known) if root else orgs(ledgers, who, day, known)
        )
        answer = _tree_sheet(ledgers, tree, kind, lang_of)
    return answer


def _tree_sheet(ledgers: Service, tree: Any, fmt: str, lang: str) -> Response:
    from api.formats import sheets
    from api.http.formats import spreadsheet

    with ledgers.readers.borrow() as ledger:
        names = ledger.models.names(orgs=[o["org"] for o in tree.orgs])
    return spreadsheet(lambda: sheets.org_tree(tree, names, lang), fmt, f"orgs-{tree.as_of}")
