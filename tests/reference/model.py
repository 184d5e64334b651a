"""A plain reference ledger, written from SPEC.md and docs/decisions.md only.

It keeps every accepted fact in a list and re-derives everything it needs by replaying
facts from scratch: a member's timeline for each new member fact or retraction, every
member's timeline for a dissolution. It is meant to be read, not to be fast.

``ReferenceLedger.submit(fact, now)`` answers ``"accepted"``, ``"duplicate"`` or an error code.
Where the spec and the decisions leave the choice between two codes open, the other
acceptable codes are in ``last_alternatives`` after the call.
``ReferenceLedger.member_view(member, as_of, known_at)`` answers the member JSON of SPEC §4
(without ``known_at``).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

# --- vocabulary (SPEC §2) -------------------------------------------------------------------

OCCUPATIONS = (
    "enterprise",
    "student",
    "contract_or_freelance",
    "farmer",
    "civil_servant",
    "armed_forces",
    "teacher_or_health",
    "retired",
    "other",
)
MILESTONES = (30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)
ORG_TYPES = (
    "organization.registered",
    "organization.renamed",
    "organization.dissolved",
    "organization.count_declared",
)
RETRACTED = "fact.retracted"
EXIT_STATUS = {"member.expelled": "expelled", "member.removed": "removed"}
EXIT_STATUS["member.resigned"] = "resigned"


# --- calendar arithmetic (SPEC §1) ----------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day + months``, the day of month clamped to the last day of the target month."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def whole_years(start: date, end: date) -> int:
    """The largest N with start + N years <= end (0 when end is before start)."""
    n = 0
    while add_years(start, n + 1) <= end:
        n += 1
    return n


# --- the interchange format (SPEC §2) --------------------------------------------------------

_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and 1 <= len(v) <= 2000


def _is_id(v: Any) -> bool:
    return isinstance(v, str) and _ID_RE.fullmatch(v) is not None


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_date(v: Any) -> bool:
    if not isinstance(v, str) or _DATE_RE.fullmatch(v) is None:
        return False
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


def parse_instant(v: str) -> datetime:
    return datetime.fromisoformat(v.replace("Z", "+00:00"))


def _is_instant(v: Any) -> bool:
    if not isinstance(v, str) or "T" not in v:
        return False
    try:
        parsed = parse_instant(v)
    except ValueError:
        return False
    return parsed.tzinfo is not None and parsed.utcoffset() is not None


def _is_person(v: Any) -> bool:
    if not isinstance(v, dict) or not set(v) <= {"name", "gender", "birth_date"}:
        return False
    if not _is_text(v.get("name")) or v.get("gender") not in ("female", "male"):
        return False
    return v.get("birth_date") is None or _is_date(v["birth_date"])


def _is_occupation(v: Any) -> bool:
    return isinstance(v, str) and v in OCCUPATIONS


def _is_standing(v: Any) -> bool:
    return v in ("probationary", "official") and isinstance(v, str)


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_milestone(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v in MILESTONES


def _nullable(check: Any) -> Any:
    return lambda v: v is None or check(v)


# For each type: (required fields, optional fields), each a name -> check.
_COMMON_OPTIONAL = {
    "id": _nullable(_is_text),
    "recorded_at": _nullable(_is_instant),
    "ref": _nullable(_is_text),
    "note": _nullable(_is_text),
}
_MEMBER = {"member": _is_id}
SCHEMA: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "organization.registered": ({"org": _is_id, "name": _is_text}, {"parent": _nullable(_is_id)}),
    "organization.renamed": ({"org": _is_id, "name": _is_text}, {}),
    "organization.dissolved": ({"org": _is_id}, {}),
    "organization.count_declared": ({"org": _is_id, "count": _is_count}, {}),
    "member.admitted": (
        {
            **_MEMBER,
            "org": _is_id,
            "person": _is_person,
            "youth_union": _is_bool,
            "occupation": _is_occupation,
        },
        {"private_business_owner": _is_bool, "population_policy_violation": _is_bool},
    ),
    "member.probation_completed": (_MEMBER, {}),
    "member.transferred_out": (
        _MEMBER,
        {"to_org": _nullable(_is_id), "to_external": _nullable(_is_text)},
    ),
    "member.transferred_in": (
        {**_MEMBER, "org": _is_id},
        {
            "from_external": _nullable(_is_text),
            "person": _nullable(_is_person),
            "youth_union": _nullable(_is_bool),
            "occupation": _nullable(_is_occupation),
            "standing": _nullable(_is_standing),
            "admitted_on": _nullable(_is_date),
        },
    ),
    "member.badge_awarded": ({**_MEMBER, "years": _is_milestone}, {"early": _is_bool}),
    "member.expelled": (_MEMBER, {}),
    "member.removed": (_MEMBER, {"reason": _nullable(_is_text)}),
    "member.resigned": (_MEMBER, {}),
    "member.died": (_MEMBER, {}),
    "member.dossier_recorded": (_MEMBER, {}),
    "member.went_away": (_MEMBER, {}),
    "member.returned": (_MEMBER, {}),
    "member.exempted": (_MEMBER, {}),
    "member.exemption_ended": (_MEMBER, {}),
    "member.card_issued": (_MEMBER, {"card_no": _nullable(_is_text)}),
    RETRACTED: ({"fact": _is_text, "reason": _is_text}, {}),
}


def schema_problem(raw: Any) -> str | None:
    """Why ``raw`` is not a well-formed fact, or None."""
    if not isinstance(raw, dict):
        return "not an object"
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in SCHEMA:
        return f"unknown type {kind!r}"
    required, optional = SCHEMA[kind]
    allowed = {"type", "on", *required, *optional, *_COMMON_OPTIONAL}
    extra = set(raw) - allowed
    if extra:
        return f"unknown fields {sorted(extra)}"
    if not _is_date(raw.get("on")):
        return "bad or missing on"
    for name, check in required.items():
        if name not in raw or not check(raw[name]):
            return f"bad or missing {name}"
    for name, check in {**optional, **_COMMON_OPTIONAL}.items():
        if name in raw and not check(raw[name]):
            return f"bad {name}"
    if kind == "member.transferred_out" and (raw.get("to_org") is None) == (
        raw.get("to_external") is None
    ):
        return "exactly one of to_org / to_external"
    if (
        kind == "member.transferred_in"
        and raw.get("admitted_on") is not None
        and raw["admitted_on"] > raw["on"]
    ):
        return "admitted_on after on"
    return None


REJECT_KEYS = {"line", "id", "error", "message", "fact"}


def unwrap_line(line: Any) -> Any:
    """A JSON line decoded; a line of a rejects file (decisions.md) stands for its ``fact``."""
    if isinstance(line, (str, bytes)):
        try:
            line = json.loads(line)
        except ValueError:
            return None
    if isinstance(line, dict) and set(line) == REJECT_KEYS:
        return unwrap_line(line["fact"])
    return line


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_digest(raw: dict[str, Any]) -> str:
    without_id = {k: v for k, v in raw.items() if k != "id"}
    return hashlib.sha256(canonical_json(without_id).encode("utf-8")).hexdigest()


def fact_id(raw: dict[str, Any]) -> str:
    """The fact's id: its own, or ``sha256:`` + the digest of its content."""
    if raw.get("id") is not None:
        return str(raw["id"])
    return "sha256:" + content_digest(raw)


# --- stored facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """An accepted fact. ``seq`` is its place in the ledger's acceptance order."""

    id: str
    type: str
    on: date
    recorded_at: datetime
    recorded_at_text: str
    seq: int
    raw: dict[str, Any]
    digest: str
    member: str | None  # the member it belongs to (also for a retraction of a member fact)
    org: str | None  # the org of an organisation fact (also for a retracted count)

    def get(self, name: str) -> Any:
        return self.raw.get(name)


class Refused(Exception):
    def __init__(self, code: str, message: str, alternatives: frozenset[str] = frozenset()):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.alternatives = alternatives


class TimelineBroken(Exception):
    def __init__(self, code: str, fact: Stored, why: str, alternatives: frozenset[str]):
        super().__init__(f"{code}: fact {fact.id} ({fact.type} on {fact.on}): {why}")
        self.code = code
        self.fact = fact
        self.why = why
        self.alternatives = alternatives


# --- one member's state, folded over the timeline (SPEC §3) --------------------------------


@dataclass
class Stay:
    """A period the member is placed in ``org`` (kind placed) or in transit towards it."""

    org: str
    kind: str
    start: date
    end: date | None = None


@dataclass
class MemberState:
    phase: str = "none"  # none, placed, in_transit, away, exited, dead
    exit_status: str | None = None
    standing: str | None = None
    org: str | None = None
    to_org: str | None = None
    probation_start: date | None = None
    first_admission: date | None = None
    gap_days: int = 0
    exit_date: date | None = None
    readmissions: int = 0
    death_date: date | None = None
    death_seq: int | None = None
    badges: set[int] = field(default_factory=set)
    exempt: bool = False
    away: bool = False
    stays: list[Stay] = field(default_factory=list)
    inert: list[str] = field(default_factory=list)

    @property
    def is_member(self) -> bool:
        """Placed in an org of the ledger or in transit between two of them."""
        return self.phase in ("placed", "in_transit")

    def party_age(self, day: date, *, frozen: bool = True) -> int | None:
        if self.first_admission is None:
            return None
        start = self.first_admission + timedelta(days=self.gap_days)
        end = day
        if frozen and self.phase == "exited" and self.exit_date is not None:
            end = min(end, self.exit_date)
        if frozen and self.phase == "dead" and self.death_date is not None:
            end = min(end, self.death_date)
        return whole_years(start, end)

    def open_stay(self, org: str, kind: str, start: date) -> None:
        self.stays.append(Stay(org, kind, start))

    def close_stay(self, end: date) -> None:
        if self.stays and self.stays[-1].end is None:
            self.stays[-1].end = end


def _problem(state: MemberState, f: Stored) -> tuple[str, str, frozenset[str]] | None:
    """Why fact ``f`` cannot apply to ``state``: (code, reason, other acceptable codes)."""
    s = state
    kind = f.type
    none: frozenset[str] = frozenset()
    if kind == "member.admitted":
        if s.phase in ("placed", "in_transit", "away"):
            return "already_member", f"already a member ({s.phase})", none
        if s.phase == "dead":
            return "not_eligible", "the member is dead", none
        birth = (f.get("person") or {}).get("birth_date")
        under_age = birth is not None and add_years(date.fromisoformat(birth), 18) > f.on
        if s.phase == "exited":
            assert s.exit_date is not None
            if s.readmissions >= 1:
                alt = frozenset({"under_age"}) if under_age else none
                return "readmission_limit", "already re-admitted once", alt
            if add_months(s.exit_date, 36) > f.on:
                alt = frozenset({"under_age"}) if under_age else none
                return "not_eligible", f"exited on {s.exit_date}, less than 36 months", alt
        if under_age:
            return "under_age", f"born {birth}", none
        return None
    if kind == "member.probation_completed":
        if not s.is_member:
            return "not_member", f"not a member ({s.phase})", none
        if s.phase == "in_transit":
            alt = frozenset({"conflict"}) if s.standing == "official" else none
            return "in_transit", "in transit", alt
        if s.standing == "official":
            return "conflict", "already official", none
        assert s.probation_start is not None
        if f.on < add_months(s.probation_start, 12):
            return "too_early", f"probation started {s.probation_start}", none
        return None
    if kind == "member.transferred_out":
        if s.phase == "in_transit":
            return "in_transit", "already in transit", none
        if s.phase != "placed":
            return "not_member", f"not a member ({s.phase})", none
        if f.get("to_org") is not None and f.get("to_org") == s.org:
            return "conflict", "transfer to the current org", none
        return None
    if kind == "member.transferred_in":
        if s.phase == "in_transit":
            if f.get("from_external") is not None or f.get("org") != s.to_org:
                return "wrong_destination", f"in transit to {s.to_org}", none
            return None
        if s.phase == "placed":
            return "already_member", "already placed", none
        if s.phase in ("exited", "dead"):
            return "not_member", f"not a member ({s.phase})", none
        if f.get("from_external") is None:
            return "invalid_fact", "from_external is required", none
        if s.phase == "none":
            needed = ("person", "youth_union", "occupation", "standing", "admitted_on")
            missing = [name for name in needed if f.get(name) is None]
            if missing:
                return "invalid_fact", f"missing {missing} for a new member", none
        return None
    if kind == "member.badge_awarded":
        years = f.get("years")
        if years in s.badges:
            return "duplicate_badge", f"{years} already awarded", none
        if s.phase == "none":
            return "not_member", "never admitted", none
        if s.phase == "dead":
            assert s.death_date is not None
            age = s.party_age(add_months(s.death_date, 12), frozen=False)
            assert age is not None
            if age < years:
                return "not_eligible", f"posthumous: party age {age} a year after death", none
            return None
        if s.phase in ("exited", "away"):
            return "not_eligible", f"not a member ({s.phase})", none
        day = f.on
        if f.get("early"):
            day = add_months(f.on, 24 if years >= 70 else 12)
        age = s.party_age(day, frozen=False)
        assert age is not None
        if age < years:
            return "not_eligible", f"party age {age} on {day}", none
        return None
    if kind == "member.expelled":
        if not s.is_member:
            return "not_member", f"not a member ({s.phase})", none
        if s.standing != "official":
            return "not_official", "probationary", none
        return None
    if kind in ("member.removed", "member.resigned", "member.died"):
        if not s.is_member:
            return "not_member", f"not a member ({s.phase})", none
        return None
    if kind == "member.card_issued":
        if not s.is_member:
            return "not_member", f"not a member ({s.phase})", none
        if s.standing != "official":
            return "not_official", "probationary", none
        return None
    if kind in ("member.exempted", "member.went_away"):
        if s.phase == "in_transit":
            return "in_transit", "in transit", none
        if s.phase != "placed":
            return "not_member", f"not a member ({s.phase})", none
        on = s.exempt if kind == "member.exempted" else s.away
        if on:
            return "conflict", "flag already on", none
        return None
    if kind in ("member.exemption_ended", "member.returned"):
        if not s.is_member:
            return "not_member", f"not a member ({s.phase})", none
        on = s.exempt if kind == "member.exemption_ended" else s.away
        if not on:
            return "conflict", "flag not on", none
        return None
    if kind == "member.dossier_recorded":
        if s.phase == "none":
            return "not_member", "never admitted", none
        return None
    raise AssertionError(f"not a member fact: {kind}")


def _apply(state: MemberState, f: Stored) -> None:
    """Apply a valid fact to ``state``."""
    s = state
    kind = f.type
    if kind == "member.admitted":
        if s.phase == "none":
            s.first_admission = f.on
        else:  # re-admission after an exit
            assert s.exit_date is not None
            s.gap_days += (f.on - s.exit_date).days
            s.readmissions += 1
        s.phase, s.exit_status, s.exit_date = "placed", None, None
        s.standing, s.probation_start = "probationary", f.on
        s.org, s.to_org = f.get("org"), None
        s.open_stay(f.get("org"), "placed", f.on)
    elif kind == "member.probation_completed":
        s.standing = "official"
    elif kind == "member.transferred_out":
        s.close_stay(f.on)
        s.exempt = s.away = False
        if f.get("to_org") is not None:
            s.phase, s.to_org = "in_transit", f.get("to_org")
            s.open_stay(f.get("to_org"), "transit", f.on)
        else:
            s.phase = "away"
    elif kind == "member.transferred_in":
        s.close_stay(f.on)
        if s.phase == "none":
            s.first_admission = date.fromisoformat(f.get("admitted_on"))
            s.standing = f.get("standing")
            s.probation_start = s.first_admission
        s.phase, s.org, s.to_org = "placed", f.get("org"), None
        s.open_stay(f.get("org"), "placed", f.on)
    elif kind == "member.badge_awarded":
        s.badges.add(f.get("years"))
    elif kind in EXIT_STATUS:
        s.close_stay(f.on)
        s.phase, s.exit_status, s.exit_date = "exited", EXIT_STATUS[kind], f.on
        s.to_org = None
        s.exempt = s.away = False
    elif kind == "member.died":
        s.close_stay(f.on)
        s.phase, s.death_date, s.death_seq = "dead", f.on, f.seq
        s.to_org = None
        s.exempt = s.away = False
    elif kind == "member.exempted":
        s.exempt = True
    elif kind == "member.exemption_ended":
        s.exempt = False
    elif kind == "member.went_away":
        s.away = True
    elif kind == "member.returned":
        s.away = False


def timeline_order(facts: list[Stored]) -> list[Stored]:
    """A member's facts ordered by (on, recording order)."""
    return sorted(facts, key=lambda f: (f.on, f.seq))


def replay(timeline: list[Stored]) -> MemberState:
    """Fold a member's timeline; raise TimelineBroken at the first fact that breaks a rule.

    A fact dated after a death that was recorded before the death, and that the dead
    member's state refuses, is inert: it stays in the log and changes nothing.
    """
    state = MemberState()
    for f in timeline:
        problem = _problem(state, f)
        if problem is None:
            _apply(state, f)
            continue
        code, why, alternatives = problem
        if state.phase == "dead" and state.death_seq is not None and f.seq < state.death_seq:
            state.inert.append(f.id)
            continue
        raise TimelineBroken(code, f, why, alternatives)
    return state


# --- the ledger ------------------------------------------------------------------------------


class ReferenceLedger:
    """Every accepted fact, in acceptance order; everything else is derived on demand."""

    def __init__(self) -> None:
        self.accepted: list[Stored] = []
        self.by_id: dict[str, Stored] = {}
        self.last_alternatives: frozenset[str] = frozenset()
        self.last_message: str = ""

    # --- the write side ----------------------------------------------------------------------

    def submit(self, fact: Any, now: datetime) -> str:
        """Validate and (when valid) accept one fact; answer its outcome."""
        self.last_alternatives = frozenset()
        self.last_message = ""
        try:
            stored = self._validate(fact, now)
        except Refused as refusal:
            self.last_alternatives = refusal.alternatives
            self.last_message = refusal.message
            return refusal.code
        if stored is None:
            return "duplicate"
        self.accepted.append(stored)
        self.by_id[stored.id] = stored
        return "accepted"

    def _validate(self, raw: Any, now: datetime) -> Stored | None:
        raw = unwrap_line(raw)
        problem = schema_problem(raw)
        if problem is not None:
            raise Refused("invalid_fact", problem)
        fid = fact_id(raw)
        digest = content_digest(raw)
        existing = self.by_id.get(fid)
        if existing is not None:
            if existing.digest == digest:
                return None
            raise Refused("duplicate_fact", f"id {fid} is used by other content")
        on = date.fromisoformat(raw["on"])
        if raw.get("recorded_at") is not None:
            recorded_at = parse_instant(raw["recorded_at"])
            recorded_text = recorded_at.isoformat()
        else:
            recorded_at = now
            recorded_text = now.isoformat()
        if recorded_at > now:
            raise Refused("future_date", "recorded_at after now")
        if on > recorded_at.date():
            raise Refused("future_date", "on after the date of recorded_at")
        kind = raw["type"]
        member = raw.get("member")
        org = raw.get("org") if kind in ORG_TYPES else None
        if kind == RETRACTED:
            target = self.by_id.get(raw["fact"])
            if target is not None:
                member, org = target.member, target.org
        candidate = Stored(
            fid, kind, on, recorded_at, recorded_text, len(self.accepted), raw, digest, member, org
        )
        if kind in ORG_TYPES:
            self._check_org_fact(candidate)
        elif kind == RETRACTED:
            self._check_retraction(candidate)
        else:
            self._check_member_fact(candidate)
        return candidate

    # --- orgs --------------------------------------------------------------------------------

    def _org_facts(self, org: str) -> list[Stored]:
        return [f for f in self.accepted if f.org == org and f.type in ORG_TYPES]

    def registration(self, org: str) -> Stored | None:
        for f in self._org_facts(org):
            if f.type == "organization.registered":
                return f
        return None

    def dissolution(self, org: str) -> date | None:
        for f in self._org_facts(org):
            if f.type == "organization.dissolved":
                return f.on
        return None

    def org_active(self, org: str, day: date) -> bool:
        reg = self.registration(org)
        if reg is None or reg.on > day:
            return False
        dissolved = self.dissolution(org)
        return dissolved is None or day < dissolved

    def _org_ref_problem(self, org: str, day: date) -> tuple[str, str] | None:
        if self.registration(org) is None:
            return "unknown_org", f"org {org} is not registered"
        if not self.org_active(org, day):
            return "org_inactive", f"org {org} is not active on {day}"
        return None

    def _check_org_ref(self, org: str, day: date) -> None:
        problem = self._org_ref_problem(org, day)
        if problem is not None:
            raise Refused(*problem)

    def _check_org_fact(self, f: Stored) -> None:
        org = f.get("org")
        if f.type == "organization.registered":
            if self.registration(org) is not None:
                raise Refused("conflict", f"org {org} is already registered")
            parent = f.get("parent")
            if parent is not None:
                self._check_org_ref(parent, f.on)
                # A new org is open-ended: under a parent dissolved later it would outlive it,
                # which the dissolution rule ("no active child ... and none later") forbids.
                if self.dissolution(parent) is not None:
                    raise Refused("org_inactive", f"parent {parent} is dissolved later")
            return
        if f.type == "organization.dissolved":
            if self.registration(org) is None:
                raise Refused("unknown_org", f"org {org} is not registered")
            # decisions.md: an org is dissolved once; a second dissolution is a conflict,
            # whatever its date.
            if self.dissolution(org) is not None:
                raise Refused("conflict", f"org {org} is already dissolved")
        self._check_org_ref(org, f.on)
        if f.type != "organization.dissolved":
            return
        for child in self._children(org):
            child_end = self.dissolution(child)
            if child_end is None or child_end > f.on:
                raise Refused("conflict", f"child org {child} is active on or after {f.on}")
        for member, stays in self.all_stays().items():
            for stay in stays:
                if stay.org == org and (stay.end is None or stay.end > f.on):
                    raise Refused("conflict", f"member {member} is in {org} ({stay})")

    def _children(self, org: str) -> list[str]:
        return [
            f.get("org")
            for f in self.accepted
            if f.type == "organization.registered" and f.get("parent") == org
        ]

    # --- members -----------------------------------------------------------------------------

    def member_facts(self, member: str) -> list[Stored]:
        """All of a member's accepted facts (retractions of its facts included)."""
        return [f for f in self.accepted if f.member == member]

    def retracted_ids(self, facts: list[Stored]) -> set[str]:
        return {f.get("fact") for f in facts if f.type == RETRACTED}

    def effective_timeline(self, member: str, extra: list[Stored] = ()) -> list[Stored]:
        facts = self.member_facts(member) + list(extra)
        retracted = self.retracted_ids(facts)
        return timeline_order([f for f in facts if f.type != RETRACTED and f.id not in retracted])

    def all_stays(self) -> dict[str, list[Stay]]:
        members = sorted({f.member for f in self.accepted if f.member is not None})
        return {m: replay(self.effective_timeline(m)).stays for m in members}

    def _stays_problem(self, stays: list[Stay]) -> str | None:
        for stay in stays:
            dissolved = self.dissolution(stay.org)
            if dissolved is not None and (stay.end is None or stay.end > dissolved):
                return f"{stay.kind} stay in {stay.org} from {stay.start} outlives {dissolved}"
        return None

    def _check_member_fact(self, f: Stored) -> None:
        member = f.get("member")
        mine = self.member_facts(member)
        org_refs = [f.get("org")] if f.type in ("member.admitted", "member.transferred_in") else []
        if f.type == "member.transferred_out" and f.get("to_org") is not None:
            org_refs = [f.get("to_org")]
        if not mine and f.type not in ("member.admitted", "member.transferred_in"):
            alternatives = {p[0] for o in org_refs if (p := self._org_ref_problem(o, f.on))}
            raise Refused("not_member", f"member {member} is unknown", frozenset(alternatives))
        latest = max((g.recorded_at for g in mine), default=None)
        if latest is not None and f.recorded_at < latest:
            raise Refused("conflict", f"recorded_at before the member's latest fact ({latest})")
        for org in org_refs:
            self._check_org_ref(org, f.on)
        try:
            state = replay(self.effective_timeline(member, [f]))
        except TimelineBroken as broken:
            raise Refused(broken.code, str(broken), broken.alternatives) from None
        problem = self._stays_problem(state.stays)
        if problem is not None:
            raise Refused("org_inactive", problem)

    # --- retractions -------------------------------------------------------------------------

    def _check_retraction(self, f: Stored) -> None:
        target = self.by_id.get(f.get("fact"))
        if target is None:
            raise Refused("unknown_fact", f"no fact {f.get('fact')}")
        if target.type == RETRACTED:
            raise Refused("invalid_fact", "a retraction cannot be retracted")
        if target.type in ORG_TYPES and target.type != "organization.count_declared":
            raise Refused("invalid_fact", f"a {target.type} fact cannot be retracted")
        if any(g.type == RETRACTED and g.get("fact") == target.id for g in self.accepted):
            raise Refused("conflict", f"fact {target.id} is already retracted")
        if target.member is None:
            return
        mine = self.member_facts(target.member)
        latest = max(g.recorded_at for g in mine)
        if f.recorded_at < latest:
            raise Refused("conflict", f"recorded_at before the member's latest fact ({latest})")
        try:
            state = replay(self.effective_timeline(target.member, [f]))
        except TimelineBroken as broken:
            raise Refused("retraction_conflict", str(broken)) from None
        problem = self._stays_problem(state.stays)
        if problem is not None:
            raise Refused("retraction_conflict", problem)

    # --- the member view (SPEC §4) -----------------------------------------------------------

    def member_view(self, member: str, as_of: date, known_at: datetime | None) -> dict[str, Any]:
        """The member JSON of SPEC §4, without ``known_at``."""
        known = [
            f for f in self.member_facts(member) if known_at is None or f.recorded_at <= known_at
        ]
        retracted = self.retracted_ids(known)
        listed = timeline_order([f for f in known if f.type != RETRACTED and f.on <= as_of])
        state = replay([f for f in listed if f.id not in retracted])
        s = state
        status = {
            "none": "not_member",
            "placed": s.standing,
            "in_transit": "in_transit",
            "away": "transferred_away",
            "exited": s.exit_status,
            "dead": "died",
        }[s.phase]
        return {
            "member": member,
            "as_of": as_of.isoformat(),
            "status": status,
            "standing": s.standing if s.phase in ("placed", "in_transit", "away") else None,
            "org": s.org if s.phase != "none" else None,
            "to_org": s.to_org if s.phase == "in_transit" else None,
            "party_age_years": s.party_age(as_of),
            "badges": sorted(s.badges),
            "exempt": s.exempt,
            "away": s.away,
            "facts": [
                {
                    "id": f.id,
                    "type": f.type,
                    "on": f.on.isoformat(),
                    "recorded_at": f.recorded_at_text,
                    "retracted": f.id in retracted,
                    "anomaly": f.id in s.inert,
                }
                for f in listed
            ],
        }
