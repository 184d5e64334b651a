"""The write routes: one fact, or a batch, through the same rules as ``ledger import``.

The body is read as bytes and decoded by the importer's own decoder (size, nesting, duplicate
keys, control characters), never by a laxer JSON parser first. Fact ids are idempotency keys:
a retried POST of a stored fact is answered ``duplicate`` (200), never refused.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.bootstrap import Ledger
from api.http.auth import Forbidden, Principal, require_fact, requires
from api.http.service import Service, service
from commands.record import ImportSummary, Refusal, import_facts, record_fact
from commands.schema import parse_line
from ledger.errors import InvalidFact, LedgerError
from ledger.facts import MAX_LINE_BYTES

router = APIRouter()
Ledgers = Annotated[Service, Depends(service)]
Registrar = Annotated[Principal, requires("registrar")]

MAX_BATCH_BYTES = 32 * 1024 * 1024
"""A batch body: 32 MiB (about 100,000 facts); larger imports belong to ``ledger import``."""
MAX_BATCH_FACTS = 100_000


class TooLarge(Exception):
    """The body is over its limit (413)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Recorded(BaseModel):
    """A fact stored now (``accepted``, 201) or already stored before (``duplicate``, 200)."""

    id: str
    outcome: Literal["accepted", "duplicate"]


class Refused(BaseModel):
    """A fact the rules refuse (409) or cannot read (422): the stable code of SPEC §3."""

    error: str
    message: str
    fact: str | None
    """The fact's id, when it could be read."""


class Reject(BaseModel):
    line: int | None
    id: str | None
    error: str
    message: str


class BatchSummary(BaseModel):
    """The import summary of SPEC §5."""

    accepted: int
    duplicates: int
    rejected: int
    rejects: list[Reject]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is {int(declared):,} bytes; at most {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


FACT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "One fact (SPEC §2)."},
                "example": {
                    "id": "hp-f9000001",
                    "type": "member.died",
                    "on": "2021-12-24",
                    "member": "hp-m0000404",
                    "ref": "QĐ 12/2022",
                },
            }
        },
    }
}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": {"type": "string", "description": "JSON Lines."}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


@router.post(
    "/facts",
    tags=["facts"],
    status_code=201,
    response_model=Recorded,
    responses={200: {"model": Recorded}, 409: {"model": Refused}, 413: {}, 422: {"model": Refused}},
    openapi_extra=FACT_BODY,
)
async def post_fact(request: Request, ledgers: Ledgers, who: Registrar) -> Any:
    """Record one fact; refused with its stable code when a rule of the ledger forbids it."""
    body = await read_body(request, MAX_LINE_BYTES)
    return await run_in_threadpool(_record, ledgers, who, body)


def _record(ledgers: Service, who: Principal, body: bytes) -> JSONResponse:
    try:
        parsed = parse_line(body)
    except InvalidFact as err:
        return _refused(422, err, None)
    try:
        with ledgers.writer() as ledger:
            require_fact(ledger, who, parsed)
            outcome = record_fact(ledger.app, parsed, recorded_by=who.recorder)
    except LedgerError as err:
        return _refused(422 if isinstance(err, InvalidFact) else 409, err, parsed.id)
    except Forbidden as err:
        return JSONResponse(Refused(error="forbidden", message=str(err), fact=parsed.id)
                            .model_dump(), 403)  # fmt: skip
    status = 201 if outcome == "accepted" else 200
    return JSONResponse(Recorded(id=parsed.id, outcome=outcome).model_dump(), status)


def _refused(status: int, err: LedgerError, fact: str | None) -> JSONResponse:
    body = Refused(error=err.code, message=err.message, fact=fact)
    return JSONResponse(body.model_dump(), status)


@router.post(
    "/facts/batch",
    tags=["facts"],
    response_model=BatchSummary,
    responses={413: {}, 422: {"model": Refused}},
    openapi_extra=BATCH_BODY,
)
async def post_batch(request: Request, ledgers: Ledgers, who: Registrar) -> Any:
    """Record facts in order, as ``ledger import`` does: each one accepted, a duplicate or
    refused (with its line number, 1-based); the others are stored even when some are refused."""
    body = await read_body(request, MAX_BATCH_BYTES)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            items = json.loads(body, object_pairs_hook=_unique_keys)
        except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError
            return _refused(422, InvalidFact(f"not a JSON array of facts: {err}"), None)
        if not isinstance(items, list):
            return _refused(422, InvalidFact("a JSON batch is an array of facts"), None)
        lines = [_as_line(item) for item in items]
    else:
        lines = body.splitlines()
    if len(lines) > MAX_BATCH_FACTS:
        raise TooLarge(f"the batch holds {len(lines):,} facts; at most {MAX_BATCH_FACTS:,}")
    return await run_in_threadpool(_import, ledgers, who, lines)


def _as_line(item: object) -> bytes:
    """One item of a JSON batch as the line the importer checks (orjson refuses integers beyond
    64 bits, which Python's parser reads: the importer then refuses that line, not the batch)."""
    try:
        return orjson.dumps(item)
    except orjson.JSONEncodeError:
        return json.dumps(item, ensure_ascii=False).encode()


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of the batch, refused when it names a key twice (as the importer refuses)."""
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise ValueError(f"duplicate key {key!r}: an object names it twice")
        value[key] = item
    return value


def _import(ledgers: Service, who: Principal, lines: list[bytes]) -> BatchSummary:
    with ledgers.writer() as ledger:
        if who.scope is None:
            summary = import_facts(ledger.app, lines, recorded_by=who.recorder)
        else:
            summary = _import_in_scope(ledger, who, lines)
    return BatchSummary.model_validate(summary.as_json())


def _import_in_scope(ledger: Ledger, who: Principal, lines: list[bytes]) -> ImportSummary:
    """A scoped token's batch, one fact at a time: whose fact each line is depends on the lines
    before it (an admission, then a transfer out of the org it placed the member in)."""
    summary = ImportSummary()
    for number, line in enumerate(lines, start=1):
        if not line.strip(b" \t\r\n"):
            continue
        fact_id = None
        try:
            parsed = parse_line(line)
            fact_id = parsed.id
            require_fact(ledger, who, parsed)
            outcome = record_fact(ledger.app, parsed, recorded_by=who.recorder)
        except Forbidden as err:
            summary.rejected += 1
            summary.rejects.append(Refusal(number, fact_id, "forbidden", str(err)))
            continue
        except LedgerError as err:
            summary.rejected += 1
            summary.rejects.append(Refusal(number, fact_id, err.code, err.message))
            continue
        if outcome == "accepted":
            summary.accepted += 1
        else:
            summary.duplicates += 1
    return summary
