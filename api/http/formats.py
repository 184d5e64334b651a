"""Reports as CSV or XLSX over HTTP: ``?format=csv|xlsx`` or the ``Accept`` header, in the
language of ``?lang=vi|en`` — the same documents as the command line's ``--format``."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response

from api.formats import exports

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FormatParam = Annotated[
    Literal["json", "csv", "xlsx"] | None,
    Query(
        alias="format",
        description="json (default), csv or xlsx; without it, the Accept header decides.",
    ),
]
LangParam = Annotated[
    Literal["vi", "en"], Query(description="The language of CSV and XLSX (the JSON has none).")
]

SPREADSHEETS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV: {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "The report: JSON, or with format=csv|xlsx (or Accept) a spreadsheet.",
    }
}
"""The extra media types of a report route's answer, for the OpenAPI."""


def chosen(request: Request, fmt: str | None) -> str:
    """The format asked for: the parameter, else the first of CSV or XLSX the client accepts
    before JSON, else JSON."""
    if fmt is not None:
        return fmt
    accept = request.headers.get("accept", "").lower()
    for media in (part.split(";")[0].strip() for part in accept.split(",")):
        if media == CSV:
            return "csv"
        if media == XLSX:
            return "xlsx"
        if media in ("application/json", "*/*"):
            return "json"
    return "json"


def spreadsheet(document: Callable[[], exports.Document], fmt: str, name: str) -> Response:
    """The document as a CSV or XLSX download named ``name`` (plus the extension)."""
    if fmt == "csv":
        body = exports.to_csv(document()).encode("utf-8")
        media = f"{CSV}; charset=utf-8"
    else:
        stream = io.BytesIO()
        exports.to_xlsx(document(), stream)
        body, media = stream.getvalue(), XLSX
    headers = {"content-disposition": f'attachment; filename="{name}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)
