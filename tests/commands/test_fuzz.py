"""Fuzzing the fact parser and the import with hypothesis (SPEC §2 limits, SPEC §5 import).

Random JSON values, random bytes and text, and mutations of valid facts are fed to
``parse_line`` and to ``import_facts`` on both backends. Whatever the line: the parser returns a
fact within the limits or raises ``InvalidFact`` (never anything else); the import refuses a bad
line with a stable error code, stores nothing of it and counts every non-blank line once; and
every read still answers afterwards.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from commands.application import LedgerApplication
from commands.record import ImportSummary, Refusal, import_facts
from commands.schema import ParsedFact, check_depth_and_text, parse_line
from ledger import facts as ft
from ledger.errors import ERRORS, InvalidFact
from projections.queries import ReadModels
from tests.support import Clock, LedgerHarness, admitted, at, fact

PARSER_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DATABASE_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- what a fact may hold, and what it may not ------------------------------------------------

FIELDS = (
    "type", "id", "on", "recorded_at", "ref", "note", "org", "name", "parent", "count", "member",
    "person", "youth_union", "occupation", "private_business_owner",
    "population_policy_violation", "to_org", "to_external", "from_external", "standing",
    "admitted_on", "years", "early", "reason", "card_no", "fact",
)  # fmt: skip
PERSON_FIELDS = ("name", "gender", "birth_date")
UNKNOWN_KEYS = ("extra", "Type", "ON", "on ", " member", "member_id", "", "é", "person.name")
CONTROL = (*(chr(c) for c in range(0x20)), "\x7f")
AWKWARD = (
    '"', "\\", "/", "é", "Đ", "ệ", "中", "😀", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uffff",
    "\u0085", "\u00a0", "\u200b", "[", "]", "{", "}", ":", ",", " ", "\\u0000", "\\n",
)  # fmt: skip
LEDGER_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

BAD_DATES = (
    "0001-01-01", "1799-12-31", "9999-12-31", "2021-02-29", "2021-13-01", "2021-00-10",
    "2021-04-31", "21-01-01", "2021-1-1", "+2021-01-01", "20210101", "2021-01-01T00:00:00+07:00",
    "", " 2021-01-01", "\u0662\u0660\u0662\u0661-\u0660\u0661-\u0660\u0661",
    "\uff12\uff10\uff12\uff11-\uff10\uff11-\uff10\uff11",
)  # fmt: skip
EDGE_DATES = ("1800-01-01", "9999-12-30")
BAD_INSTANTS = (
    "0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00Z", "0001-01-01T06:59:59+07:00",
    "9999-12-31T23:59:59-07:00", "9999-12-31T23:59:59+00:00", "9999-12-30T23:00:00-07:00",
    "1799-12-31T23:00:00+00:00", "1800-01-01T03:00:00+07:00", "2021-01-01T09:00:00",
    "2021-01-01", "2021-01-01T25:00:00+07:00", "2021-01-01T09:00:00+24:00",
    "2021-02-29T09:00:00+07:00", "", "T", "now",
)  # fmt: skip
EDGE_INSTANTS = (
    "1800-01-01T00:00:00Z", "1800-01-01T07:00:00+07:00", "9999-12-30T23:59:59.999999+00:00",
    "9999-12-31T06:59:59+07:00", "2021-01-01T09:00:00+07:00:30.5",
)  # fmt: skip
BAD_COUNTS: tuple[object, ...] = (
    -1, 10_000_001, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**400, 1.5, 1e7,
    30.0, True, False, "12", None, [], {},
)  # fmt: skip
EDGE_COUNTS = (0, 10_000_000)
BAD_IDS: tuple[object, ...] = ("", "x" * 257, "é" * 257, "😀" * 300, 5, 1.5, True, [], {}, ["a"])
EDGE_IDS = ("x" * 256, "中" * 256, "😀" * 256, "a b/c:d", "sha256:00")
BAD_LEDGER_IDS: tuple[object, ...] = (
    "", "x" * 65, "a b", "é", "a/b", "m1,", "\uff28\uff30", 1, True, [], {"org": "hp"},
)  # fmt: skip


def same(value: object, candidates: tuple[object, ...]) -> bool:
    """``value`` is one of ``candidates`` (of the same type: 1e7 is not 10_000_000, True not 1)."""
    return any(type(value) is type(c) and value == c for c in candidates)


# --- random JSON values, text and bytes ------------------------------------------------------

WEIRD_TEXT = st.lists(st.sampled_from(CONTROL + AWKWARD + tuple("az09-._")), max_size=12).map(
    "".join
)
PLAIN_STRINGS = st.sampled_from(
    (*ft.FACT_TYPES, *ft.OCCUPATIONS, "hp", "c1", "m1", "female", "male", "official",
     "probationary", "2021-03-01", "1960-05-01", "2021-03-01T09:00:00+07:00")
)  # fmt: skip
TEXTS = st.text(max_size=12) | WEIRD_TEXT | PLAIN_STRINGS
INTEGERS = st.integers() | st.sampled_from(
    (0, -1, 30, 40, 10_000_000, 10_000_001, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30)
)
SCALARS = st.none() | st.booleans() | INTEGERS | st.floats() | TEXTS
KEYS = st.sampled_from(FIELDS + PERSON_FIELDS) | TEXTS
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)
PERSONS = st.fixed_dictionaries(
    {"name": TEXTS, "gender": st.sampled_from(["female", "male"]) | SCALARS},
    optional={"birth_date": st.sampled_from(BAD_DATES + EDGE_DATES + ("1960-05-01",))},
)
PLAUSIBLE = (
    PLAIN_STRINGS
    | st.booleans()
    | st.sampled_from(
        BAD_DATES + EDGE_DATES + BAD_INSTANTS + EDGE_INSTANTS + BAD_COUNTS + EDGE_COUNTS
    )
    | PERSONS
)
FACT_SHAPED = st.builds(
    lambda kind, on, rest: {"type": kind, "on": on, **rest},
    st.sampled_from(ft.FACT_TYPES) | TEXTS,
    st.sampled_from(("2021-03-01", *EDGE_DATES, *BAD_DATES)),
    st.dictionaries(st.sampled_from(FIELDS), PLAUSIBLE | JSON_VALUES, max_size=8),
)
"""Dicts that look like facts: a type, a date and fields with plausible or random values."""


def dumps(value: Any, *, ascii_only: bool = True, spaced: bool = False) -> str:
    """JSON text of ``value`` (NaN and Infinity included, as invalid JSON)."""
    return json.dumps(
        value, ensure_ascii=ascii_only, separators=(", ", ": ") if spaced else (",", ":")
    )


@st.composite
def rendered(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> str | bytes:
    """A JSON value as one line: str or UTF-8 bytes, escaped or not, with a line break or not."""
    value = draw(values)
    text = dumps(value, ascii_only=draw(st.booleans()), spaced=draw(st.booleans()))
    text += draw(st.sampled_from(["", "", "\n", "\r\n", " "]))
    if draw(st.booleans()):
        return text
    return text.encode("utf-8", "surrogatepass")


TOKENS = st.sampled_from(
    [b"{", b"}", b"[", b"]", b'"', b"\\", b":", b",", b" ", b"\n", b"\r", b"\t", b"\x00",
     b"\x7f", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\\u0000", b"\\ud800", b"\\u007f", b"\\\"",
     b'"type"', b'"on"', b'"id"', b'"member"', b'"member.died"', b'"2021-03-01"', b'"m1"',
     b"1", b"-0", b"1e999", b"null", b"true", b"NaN", b"18446744073709551616"]
)  # fmt: skip
TOKEN_SOUP = st.lists(TOKENS, max_size=40).map(b"".join)
"""Bytes made of JSON's own pieces: more of them reach the duplicate-key and depth scans."""

RANDOM_LINES = (
    st.binary(max_size=200)
    | TOKEN_SOUP
    | st.text(st.characters(codec=None), max_size=60)
    | st.lists(
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | WEIRD_TEXT, max_size=8
    ).map("".join)
    | rendered(JSON_VALUES)
    | rendered(st.dictionaries(KEYS, JSON_VALUES, max_size=6))
    | rendered(FACT_SHAPED)
)


# --- valid facts and their mutations ---------------------------------------------------------


def valid_facts(tag: str) -> list[dict[str, Any]]:
    """Valid facts (as JSON) whose ids and new members are unique to ``tag``."""
    person = {"name": "Nguyễn Thị Ánh", "gender": "female", "birth_date": "1960-05-01"}
    return [
        {
            "type": "organization.registered",
            "id": f"{tag}-org",
            "on": "1990-01-01",
            "org": f"o{tag}",
            "name": "Chi bộ số 7",
            "parent": "hp",
            "recorded_at": at("1990-01-01"),
        },
        admitted(f"a{tag}", "c1", "2020-03-01", id=f"{tag}-adm", ref="QĐ 12/2020", note="kết nạp"),
        {
            "type": "organization.count_declared",
            "id": f"{tag}-cnt",
            "on": "2021-01-01",
            "org": "c2",
            "count": 12,
            "recorded_at": at("2021-01-02"),
        },
        fact(
            "transferred_in",
            f"t{tag}",
            "2021-06-01",
            id=f"{tag}-in",
            org="c3",
            from_external="Tỉnh khác",
            person=person,
            youth_union=True,
            occupation="farmer",
            standing="official",
            admitted_on="2001-02-03",
        ),
        fact("badge_awarded", "m1", "2023-01-01", id=f"{tag}-badge", years=30),
        fact("transferred_out", f"a{tag}", "2022-05-01", id=f"{tag}-out", to_org="c2"),
        {
            "type": "fact.retracted",
            "id": f"{tag}-ret",
            "on": "2024-01-01",
            "fact": f"{tag}-cnt",
            "reason": "nhầm số liệu",
            "recorded_at": at("2024-01-01"),
        },
    ]


REQUIRED = {
    "organization.registered": {"type", "on", "org", "name"},
    "member.admitted": {"type", "on", "member", "org", "person", "youth_union", "occupation"},
    "organization.count_declared": {"type", "on", "org", "count"},
    "member.transferred_in": {"type", "on", "member", "org"},
    "member.badge_awarded": {"type", "on", "member", "years"},
    "member.transferred_out": {"type", "on", "member", "to_org"},
    "fact.retracted": {"type", "on", "fact", "reason"},
}
"""The fields the valid facts above cannot lose (to_org: the transfer has no other destination)."""


@dataclass
class Mutant:
    """A mutated fact: its value, a key named twice in its text, and the mutations applied."""

    value: dict[str, Any]
    base_type: str
    duplicate: tuple[str, Any] | None = None
    person_duplicate: tuple[str, Any] | None = None
    wrapped: str | None = None  # "dict" or "text": inside a rejects-file line
    steps: tuple[str, ...] = ()

    def text(self, *, ascii_only: bool, spaced: bool) -> str:
        """The JSON line, with the duplicate keys written in by hand."""
        value = self.value

        def obj(items: dict[str, Any], dup: tuple[str, Any] | None) -> str:
            sep, colon = (", ", ": ") if spaced else (",", ":")
            parts = [
                f"{dumps(k, ascii_only=ascii_only)}{colon}"
                + (
                    obj(v, self.person_duplicate)
                    if k == "person" and isinstance(v, dict) and items is value
                    else dumps(v, ascii_only=ascii_only, spaced=spaced)
                )
                for k, v in items.items()
            ]
            if dup is not None:
                key, dup_value = dup
                parts.insert(0, f"{dumps(key)}{colon}{dumps(dup_value, ascii_only=ascii_only)}")
            return "{" + sep.join(parts) + "}"

        line = obj(value, self.duplicate)
        if self.wrapped is None:
            return line
        inner: Any = line if self.wrapped == "text" else "@FACT@"
        wrapper = {"line": 3, "id": None, "error": "invalid_fact", "message": "m", "fact": inner}
        return dumps(wrapper, ascii_only=ascii_only).replace('"@FACT@"', line)

    def refusal_reason(self) -> str | None:
        """Why the mutant must be refused whatever else it holds, or None when it may pass."""
        value = self.value
        if self.duplicate is not None or self.person_duplicate is not None:
            return "a key named twice"
        if has_control(value):
            return "a control character"
        if unknown := set(value) - set(FIELDS):
            return f"unknown fields {sorted(unknown)}"
        required = REQUIRED[self.base_type] if value.get("type") == self.base_type else set()
        if missing := (required | {"type", "on"}) - set(value):
            return f"missing fields {sorted(missing)}"
        if same(value.get("on"), BAD_DATES) or same(value.get("admitted_on"), BAD_DATES):
            return "a date out of range or malformed"
        if same(value.get("recorded_at"), BAD_INSTANTS):
            return "a recorded_at out of range or malformed"
        if "count" in value and same(value["count"], BAD_COUNTS):
            return "a count out of range or not an integer"
        given = value.get("id")
        if given is not None and (not isinstance(given, str) or not 1 <= len(given) <= 256):
            return "a bad id"
        for name in ("member", "org"):
            if name in value and not bad_free_ledger_id(value[name]):
                return f"a bad {name}"
        for name in ("parent", "to_org"):
            if value.get(name) is not None and not bad_free_ledger_id(value[name]):
                return f"a bad {name}"
        person = value.get("person")
        if isinstance(person, dict):
            if set(person) - set(PERSON_FIELDS):
                return "an unknown person field"
            if same(person.get("birth_date"), BAD_DATES):
                return "a bad birth date"
        return None


def bad_free_ledger_id(value: object) -> bool:
    return isinstance(value, str) and LEDGER_ID.fullmatch(value) is not None


def has_control(value: Any) -> bool:
    """A control character in any key or string, at any depth."""
    if isinstance(value, str):
        return any(c in value for c in CONTROL)
    if isinstance(value, dict):
        return any(has_control(k) or has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_control(v) for v in value)
    return False


def string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every string value (and, ending in ``KEY``, every key) in ``value``."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield (*path, KEY, key)
            yield from string_paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from string_paths(inner, (*path, index))


KEY = object()


def with_control(value: Any, path: tuple[Any, ...], char: str, at_: int) -> Any:
    """``value`` with ``char`` inserted into the string (or key) at ``path``."""
    if not path:
        return value[:at_] + char + value[at_:]
    if path[0] is KEY:
        key = path[1]
        new_key = key[:at_] + char + key[at_:]
        return {(new_key if k == key else k): v for k, v in value.items()}
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = with_control(value[path[0]], path[1:], char, at_)
    return copy


EDGE_FIELDS: dict[str, tuple[object, ...]] = {
    "on": BAD_DATES + EDGE_DATES,
    "admitted_on": BAD_DATES + EDGE_DATES,
    "recorded_at": BAD_INSTANTS + EDGE_INSTANTS,
    "count": BAD_COUNTS + EDGE_COUNTS,
    "id": BAD_IDS + EDGE_IDS,
    "member": BAD_LEDGER_IDS,
    "org": BAD_LEDGER_IDS,
    "parent": BAD_LEDGER_IDS,
    "to_org": BAD_LEDGER_IDS,
}


MUTATIONS = (
    "drop", "set", "unknown", "duplicate", "control", "edge", "birth", "person", "wrap",
    "shift", "shift", "retarget", "retarget", "type",
)  # fmt: skip
"""Kinds of mutation: the last ones keep the fact well-formed, for the rules to judge."""
DAYS = st.dates(date(1900, 1, 1), date(2026, 12, 31)) | st.dates(ft.FIRST_DAY, ft.LAST_DAY)
INSTANTS = st.builds(
    lambda day, hour, offset: f"{day.isoformat()}T{hour:02d}:00:00{offset}",
    DAYS,
    st.integers(0, 23),
    st.sampled_from(["+07:00", "Z", "-12:00", "+14:00", "+05:45"]),
)


def mutate(draw: st.DrawFn, mutant: Mutant, names: tuple[str, ...]) -> None:
    """Apply one hypothesis-chosen mutation to ``mutant`` (``names``: ids worth pointing at)."""
    value = mutant.value
    kind = draw(st.sampled_from(MUTATIONS))
    keys = sorted(value)
    if kind == "shift":
        key = draw(st.sampled_from(["on", "recorded_at", "admitted_on", "birth_date"]))
        if key == "recorded_at":
            value[key] = draw(INSTANTS)
        elif key != "birth_date":
            value[key] = draw(DAYS).isoformat()
        elif isinstance(value.get("person"), dict):
            value["person"] = {**value["person"], key: draw(DAYS).isoformat()}
    elif kind == "retarget":
        key = draw(st.sampled_from(["member", "org", "to_org", "parent", "fact", "id"]))
        value[key] = draw(st.sampled_from(names))
    elif kind == "type":
        value["type"] = draw(st.sampled_from(ft.FACT_TYPES))
    elif kind == "drop" and keys:
        key = draw(st.sampled_from(keys))
        del value[key]
    elif kind == "set":
        key = draw(st.sampled_from(FIELDS))
        value[key] = draw(JSON_VALUES | PLAUSIBLE)
    elif kind == "unknown":
        key = draw(st.sampled_from(UNKNOWN_KEYS))
        value[key] = draw(JSON_VALUES)
    elif kind == "duplicate" and keys:
        key = draw(st.sampled_from(keys))
        mutant.duplicate = (key, value[key] if draw(st.booleans()) else draw(JSON_VALUES))
    elif kind == "control":
        paths = list(string_paths(value))
        if not paths:
            return
        path = draw(st.sampled_from(paths))
        target: Any = value
        for step in path:
            target = target if step is KEY else target[step]
        length = len(path[-1]) if path and path[-2:-1] == (KEY,) else len(target)
        where = draw(st.integers(0, length))
        char = draw(st.sampled_from(CONTROL))
        mutant.value = with_control(value, path, char, where)
    elif kind == "edge":
        key = draw(st.sampled_from(sorted(EDGE_FIELDS)))
        value[key] = draw(st.sampled_from(EDGE_FIELDS[key]))
    elif kind == "birth" and isinstance(value.get("person"), dict):
        person = dict(value["person"])
        person["birth_date"] = draw(st.sampled_from(BAD_DATES + EDGE_DATES))
        value["person"] = person
    elif kind == "person" and isinstance(value.get("person"), dict) and value["person"]:
        person = value["person"]
        key = draw(st.sampled_from(sorted(person)))
        mutant.person_duplicate = (key, draw(JSON_VALUES | st.just(person[key])))
    elif kind == "wrap":
        mutant.wrapped = draw(st.sampled_from(["dict", "text"]))
    else:
        return
    mutant.steps += (kind,)


@st.composite
def mutants(draw: st.DrawFn, facts: list[dict[str, Any]]) -> Mutant:
    """One of ``facts`` after up to four mutations."""
    names = sorted(
        {"hp", "d1", "d2", "c1", "c2", "c3", "m1", "m1-adm"}
        | {str(f[k]) for f in facts for k in ("id", "member", "org", "fact") if k in f}
    )
    base = draw(st.sampled_from(facts))
    mutant = Mutant(json.loads(json.dumps(base)), base["type"])
    for _ in range(draw(st.integers(0, 4))):
        mutate(draw, mutant, tuple(names))
    if mutant.duplicate is not None and mutant.duplicate[0] not in mutant.value:
        mutant.duplicate = None  # the key was dropped after: no longer named twice
    person = mutant.value.get("person")
    if mutant.person_duplicate is not None and not (
        isinstance(person, dict) and mutant.person_duplicate[0] in person
    ):
        mutant.person_duplicate = None
    return mutant


@st.composite
def mutant_lines(draw: st.DrawFn, facts: list[dict[str, Any]]) -> tuple[str | bytes, Mutant]:
    """A mutant as a line (str or bytes), with the mutant itself."""
    mutant = draw(mutants(facts))
    text = mutant.text(ascii_only=draw(st.booleans()), spaced=draw(st.booleans()))
    text += draw(st.sampled_from(["", "\n", "\r\n"]))
    return (text if draw(st.booleans()) else text.encode("utf-8")), mutant


@st.composite
def byte_mutants(draw: st.DrawFn, facts: list[dict[str, Any]]) -> bytes:
    """A valid fact's line with bytes flipped, cut, repeated or inserted."""
    data = bytearray(dumps(draw(st.sampled_from(facts)), ascii_only=draw(st.booleans())).encode())
    for _ in range(draw(st.integers(1, 4))):
        at_ = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "cut", "repeat", "insert"]))
        if kind == "flip" and at_ < len(data):
            data[at_] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at_ : at_ + draw(st.integers(1, 8))]
        elif kind == "repeat":
            data[at_:at_] = data[at_ : at_ + draw(st.integers(1, 24))]
        else:
            data[at_:at_] = draw(TOKENS)
    return bytes(data)


# --- the parser's contract -------------------------------------------------------------------


def outcome(line: str | bytes) -> ParsedFact | InvalidFact:
    """What the parser makes of ``line``: a fact within the limits, or ``InvalidFact``.

    Any other exception (another refusal included) escapes and fails the test.
    """
    try:
        parsed = parse_line(line)
    except InvalidFact as err:
        assert err.code == "invalid_fact"
        assert isinstance(err.message, str) and err.message
        assert err.fact is None or (isinstance(err.fact, str) and 1 <= len(err.fact) <= 256)
        return err
    assert_within_limits(parsed)
    return parsed


def assert_within_limits(parsed: ParsedFact) -> None:
    """A fact the parser accepted keeps every limit of SPEC §2."""
    assert parsed.type in ft.FACT_TYPES
    assert isinstance(parsed.id, str) and 1 <= len(parsed.id) <= ft.MAX_ID_CHARS
    assert re.fullmatch(r"[0-9a-f]{64}", parsed.digest)
    assert isinstance(parsed.submitted, dict)
    try:
        check_depth_and_text(parsed.submitted)
    except InvalidFact as err:
        raise AssertionError(f"accepted a fact beyond the limits: {err}") from None
    model = parsed.model
    assert ft.FIRST_DAY <= model.on <= ft.LAST_DAY
    if model.recorded_at is not None:
        assert ft.FIRST_DAY <= model.recorded_at.astimezone(UTC).date() <= ft.LAST_DAY
    if getattr(model, "count", None) is not None:
        assert type(model.count) is int and 0 <= model.count <= ft.MAX_COUNT
    assert isinstance(parsed.data(), dict)


@PARSER_SETTINGS
@given(line=RANDOM_LINES)
def test_random_json_text_and_bytes_give_a_fact_or_an_invalid_fact_refusal(
    line: str | bytes,
) -> None:
    outcome(line)


@PARSER_SETTINGS
@given(value=FACT_SHAPED, ascii_only=st.booleans())
def test_random_fact_shaped_objects_give_a_fact_or_an_invalid_fact_refusal(
    value: dict[str, Any], ascii_only: bool
) -> None:
    result = outcome(dumps(value, ascii_only=ascii_only))
    if has_control(value) or not isinstance(value.get("type"), str):
        assert isinstance(result, InvalidFact), value


@PARSER_SETTINGS
@given(line=byte_mutants(valid_facts("p")))
def test_valid_lines_with_bytes_flipped_cut_or_repeated_give_a_fact_or_a_refusal(
    line: bytes,
) -> None:
    outcome(line)


@PARSER_SETTINGS
@given(case=mutant_lines(valid_facts("p")))
def test_mutated_facts_give_a_fact_or_a_refusal_and_known_bad_mutations_are_refused(
    case: tuple[str | bytes, Mutant],
) -> None:
    line, mutant = case
    result = outcome(line)
    reason = mutant.refusal_reason()
    if reason is not None:
        assert isinstance(result, InvalidFact), (
            f"not refused although it has {reason}: {line!r} ({mutant.steps})"
        )


def test_the_valid_facts_and_values_at_the_limits_are_accepted_by_the_parser() -> None:
    for base in valid_facts("p"):
        assert isinstance(outcome(dumps(base)), ParsedFact), base
    count = valid_facts("p")[2]
    for key, values in (
        ("count", EDGE_COUNTS),
        ("id", EDGE_IDS),
        ("on", ("1800-01-01",)),
        ("recorded_at", EDGE_INSTANTS),
    ):
        for edge in values:
            changed = {**count, key: edge}
            assert isinstance(outcome(dumps(changed, ascii_only=False)), ParsedFact), changed
    transfer = valid_facts("p")[3]
    changed = {**transfer, "person": {**transfer["person"], "birth_date": "9999-12-30"}}
    assert isinstance(outcome(dumps(changed)), ParsedFact)


@pytest.mark.parametrize("value", BAD_COUNTS)
def test_every_bad_count_is_refused_as_invalid_fact(value: object) -> None:
    count = valid_facts("p")[2]
    text = dumps({**count, "count": value})
    assert isinstance(outcome(text), InvalidFact), text


def test_each_known_bad_value_of_a_field_is_refused_as_invalid_fact() -> None:
    admission = valid_facts("p")[1]
    for key, values in EDGE_FIELDS.items():
        for bad in values:
            mutant = Mutant({**admission, key: bad}, admission["type"])
            if mutant.refusal_reason() is None:
                continue  # a value at the limits, or a field the admission may not hold
            for ascii_only in (True, False):
                text = mutant.text(ascii_only=ascii_only, spaced=False)
                assert isinstance(outcome(text), InvalidFact), text


COUNT = valid_facts("p")[2]
HAND_WRITTEN: dict[str, str] = {
    "member named twice": '{"member":"x",' + dumps(admitted("m9", "c1", "2020-01-01"))[1:],
    "type named twice, same value": '{"type":"member.died",'
    + dumps(fact("died", "m1", "2021-01-01"))[1:],
    "on named twice at the end": dumps(fact("died", "m1", "2021-01-01"))[:-1]
    + ',"on":"2021-01-01"}',
    "person.gender named twice": dumps(admitted("m9", "c1", "2020-01-01")).replace(
        '"person":{', '"person":{"gender":"male",'
    ),
    "escaped U+0000 in a note": dumps(fact("died", "m1", "2021-01-01", note="a\u0000b")),
    "literal DEL in a note": dumps(
        fact("died", "m1", "2021-01-01", note="a\x7fb"), ascii_only=False
    ),
    "escaped DEL in a note": dumps(fact("died", "m1", "2021-01-01", note="a\x7fb")),
    "U+0001 in a key": dumps(fact("died", "m1", "2021-01-01", **{"n\u0001te": "x"})),
    "on 0001-01-01": dumps(fact("died", "m1", "0001-01-01")),
    "on 9999-12-31": dumps(fact("died", "m1", "9999-12-31")),
    "on 1799-12-31": dumps(fact("died", "m1", "1799-12-31")),
    "recorded_at in year 1 ahead of UTC": dumps(
        fact("died", "m1", "2021-01-01", recorded="0001-01-01T00:00:00+07:00")
    ),
    "recorded_at in year 9999 behind UTC": dumps(
        fact("died", "m1", "2021-01-01", recorded="9999-12-31T23:00:00-07:00")
    ),
    "id of 257 characters": dumps(fact("died", "m1", "2021-01-01", id="i" * 257)),
    "count 10,000,001": dumps({**COUNT, "count": 10_000_001}),
    "count 2**63": dumps({**COUNT, "count": 2**63}),
    "count 2**64": dumps({**COUNT, "count": 2**64}),
}


@pytest.mark.parametrize("line", HAND_WRITTEN.values(), ids=HAND_WRITTEN.keys())
def test_hand_written_bad_mutations_are_refused_as_invalid_fact(line: str) -> None:
    for form in (line, line.encode(), line + "\n"):
        result = outcome(form)
        assert isinstance(result, InvalidFact), form
        assert result.code == "invalid_fact"


@PARSER_SETTINGS
@given(depth=st.integers(ft.MAX_DEPTH + 1, 3000), shape=st.sampled_from(["[", "{", "mixed"]))
def test_lines_nested_hundreds_of_levels_deep_are_refused_as_invalid_fact(
    depth: int, shape: str
) -> None:
    openers = {"[": ["["], "{": ['{"a":'], "mixed": ["[", '{"a":']}[shape]
    opening = "".join(openers[i % len(openers)] for i in range(depth))
    closing = "".join("]" if openers[i % len(openers)] == "[" else "}" for i in range(depth))
    died = dumps(fact("died", "m1", "2021-01-01"))
    for line in (
        opening + "1" + closing[::-1],
        died[:-1] + ',"note":' + opening + "null" + closing[::-1] + "}",
        "[" * depth,  # never closed
    ):
        result = outcome(line)
        assert isinstance(result, InvalidFact), line[:80]
        assert "nested" in result.message or "not valid JSON" in result.message


def test_brackets_and_quotes_inside_strings_do_not_count_as_nesting() -> None:
    for note in ("[" * 500, "{" * 300 + "]" * 300, '\\"[[[[[[[[[[[[[[', '"' * 50 + "{[" * 100):
        line = dumps(fact("died", "m1", "2021-01-01", note=note))
        assert isinstance(outcome(line), ParsedFact), line[:80]


@PARSER_SETTINGS
@given(extra=st.integers(1, 5000), form=st.sampled_from(["str", "bytes", "crlf"]))
def test_lines_over_64_kib_are_refused_as_invalid_fact(extra: int, form: str) -> None:
    died = dumps(fact("died", "m1", "2021-01-01"))
    padding = ft.MAX_LINE_BYTES - len(died) + extra
    line = died[:-1] + " " * padding + "}"  # whitespace: valid JSON, only too long
    assert len(line.encode()) == ft.MAX_LINE_BYTES + extra
    data: str | bytes = line if form == "str" else line.encode()
    if form == "crlf":
        data = line.encode() + b"\r\n"
    result = outcome(data)
    assert isinstance(result, InvalidFact)
    assert "longer than" in result.message


def test_a_line_of_exactly_64_kib_is_parsed_and_one_byte_more_is_refused() -> None:
    died = dumps(fact("died", "m1", "2021-01-01"))
    line = died[:-1] + " " * (ft.MAX_LINE_BYTES - len(died)) + "}"
    assert len(line.encode()) == ft.MAX_LINE_BYTES
    assert isinstance(outcome(line), ParsedFact)
    assert isinstance(outcome(line + "\r\n"), ParsedFact)
    assert isinstance(outcome(line + " "), InvalidFact)
    long_note = "ệ" * 2000  # 6,000 bytes of UTF-8, 12,000 escaped: within the limits
    assert isinstance(outcome(dumps(fact("died", "m1", "2021-01-01", note=long_note))), ParsedFact)


# --- the import on both backends -------------------------------------------------------------

_EXAMPLE = itertools.count()


def small_history(ledger: LedgerHarness) -> None:
    """The usual tree and one official member m1 (recorded once per database)."""
    if ledger.app.organization("hp") is not None:
        return
    ledger.tree()
    assert ledger.record(admitted("m1", "c1", "2015-01-05", id="m1-adm")) == "accepted"
    assert ledger.record(fact("probation_completed", "m1", "2016-01-05")) == "accepted"


def good_lines(tag: str) -> list[str | bytes]:
    """Lines that must be accepted: a new org and a member of it, ids unique to ``tag``."""
    org = {
        "type": "organization.registered",
        "id": f"{tag}-good-org",
        "on": "2000-01-01",
        "org": f"g{tag}",
        "name": "Chi bộ tốt",
        "parent": "d2",
        "recorded_at": at("2000-01-01"),
    }
    member = admitted(f"gm{tag}", f"g{tag}", "2019-06-01", id=f"{tag}-good-adm")
    dossier = fact("dossier_recorded", f"gm{tag}", "2019-07-01")  # no id: its digest names it
    return [dumps(org), dumps(member, ascii_only=False).encode(), dumps(dossier) + "\r\n"]


def count_rows(models: ReadModels, table: str) -> int:
    row = models.store.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


def stored_events(app: LedgerApplication, models: ReadModels) -> int:
    return count_rows(models, app.keys.events_table_name)


def answer_every_read(models: ReadModels, clock: Clock, members: list[str]) -> None:
    """Every read command of SPEC §4 answers for hp, now and at the calendar's edges."""
    for known_at in (None, clock.now):
        label = known_at.isoformat() if known_at else "latest"
        for day in (date(2025, 12, 31), ft.FIRST_DAY, ft.LAST_DAY):
            roster = models.roster("hp", as_of=day, known_at=known_at, label=label).model_dump()
            assert roster["count"] == len(roster["members"])
        for year in (2025, 1800, 9999):
            assert (
                models.annual("hp", year=year, known_at=known_at, label=label).model_dump()["org"]
                == "hp"
            )
        for member in members:
            view = models.member(
                member, as_of=date(2025, 12, 31), known_at=known_at, label=label
            ).model_dump()
            assert isinstance(view, dict)
        report = models.quality(
            "hp", as_of=date(2025, 12, 31), known_at=known_at, label=label
        ).model_dump()
        assert report["counts"]["unreadable_history"] == 0, report["findings"]
    assert isinstance(models.badges_due("hp", on=date(2025, 12, 31)).model_dump(), dict)


@dataclass
class ImportCase:
    """The lines of one import and what each is."""

    lines: list[str | bytes]
    good: set[int]  # numbers of the lines that must be accepted
    mutants: dict[int, Mutant]


@st.composite
def import_cases(draw: st.DrawFn, tag: str) -> ImportCase:
    """Bad lines of every kind, good lines with unique ids and a few blank lines, shuffled."""
    facts = valid_facts(tag)
    entries: list[tuple[str, str | bytes, Mutant | None]] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(
            st.sampled_from(["random", "bytes", "mutant", "mutant", "mutant", "fact-shaped"])
        )
        if kind == "random":
            entries.append(("bad", draw(RANDOM_LINES), None))
        elif kind == "bytes":
            entries.append(("bad", draw(byte_mutants(facts)), None))
        elif kind == "fact-shaped":
            entries.append(("bad", draw(rendered(FACT_SHAPED)), None))
        else:
            line, mutant = draw(mutant_lines(facts))
            entries.append(("bad", line, mutant))
    entries += [("good", line, None) for line in good_lines(tag)]
    blanks: list[str | bytes] = draw(st.lists(st.sampled_from(["", " \t", b"\r\n"]), max_size=2))
    entries += [("blank", line, None) for line in blanks]
    order = draw(st.permutations(range(len(entries))))
    # The good lines keep their own order among the others (the member needs its org first).
    goods = iter([i for i, entry in enumerate(entries) if entry[0] == "good"])
    order = [next(goods) if entries[i][0] == "good" else i for i in order]
    case = ImportCase([], set(), {})
    for number, index in enumerate(order, start=1):
        role, text, made_by = entries[index]
        case.lines.append(text)
        if role == "good":
            case.good.add(number)
        if made_by is not None:
            case.mutants[number] = made_by
    return case


def import_and_check(
    app: LedgerApplication, models: ReadModels, lines: list[str | bytes], batch_size: int
) -> dict[int, Refusal]:
    """Import ``lines``; check that each is counted once and nothing refused is stored.

    Returns the refusals by line number.
    """
    # What the parser alone says of each line (it is deterministic).
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if not blank(line)]
    parsed = {n: outcome(line) for n, line in numbered}
    candidate_ids = sorted(
        {p.id for p in parsed.values() if isinstance(p, ParsedFact)}
        | {p.fact for p in parsed.values() if isinstance(p, InvalidFact) and p.fact}
    )
    known_before = app.known_facts(candidate_ids)
    events_before = stored_events(app, models)
    keys_before = count_rows(models, "ledger_facts")
    position_before = app.recorder.max_notification_id() or 0

    summary = import_facts(app, lines, batch_size=batch_size)  # no exception may escape

    for refusal in summary.rejects:
        event(f"refused as {refusal.error}")

    # Every non-blank line is counted once; every refusal names its line and a stable code.
    assert isinstance(summary, ImportSummary)
    assert summary.accepted + summary.duplicates + summary.rejected == len(numbered)
    assert summary.rejected == len(summary.rejects)
    assert all(r.line is not None for r in summary.rejects), summary.rejects
    refused = {r.line: r for r in summary.rejects if r.line is not None}
    assert len(refused) == len(summary.rejects)
    assert set(refused) <= set(parsed)
    for refusal in summary.rejects:
        assert refusal.error in ERRORS, refusal
        assert isinstance(refusal.message, str) and refusal.message, refusal

    # A line the parser refuses is refused as invalid_fact, under the id the parser gave;
    # a line it accepts may be refused by the rules (some of which say invalid_fact too).
    for number, result in parsed.items():
        line = lines[number - 1]
        if isinstance(result, InvalidFact):
            assert number in refused, line
            assert refused[number].error == "invalid_fact", (refused[number], line)
            assert refused[number].id == result.fact, (refused[number], line)
        elif number in refused:
            assert refused[number].id == result.id, (refused[number], line)

    # Exactly the accepted lines were stored: one key row and one event each, nothing more.
    expected_new: dict[str, str] = {}
    for number, result in parsed.items():
        if number not in refused:
            assert isinstance(result, ParsedFact)
            if result.id not in known_before and result.id not in expected_new:
                expected_new[result.id] = result.digest
    assert summary.accepted == len(expected_new)
    assert summary.duplicates == len(parsed) - len(refused) - len(expected_new)
    known_after = app.known_facts(candidate_ids)
    assert set(known_after) == set(known_before) | set(expected_new)
    for fact_id, digest in expected_new.items():
        assert known_after[fact_id].digest == digest
    stored_by_others = set(known_before) | set(expected_new)
    for number in refused:
        result = parsed[number]
        refused_id = result.id if isinstance(result, ParsedFact) else result.fact
        if refused_id is not None and refused_id not in stored_by_others:
            assert refused_id not in known_after, lines[number - 1]
    assert count_rows(models, "ledger_facts") - keys_before == summary.accepted
    assert stored_events(app, models) - events_before == summary.accepted
    assert (app.recorder.max_notification_id() or 0) - position_before == summary.accepted
    return refused


@DATABASE_SETTINGS
@given(data=st.data(), batch_size=st.sampled_from([1, 3, 5000]))
def test_an_import_of_fuzzed_lines_refuses_each_bad_line_stores_nothing_of_it_and_reads_answer(
    app: LedgerApplication,
    ledger: LedgerHarness,
    clock: Clock,
    models: ReadModels,
    data: st.DataObject,
    batch_size: int,
) -> None:
    small_history(ledger)
    tag = f"z{next(_EXAMPLE):06d}"  # one width: what hypothesis draws must not depend on it
    case = data.draw(import_cases(tag), label="import")

    refused = import_and_check(app, models, case.lines, batch_size)

    for number in case.good:
        assert number not in refused, (refused[number], case.lines[number - 1])
    for number, mutant in case.mutants.items():
        if (reason := mutant.refusal_reason()) is not None:
            assert number in refused, (reason, case.lines[number - 1])
            assert refused[number].error == "invalid_fact", (reason, case.lines[number - 1])
    passed = [n for n, line in enumerate(case.lines, 1) if not blank(line) and n not in refused]
    event(f"bad lines accepted: {len(passed) > len(case.good)}")

    # Every read still answers, and the good lines are seen.
    answer_every_read(models, clock, ["m1", f"gm{tag}", f"a{tag}", f"t{tag}", "nobody"])
    roster = models.roster(
        f"g{tag}", as_of=date(2025, 12, 31), known_at=None, label="t"
    ).model_dump()
    assert [m["member"] for m in roster["members"]] == [f"gm{tag}"]


@settings(DATABASE_SETTINGS, max_examples=20)
@given(lines=st.lists(RANDOM_LINES, min_size=1, max_size=12))
def test_an_import_of_random_lines_alone_stores_nothing_refused_and_reads_answer(
    app: LedgerApplication,
    ledger: LedgerHarness,
    clock: Clock,
    models: ReadModels,
    lines: list[str | bytes],
) -> None:
    small_history(ledger)
    import_and_check(app, models, lines, batch_size=5000)
    answer_every_read(models, clock, ["m1", "nobody"])


def blank(line: str | bytes) -> bool:
    """A line the import skips: JSON whitespace only (SPEC §5 counts every other line)."""
    return not (line.strip(b" \t\r\n") if isinstance(line, bytes) else line.strip(" \t\r\n"))


def test_a_line_of_other_whitespace_is_refused_not_skipped(app: LedgerApplication) -> None:
    summary = import_facts(app, [b"\x0b", "\u2028", b" \t\r\n", b"\x0c\n"])
    assert (summary.accepted, summary.rejected) == (0, 3)
    assert [r.line for r in summary.rejects] == [1, 2, 4]
    assert {r.error for r in summary.rejects} == {"invalid_fact"}
