"""The member lifecycle as a pure function of the member's timeline (SPEC §3).

A member's facts are ordered by (``on``, recording order). Validating a candidate means
inserting it at its place and replaying the whole timeline: every fact must still pass its
rule. The one exception is the late death: facts after a death that were recorded *before*
the death stay in the log but become inert (anomalies) instead of invalidating the timeline.
Nothing here does I/O; the same replay answers "as of D, known at T" for the member view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from ledger import errors
from ledger.dates import add_months, party_age_years
from ledger.facts import (
    ADMITTED,
    BADGE_AWARDED,
    CARD_ISSUED,
    DIED,
    DOSSIER_RECORDED,
    EXEMPTED,
    EXEMPTION_ENDED,
    EXIT_TYPES,
    PROBATION_COMPLETED,
    RETRACTED,
    RETURNED,
    TRANSFERRED_IN,
    TRANSFERRED_OUT,
    WENT_AWAY,
    Fact,
)

NONE = "none"
PLACED = "placed"
IN_TRANSIT = "in_transit"
AWAY = "transferred_away"
EXITED = "exited"
DEAD = "dead"

READMISSION_DELAY_MONTHS = 36
PROBATION_MONTHS = 12
MINIMUM_AGE = 18


class Stay(NamedTuple):
    """An interval during which a member occupies an org: placed in it, or in transit to it."""

    org: str
    kind: str  # "placed" or "incoming"
    start: date
    end: date | None  # exclusive; None while still open


@dataclass
class MemberState:
    """Where a member stands after some prefix of the timeline."""

    phase: str = NONE
    standing: str | None = None
    org: str | None = None
    to_org: str | None = None
    exit_status: str | None = None
    exit_on: date | None = None
    died_on: date | None = None
    first_admission: date | None = None
    gap_days: int = 0
    probation_start: date | None = None
    entry_fact: str | None = None
    admissions: int = 0
    readmissions: int = 0
    badges: dict[int, date] = field(default_factory=dict)
    away_since: date | None = None
    away_fact: str | None = None
    exempt: bool = False
    dossier_on: date | None = None
    since: date | None = None
    transfer_fact: str | None = None
    transfer_on: date | None = None

    @property
    def status(self) -> str:
        """The member status of SPEC §4 (not_member, probationary, official, in_transit…)."""
        if self.phase == NONE:
            return "not_member"
        if self.phase == PLACED:
            return self.standing or "not_member"
        if self.phase == IN_TRANSIT:
            return "in_transit"
        if self.phase == AWAY:
            return AWAY
        if self.phase == DEAD:
            return "died"
        return self.exit_status or "not_member"

    @property
    def is_member(self) -> bool:
        """True while placed in an org of the ledger or in transit between two of them."""
        return self.phase in (PLACED, IN_TRANSIT)

    @property
    def ever_member(self) -> bool:
        """True once the member has been admitted or has arrived."""
        return self.first_admission is not None

    def party_age(self, day: date) -> int | None:
        """Party age in whole years at ``day``; frozen at the exit date after an exit."""
        if self.first_admission is None:
            return None
        end = day
        frozen = self.died_on if self.phase == DEAD else self.exit_on
        if self.phase in (EXITED, DEAD) and frozen is not None and frozen < end:
            end = frozen
        return party_age_years(self.first_admission, self.gap_days, end)

    def unfrozen_party_age(self, day: date) -> int | None:
        """Party age at ``day`` as if no exit had happened (for posthumous badges)."""
        if self.first_admission is None:
            return None
        return party_age_years(self.first_admission, self.gap_days, day)


@dataclass(frozen=True, slots=True)
class Step:
    """One fact of a replayed timeline, with the state it left behind."""

    fact: Fact
    inert: bool
    before: MemberState
    after: MemberState


@dataclass(slots=True)
class Replay:
    """The outcome of replaying a timeline: final state, each step, and the org stays."""

    state: MemberState
    steps: list[Step]
    stays: list[Stay]
    cursor: _Cursor | None = field(default=None, repr=False)

    @property
    def inert_ids(self) -> set[str]:
        """Ids of facts made inert by a death (the anomalies)."""
        return {step.fact.id for step in self.steps if step.inert}


def active_timeline(
    facts: Iterable[Fact],
    *,
    known_at: datetime | None = None,
    as_of: date | None = None,
) -> list[Fact]:
    """The facts in force, in timeline order: known at ``known_at``, not retracted, on <= as_of."""
    known = [f for f in facts if known_at is None or f.recorded_at <= known_at]
    retracted = {f.target for f in known if f.type == RETRACTED}
    active = [
        f
        for f in known
        if f.type != RETRACTED and f.id not in retracted and (as_of is None or f.on <= as_of)
    ]
    active.sort(key=lambda f: (f.on, f.seq))
    return active


class _Cursor:
    """Where a replay stands after its last fact: what continuing it needs."""

    __slots__ = ("death_seq", "last_on", "snapshot", "state", "stays")

    def __init__(self) -> None:
        self.state = MemberState()
        self.stays = _StayTracker()
        self.death_seq: int | None = None
        self.last_on: date | None = None
        self.snapshot: MemberState | None = None  # a frozen copy of ``state``, for steps

    def copy(self) -> _Cursor:
        other = _Cursor()
        other.state = _copy(self.state)
        other.stays = self.stays.copy()
        other.death_seq, other.last_on = self.death_seq, self.last_on
        return other

    def step(self, fact: Fact, steps: list[Step] | None) -> None:
        """Apply the next fact of the timeline, or raise the rule it breaks."""
        state = self.state
        self.last_on = fact.on
        try:
            check(state, fact)
        except errors.LedgerError as err:
            if state.phase == DEAD and self.death_seq is not None and fact.seq < self.death_seq:
                if steps is not None:
                    before = self._snapshot()
                    steps.append(Step(fact, True, before, before))
                return
            err.fact = err.fact or fact.id
            raise
        except _MALFORMED as err:
            raise _unapplicable(fact, err) from err
        before = self._snapshot() if steps is not None else state
        try:
            apply(state, fact)
            self.stays.follow(state, fact)
        except _MALFORMED as err:
            raise _unapplicable(fact, err) from err
        if fact.type == DIED:
            self.death_seq = fact.seq
        if steps is not None:
            # Steps share their frozen states: each step's ``after`` is the next's ``before``.
            self.snapshot = _copy(state)
            steps.append(Step(fact, False, before, self.snapshot))

    def _snapshot(self) -> MemberState:
        if self.snapshot is None:
            self.snapshot = _copy(self.state)
        return self.snapshot

    def outcome(self, steps: list[Step]) -> Replay:
        return Replay(self.state, steps, self.stays.close(), self)


_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)
"""What a rule or an effect raises on a stored fact whose fields are not what they should be
(written under other rules, or altered outside the ledger)."""


def _unapplicable(fact: Fact, err: Exception) -> errors.LedgerError:
    return errors.Conflict(
        f"fact {fact.id} as stored cannot be applied ({type(err).__name__}: {err})", fact=fact.id
    )


def replay(timeline: Sequence[Fact], *, keep_steps: bool = True) -> Replay:
    """Apply ``timeline`` (already in order) from scratch; raise the first broken rule."""
    cursor = _Cursor()
    steps: list[Step] | None = [] if keep_steps else None
    for fact in timeline:
        cursor.step(fact, steps)
    return cursor.outcome(steps or [])


def check_candidate(facts: Sequence[Fact], candidate: Fact, last: Replay | None = None) -> Replay:
    """Validate ``candidate`` against the member's stored ``facts``; return the new replay.

    ``last``, the replay of ``facts`` when known, saves replaying the whole timeline when the
    candidate simply comes last in it (the usual case): the replay goes on from there.
    The recording order (``check_recording_order``) is checked by the caller first.
    """
    cursor = last.cursor if last is not None else None
    try:
        if (
            cursor is not None
            and candidate.type != RETRACTED
            and (cursor.last_on is None or candidate.on >= cursor.last_on)
        ):
            # Its recording position is the highest, so it sorts after every stored fact.
            cursor = cursor.copy()
            cursor.step(candidate, None)
            return cursor.outcome([])
        return replay(active_timeline([*facts, candidate]), keep_steps=False)
    except errors.LedgerError as err:
        if err.fact != candidate.id:
            err.conflicting = err.fact
            err.fact = candidate.id
            err.message = f"with {candidate.id}, fact {err.conflicting} breaks: {err.message}"
            err.args = (err.message,)
        raise


def check_retraction(facts: Sequence[Fact], retraction: Fact) -> Replay:
    """Validate a retraction of one of the member's facts; return the replay without it."""
    target_id = retraction.target
    target = next((f for f in facts if f.id == target_id), None)
    if target is None:
        raise errors.UnknownFact(
            f"fact {target_id} is not a fact of this member", fact=retraction.id
        )
    if target.type == RETRACTED:
        raise errors.InvalidFact(
            f"{target_id} is a retraction; a retraction cannot be retracted", fact=retraction.id
        )
    if any(f.type == RETRACTED and f.target == target_id for f in facts):
        raise errors.Conflict(f"fact {target_id} is already retracted", fact=retraction.id)
    check_recording_order(facts, retraction)
    try:
        return replay(active_timeline([*facts, retraction]), keep_steps=False)
    except errors.LedgerError as err:
        raise errors.RetractionConflict(
            f"without {target_id}, fact {err.fact} breaks: {err.code}: {err.message}",
            fact=retraction.id,
            conflicting=err.fact,
        ) from err


def check_recording_order(facts: Sequence[Fact], candidate: Fact) -> None:
    """A member's facts are recorded with non-decreasing ``recorded_at`` (``conflict``)."""
    if facts:
        last = max(facts, key=lambda f: f.recorded_at)
        if candidate.recorded_at < last.recorded_at:
            raise errors.Conflict(
                f"recorded_at {candidate.recorded_at.isoformat()} is before "
                f"{last.recorded_at.isoformat()} of fact {last.id}; a member's facts are "
                "recorded in non-decreasing order",
                fact=candidate.id,
                conflicting=last.id,
            )


# --- the rules --------------------------------------------------------------------------------


def check(state: MemberState, fact: Fact) -> None:
    """Raise the LedgerError of the first rule ``fact`` breaks when applied to ``state``."""
    rule = _RULES.get(fact.type)
    if rule is None:
        raise errors.InvalidFact(f"{fact.type} is not a member fact", fact=fact.id)
    rule(state, fact)


_STATUS_WORDS = {
    "not_member": "member is not a member",
    "died": "member has died",
    "expelled": "member was expelled",
    "removed": "member was removed",
    "resigned": "member resigned",
    "transferred_away": "member was transferred away",
}


def _where(state: MemberState) -> str:
    words = _STATUS_WORDS.get(state.status, f"member is {state.status}")
    preposition = "from" if state.phase not in (PLACED, IN_TRANSIT) else "in"
    return words + (f" ({preposition} {state.org})" if state.org else "")


def _need_placed(state: MemberState, fact: Fact) -> None:
    if state.phase == IN_TRANSIT:
        raise errors.InTransit(f"member is in transit to {state.to_org}", fact=fact.id)
    if state.phase != PLACED:
        raise errors.NotMember(f"{_where(state)} on {fact.on}", fact=fact.id)


def _need_member(state: MemberState, fact: Fact) -> None:
    if not state.is_member:
        raise errors.NotMember(f"{_where(state)} on {fact.on}", fact=fact.id)


def _need_official(state: MemberState, fact: Fact) -> None:
    _need_member(state, fact)
    if state.standing != "official":
        raise errors.NotOfficial(f"member is {state.standing} on {fact.on}", fact=fact.id)


def _check_admitted(state: MemberState, fact: Fact) -> None:
    if state.is_member or state.phase == AWAY:
        raise errors.AlreadyMember(f"{_where(state)} on {fact.on}", fact=fact.id)
    if state.phase == DEAD:
        raise errors.NotEligible(f"member died on {state.died_on}", fact=fact.id)
    if state.phase == EXITED:
        if state.readmissions >= 1:
            raise errors.ReadmissionLimit(
                "member was already re-admitted once; a member is re-admitted at most once",
                fact=fact.id,
            )
        assert state.exit_on is not None
        earliest = add_months(state.exit_on, READMISSION_DELAY_MONTHS)
        if fact.on < earliest:
            raise errors.NotEligible(
                f"member {state.exit_status} on {state.exit_on}; re-admission possible from "
                f"{earliest}",
                fact=fact.id,
            )
    birth = _birth_date(fact)
    if birth is not None and add_months(birth, 12 * MINIMUM_AGE) > fact.on:
        raise errors.UnderAge(f"born {birth}, under {MINIMUM_AGE} on {fact.on}", fact=fact.id)


def _check_probation_completed(state: MemberState, fact: Fact) -> None:
    _need_placed(state, fact)
    if state.standing != "probationary":
        raise errors.Conflict(f"member is already {state.standing}", fact=fact.id)
    assert state.probation_start is not None
    earliest = add_months(state.probation_start, PROBATION_MONTHS)
    if fact.on < earliest:
        raise errors.TooEarly(
            f"probation started {state.probation_start}; it can be completed from {earliest}",
            fact=fact.id,
        )


def _check_transferred_out(state: MemberState, fact: Fact) -> None:
    _need_placed(state, fact)
    to_org = fact.data.get("to_org")
    if to_org is not None and to_org == state.org:
        raise errors.Conflict(f"member is already in {to_org}", fact=fact.id)


def _check_transferred_in(state: MemberState, fact: Fact) -> None:
    origin = fact.data.get("from_external")
    if state.phase == PLACED:
        raise errors.AlreadyMember(f"{_where(state)} on {fact.on}", fact=fact.id)
    if state.phase == IN_TRANSIT:
        if origin is not None or fact.data.get("org") != state.to_org:
            raise errors.WrongDestination(
                f"member was transferred out of {state.org} to {state.to_org} "
                f"(fact {state.transfer_fact})",
                fact=fact.id,
                conflicting=state.transfer_fact,
            )
        return
    if state.phase in (EXITED, DEAD):
        raise errors.NotMember(f"{_where(state)} on {fact.on}", fact=fact.id)
    if origin is None:
        raise errors.InvalidFact(
            "from_external is required for a member arriving from outside the ledger",
            fact=fact.id,
        )
    if state.phase == NONE:
        missing = [
            name
            for name in ("person", "youth_union", "occupation", "standing", "admitted_on")
            if fact.data.get(name) is None
        ]
        if missing:
            raise errors.InvalidFact(
                "a member unknown to the ledger arriving from outside needs " + ", ".join(missing),
                fact=fact.id,
            )


def _check_expelled(state: MemberState, fact: Fact) -> None:
    _need_official(state, fact)


def _check_exit(state: MemberState, fact: Fact) -> None:
    _need_member(state, fact)


def _check_badge(state: MemberState, fact: Fact) -> None:
    years = int(fact.data["years"])
    if years in state.badges:
        raise errors.DuplicateBadge(
            f"the {years}-year badge was awarded on {state.badges[years]}", fact=fact.id
        )
    if state.phase == NONE:
        raise errors.NotMember(f"member is not a member on {fact.on}", fact=fact.id)
    if state.phase == DEAD:
        assert state.died_on is not None
        age = state.unfrozen_party_age(add_months(state.died_on, 12))
        if age is None or age < years:
            raise errors.NotEligible(
                f"posthumous {years}-year badge needs party age {years} at 12 months after the "
                f"death on {state.died_on}; it would be {age}",
                fact=fact.id,
            )
        return
    if not state.is_member:
        raise errors.NotEligible(f"{_where(state)} on {fact.on}", fact=fact.id)
    if fact.data.get("early"):
        horizon = add_months(fact.on, 24 if years >= 70 else 12)
        age = state.party_age(horizon)
        if age is None or age < years:
            raise errors.NotEligible(
                f"early {years}-year badge needs party age {years} by {horizon}; it is {age}",
                fact=fact.id,
            )
        return
    age = state.party_age(fact.on)
    if age is None or age < years:
        raise errors.NotEligible(
            f"{years}-year badge needs party age {years} on {fact.on}; it is {age}", fact=fact.id
        )


def _check_dossier(state: MemberState, fact: Fact) -> None:
    if not state.ever_member:
        raise errors.NotMember(f"member is not a member on {fact.on}", fact=fact.id)


def _check_card(state: MemberState, fact: Fact) -> None:
    _need_official(state, fact)


def _check_flag_on(state: MemberState, fact: Fact) -> None:
    _need_placed(state, fact)
    on = state.away_since is not None if fact.type == WENT_AWAY else state.exempt
    if on:
        raise errors.Conflict(f"member is already {_flag_name(fact.type)}", fact=fact.id)


def _check_flag_off(state: MemberState, fact: Fact) -> None:
    _need_member(state, fact)
    on = state.away_since is not None if fact.type == RETURNED else state.exempt
    if not on:
        raise errors.Conflict(f"member is not {_flag_name(fact.type)}", fact=fact.id)


def _flag_name(fact_type: str) -> str:
    return "away" if fact_type in (WENT_AWAY, RETURNED) else "exempted"


def _birth_date(fact: Fact) -> date | None:
    person = fact.data.get("person") or {}
    value = person.get("birth_date")
    return date.fromisoformat(value) if isinstance(value, str) else value


_RULES = {
    ADMITTED: _check_admitted,
    PROBATION_COMPLETED: _check_probation_completed,
    TRANSFERRED_OUT: _check_transferred_out,
    TRANSFERRED_IN: _check_transferred_in,
    BADGE_AWARDED: _check_badge,
    "member.expelled": _check_expelled,
    "member.removed": _check_exit,
    "member.resigned": _check_exit,
    DIED: _check_exit,
    DOSSIER_RECORDED: _check_dossier,
    WENT_AWAY: _check_flag_on,
    EXEMPTED: _check_flag_on,
    RETURNED: _check_flag_off,
    EXEMPTION_ENDED: _check_flag_off,
    CARD_ISSUED: _check_card,
}


# --- applying a valid fact --------------------------------------------------------------------


def apply(state: MemberState, fact: Fact) -> None:
    """Move ``state`` on by ``fact``, which ``check`` has accepted."""
    kind = fact.type
    data = fact.data
    if kind == ADMITTED:
        if state.phase == EXITED and state.exit_on is not None:
            state.gap_days += (fact.on - state.exit_on).days
            state.readmissions += 1
        if state.first_admission is None:
            state.first_admission = fact.on
        state.admissions += 1
        state.phase, state.standing, state.org = PLACED, "probationary", str(data["org"])
        state.exit_status = state.exit_on = None
        state.probation_start, state.entry_fact, state.since = fact.on, fact.id, fact.on
    elif kind == PROBATION_COMPLETED:
        state.standing, state.since = "official", fact.on
    elif kind == TRANSFERRED_OUT:
        _clear_flags(state)
        state.transfer_fact, state.transfer_on, state.since = fact.id, fact.on, fact.on
        to_org = data.get("to_org")
        if to_org is not None:
            state.phase, state.to_org = IN_TRANSIT, str(to_org)
        else:
            state.phase, state.to_org = AWAY, None
    elif kind == TRANSFERRED_IN:
        if state.phase == NONE:
            admitted_on = _as_date(data["admitted_on"])
            state.first_admission = admitted_on
            state.standing = str(data["standing"])
            if state.standing == "probationary":
                state.probation_start, state.entry_fact = admitted_on, fact.id
        state.phase, state.org, state.to_org, state.since = PLACED, str(data["org"]), None, fact.on
        state.transfer_fact = state.transfer_on = None
    elif kind in EXIT_TYPES:
        _clear_flags(state)
        state.phase, state.exit_status, state.exit_on, state.to_org = (
            EXITED,
            EXIT_TYPES[kind],
            fact.on,
            None,
        )
    elif kind == DIED:
        _clear_flags(state)
        state.phase, state.died_on, state.to_org = DEAD, fact.on, None
    elif kind == BADGE_AWARDED:
        state.badges[int(data["years"])] = fact.on
    elif kind == DOSSIER_RECORDED:
        state.dossier_on = state.dossier_on or fact.on
    elif kind == WENT_AWAY:
        state.away_since, state.away_fact = fact.on, fact.id
    elif kind == RETURNED:
        state.away_since = state.away_fact = None
    elif kind == EXEMPTED:
        state.exempt = True
    elif kind == EXEMPTION_ENDED:
        state.exempt = False


def _clear_flags(state: MemberState) -> None:
    state.away_since = state.away_fact = None
    state.exempt = False


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _copy(state: MemberState) -> MemberState:
    # A plain __dict__ copy: replays copy the state once per fact, so this is a hot path.
    copy = object.__new__(MemberState)
    copy.__dict__ = state.__dict__.copy()
    copy.badges = dict(state.badges)
    return copy


class _StayTracker:
    """Follows which org a member occupies, to check it against the orgs' dissolutions."""

    def __init__(self) -> None:
        self.closed: list[Stay] = []
        self.open: dict[tuple[str, str], date] = {}

    def follow(self, after: MemberState, fact: Fact) -> None:
        wanted: set[tuple[str, str]] = set()
        if after.phase == PLACED and after.org:
            wanted.add((after.org, "placed"))
        if after.phase == IN_TRANSIT and after.to_org:
            wanted.add((after.to_org, "incoming"))
        for key in list(self.open):
            if key not in wanted:
                self.closed.append(Stay(key[0], key[1], self.open.pop(key), fact.on))
        for key in wanted:
            self.open.setdefault(key, fact.on)

    def copy(self) -> _StayTracker:
        other = _StayTracker()
        other.closed, other.open = list(self.closed), dict(self.open)
        return other

    def close(self) -> list[Stay]:
        return [*self.closed, *(Stay(o, k, start, None) for (o, k), start in self.open.items())]
