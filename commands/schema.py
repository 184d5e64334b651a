"""The interchange format of SPEC §2 as pydantic models: one JSON object per fact, no extras."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from commands.decoding import check_depth_and_text, decode_line
from ledger import facts as ft
from ledger.errors import InvalidFact

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = f"{ft.FIRST_DAY.isoformat()} … {ft.LAST_DAY.isoformat()}"


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    else:
        day = date.fromisoformat(value)
    if not ft.FIRST_DAY <= day <= ft.LAST_DAY:
        raise ValueError(f"the date must be within {_RANGE}")
    return day


def _parse_instant(value: object) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and "T" in value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(
            "expected an ISO 8601 date-time with offset, e.g. 2021-03-01T09:00:00+07:00"
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("the date-time needs an offset, e.g. +07:00 or Z")
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # year 1 ahead of UTC, or year 9999 behind it
        utc = None
    if utc is None or not ft.FIRST_DAY <= utc.date() <= ft.LAST_DAY:
        raise ValueError(f"the date-time must be within {_RANGE} in UTC")
    return parsed


Day = Annotated[date, BeforeValidator(_parse_date)]
Instant = Annotated[datetime, BeforeValidator(_parse_instant)]
LedgerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=ft.MAX_TEXT_CHARS)]
FactId = Annotated[str, StringConstraints(min_length=1, max_length=ft.MAX_ID_CHARS)]


def _occupation(value: str) -> str:
    if value not in ft.OCCUPATIONS:
        raise ValueError(f"occupation must be one of {', '.join(ft.OCCUPATIONS)}")
    return value


# The one list of occupations is ledger.facts.OCCUPATIONS; the schema still names them all.
Occupation = Annotated[
    str,
    AfterValidator(_occupation),
    WithJsonSchema({"type": "string", "enum": list(ft.OCCUPATIONS)}),
]


def _milestone(value: int) -> int:
    if value not in ft.BADGE_MILESTONES:
        raise ValueError(f"years must be one of {', '.join(map(str, ft.BADGE_MILESTONES))}")
    return value


# A strict int first: a Literal would let 30.0 (== 30) through.
Milestone = Annotated[int, Field(strict=True), AfterValidator(_milestone)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Person(_Strict):
    """The person admitted (or arriving from outside)."""

    name: Text
    gender: Literal["female", "male"]
    birth_date: Day | None = None


class _Fact(_Strict):
    id: FactId | None = None
    on: Day
    recorded_at: Instant | None = None
    ref: Text | None = None
    note: Text | None = None


class OrgRegistered(_Fact):
    type: Literal["organization.registered"]
    org: LedgerId
    name: Text
    parent: LedgerId | None = None


class OrgRenamed(_Fact):
    type: Literal["organization.renamed"]
    org: LedgerId
    name: Text


class OrgDissolved(_Fact):
    type: Literal["organization.dissolved"]
    org: LedgerId


class OrgCountDeclared(_Fact):
    type: Literal["organization.count_declared"]
    org: LedgerId
    count: Annotated[int, Field(ge=0, le=ft.MAX_COUNT)]


class Admitted(_Fact):
    type: Literal["member.admitted"]
    member: LedgerId
    org: LedgerId
    person: Person
    youth_union: bool
    occupation: Occupation
    private_business_owner: bool = False
    population_policy_violation: bool = False


class TransferredOut(_Fact):
    type: Literal["member.transferred_out"]
    member: LedgerId
    to_org: LedgerId | None = None
    to_external: Text | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> TransferredOut:
        if (self.to_org is None) == (self.to_external is None):
            raise ValueError("exactly one of to_org and to_external is required")
        return self


class TransferredIn(_Fact):
    type: Literal["member.transferred_in"]
    member: LedgerId
    org: LedgerId
    from_external: Text | None = None
    person: Person | None = None
    youth_union: bool | None = None
    occupation: Occupation | None = None
    standing: Literal["probationary", "official"] | None = None
    admitted_on: Day | None = None

    @model_validator(mode="after")
    def _admitted_before(self) -> TransferredIn:
        if self.admitted_on is not None and self.admitted_on > self.on:
            raise ValueError("admitted_on is after the arrival date")
        return self


class BadgeAwarded(_Fact):
    type: Literal["member.badge_awarded"]
    member: LedgerId
    years: Milestone
    early: bool = False


class Removed(_Fact):
    type: Literal["member.removed"]
    member: LedgerId
    reason: Text | None = None


class CardIssued(_Fact):
    type: Literal["member.card_issued"]
    member: LedgerId
    card_no: Text | None = None


class _MemberOnly(_Fact):
    member: LedgerId


class ProbationCompleted(_MemberOnly):
    type: Literal["member.probation_completed"]


class Expelled(_MemberOnly):
    type: Literal["member.expelled"]


class Resigned(_MemberOnly):
    type: Literal["member.resigned"]


class Died(_MemberOnly):
    type: Literal["member.died"]


class DossierRecorded(_MemberOnly):
    type: Literal["member.dossier_recorded"]


class WentAway(_MemberOnly):
    type: Literal["member.went_away"]


class Returned(_MemberOnly):
    type: Literal["member.returned"]


class Exempted(_MemberOnly):
    type: Literal["member.exempted"]


class ExemptionEnded(_MemberOnly):
    type: Literal["member.exemption_ended"]


class Retracted(_Fact):
    type: Literal["fact.retracted"]
    fact: FactId
    reason: Text


FactModel = Annotated[
    OrgRegistered
    | OrgRenamed
    | OrgDissolved
    | OrgCountDeclared
    | Admitted
    | ProbationCompleted
    | TransferredOut
    | TransferredIn
    | BadgeAwarded
    | Expelled
    | Removed
    | Resigned
    | Died
    | DossierRecorded
    | WentAway
    | Returned
    | Exempted
    | ExemptionEnded
    | CardIssued
    | Retracted,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(FactModel)
MODELS: dict[str, type[_Fact]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in _Fact.__subclasses__() + _MemberOnly.__subclasses__()
    if "type" in model.model_fields
}


@dataclass(frozen=True, slots=True)
class ParsedFact:
    """A well-formed fact: its id, its validated model, and the digest of its content."""

    id: str
    model: Any
    digest: str
    submitted: dict[str, Any] | None = None  # the decoded JSON line, when it was one
    restored: bool = False
    """A line of ``ledger import --restore`` that names its recorder (``recorder``, None when
    the exported ledger did not know it): it is stored as that, not as who imports it."""
    recorder: str | None = None
    type: str = field(init=False)
    """The fact type (the model's, asked for several times per fact: kept)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", str(self.model.type))

    def data(self) -> dict[str, Any]:
        """The type-specific fields as submitted (JSON values), without the common fields."""
        # A valid JSON line holds them exactly as the model would write them back: the
        # models only check values, never rewrite them (dates are YYYY-MM-DD either way).
        fields = self.submitted
        if fields is None:
            fields = self.model.model_dump(mode="json", exclude_unset=True)
        return {k: v for k, v in fields.items() if k not in _COMMON_FIELDS}


_COMMON_FIELDS = frozenset(ft.COMMON_FIELDS)


def canonical_json(obj: Any) -> str:
    """Keys sorted at every level, no spaces, non-ASCII kept as UTF-8 (SPEC §2)."""
    return _canonical_bytes(obj).decode("utf-8", "surrogatepass")


def _canonical_bytes(obj: Any) -> bytes:
    # orjson writes exactly this form for the values a fact can hold (objects, strings,
    # integers, booleans, null) and is ten times faster than json; floats and what orjson
    # cannot encode take the json module's spelling.
    if not _has_float(obj):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONEncodeError, TypeError):
            pass
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def _has_float(obj: Any) -> bool:
    if isinstance(obj, dict):
        values: Any = obj.values()
    elif isinstance(obj, list):
        values = obj
    else:
        return isinstance(obj, float)
    for value in values:
        # The usual leaves by their exact type, without a call each.
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if _has_float(value):
            return True
    return False


def content_digest(raw: dict[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of the fact without its id."""
    content = {k: v for k, v in raw.items() if k != "id"}
    return hashlib.sha256(_canonical_bytes(content)).hexdigest()


def parse_line(line: str | bytes, *, restore: bool = False) -> ParsedFact:
    """Parse one JSON Lines line into a fact, or raise ``InvalidFact`` saying what is wrong.

    With ``restore`` (``ledger import --restore``), the line may also carry the fields that
    ``ledger export`` adds to each fact: ``recorded_by`` and ``digest`` (RESTORE_FIELDS).
    """
    raw = decode_line(line)
    if isinstance(raw, dict) and raw.keys() == REJECT_KEYS:
        # A line of a --rejects file: the refused fact (fixed by now, one hopes) is inside.
        inner = raw["fact"]
        if isinstance(inner, str):
            raw = decode_line(inner)
        elif isinstance(inner, dict) and inner.keys() != REJECT_KEYS:
            raw = inner
        else:
            raise InvalidFact("a rejects-file line must wrap a fact")
    if restore:
        return _parse_restored(raw)
    return _parse(raw, from_json=True)


REJECT_KEYS = {"line", "id", "error", "message", "fact"}
"""The keys of a line written by ``ledger import --rejects``; such a line wraps a fact."""


def parse_object(raw: Any) -> ParsedFact:
    """Validate an already decoded JSON value as a fact (the limits of SPEC §2 included)."""
    check_depth_and_text(raw)
    if len(_canonical_bytes(raw)) > ft.MAX_LINE_BYTES:
        raise InvalidFact(f"the fact is longer than {ft.MAX_LINE_BYTES:,} bytes as JSON")
    return _parse(raw, from_json=False)


def _parse(raw: Any, *, from_json: bool) -> ParsedFact:
    if not isinstance(raw, dict):
        raise InvalidFact("a fact must be a JSON object")
    given_id = raw.get("id")
    if given_id is not None:
        if not isinstance(given_id, str) or not given_id:
            raise InvalidFact("id must be a non-empty string")
        if len(given_id) > ft.MAX_ID_CHARS:
            raise InvalidFact(
                f"field 'id': {len(given_id):,} characters; a fact id has at most {ft.MAX_ID_CHARS}"
            )
    digest = content_digest(raw)
    fact_id = given_id if given_id is not None else f"sha256:{digest}"
    for name in RESTORE_FIELDS:
        if name in raw:
            raise InvalidFact(
                f"unknown field '{name}': only 'ledger import --restore' reads it (a line of "
                "'ledger export')",
                fact=fact_id,
            )
    try:
        model = _ADAPTER.validate_python(raw)
    except ValidationError as err:
        raise InvalidFact(describe(err), fact=fact_id) from None
    return ParsedFact(fact_id, model, digest, raw if from_json else None)


RESTORE_FIELDS = ("recorded_by", "digest")
"""What ``ledger export`` adds to each fact, read back by ``ledger import --restore`` only: who
recorded the fact, and the digest of its content as first submitted (docs/reliability.md)."""
MAX_RECORDER_CHARS = 256
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _parse_restored(raw: Any) -> ParsedFact:
    """A line of ``ledger export``: the fact, with its recorder and its stored digest.

    The digest is kept as exported, not computed again: an export writes every fact with its
    ``id`` and ``recorded_at`` even when the submission had none, and a date-time in its own
    spelling, so only the stored digest still says that the original line is a duplicate.
    """
    if not isinstance(raw, dict):
        raise InvalidFact("a fact must be a JSON object")
    given_id = raw.get("id")
    fact_id = given_id if isinstance(given_id, str) else None
    recorder = raw.get("recorded_by")
    if recorder is not None and not (
        isinstance(recorder, str) and 0 < len(recorder) <= MAX_RECORDER_CHARS
    ):
        raise InvalidFact(
            f"field 'recorded_by': a non-empty string of at most {MAX_RECORDER_CHARS} "
            "characters, or null (unknown)",
            fact=fact_id,
        )
    digest = raw.get("digest")
    if digest is not None and not (isinstance(digest, str) and _DIGEST.match(digest)):
        raise InvalidFact(
            "field 'digest': 64 lowercase hexadecimal digits (the SHA-256 that 'ledger export' "
            "wrote), or null",
            fact=fact_id,
        )
    if digest is not None and fact_id is None:
        raise InvalidFact("field 'digest' needs the fact's 'id'")
    parsed = _parse({k: v for k, v in raw.items() if k not in RESTORE_FIELDS}, from_json=True)
    return replace(
        parsed,
        digest=digest or parsed.digest,
        restored="recorded_by" in raw,
        recorder=recorder,
    )


def describe(err: ValidationError) -> str:
    """Turn pydantic's report into one readable sentence naming the fields."""
    parts = []
    for problem in err.errors(include_url=False):
        loc = [str(p) for p in problem["loc"]]
        if loc and loc[0] in MODELS:
            loc = loc[1:]
        where = ".".join(loc)[:100] or "fact"
        kind = problem["type"]
        if kind == "extra_forbidden":
            parts.append(f"unknown field '{where}'")
        elif kind == "missing":
            parts.append(f"missing field '{where}'")
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            parts.append(f"unknown or missing fact type: {problem['msg']}")
        else:
            parts.append(f"field '{where}': {problem['msg']}")
    return "; ".join(parts)
