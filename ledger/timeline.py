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

from ledger import errors
from ledger.facts import DIED, RETRACTED, Fact
from ledger.rules import apply, check, retraction_target
from ledger.state import (
    AWAY,
    DEAD,
    EXITED,
    IN_TRANSIT,
    NONE,
    PLACED,
    MemberState,
    Stay,
    copy_state,
)

__all__ = [  # the state's names, for the modules that replay timelines
    "AWAY",
    "DEAD",
    "EXITED",
    "IN_TRANSIT",
    "NONE",
    "PLACED",
    "MemberState",
    "Replay",
    "Stay",
    "Step",
    "active_timeline",
    "check_candidate",
    "check_recording_order",
    "check_retraction",
    "replay",
]


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
        other.state = copy_state(self.state)
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
            self.snapshot = copy_state(state)
            steps.append(Step(fact, False, before, self.snapshot))

    def _snapshot(self) -> MemberState:
        if self.snapshot is None:
            self.snapshot = copy_state(self.state)
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
    target_id = retraction_target(facts, retraction, "this member").id
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
