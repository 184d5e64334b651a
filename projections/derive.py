"""What one member's timeline contributes to each read model: a pure function of its facts.

The runner calls ``derive`` after each of the member's facts, on the facts known so far, and
writes the difference with the previous result as a new knowledge version: rows that
disappeared are closed (``known_to``), new rows are opened (``known_from``). Rows therefore
never change in place, and "as of D, known at T" is a range query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import orjson

from ledger import facts as ft
from ledger.errors import LedgerError
from ledger.facts import BADGE_MILESTONES, Fact
from ledger.timeline import (
    DEAD,
    EXITED,
    IN_TRANSIT,
    PLACED,
    MemberState,
    Step,
    active_timeline,
    replay,
)
from projections.store import OPEN_DAY

Row = tuple[object, ...]
PathOf = Callable[[str], str]

COUNTED = {
    ft.ADMITTED,
    ft.PROBATION_COMPLETED,
    ft.TRANSFERRED_IN,
    ft.TRANSFERRED_OUT,
    ft.BADGE_AWARDED,
    ft.EXPELLED,
    ft.REMOVED,
    ft.RESIGNED,
    ft.DIED,
}


@dataclass(frozen=True, slots=True)
class Derived:
    """One member's rows, per read-model table (without member and knowledge columns).

    A history that cannot be derived has no rows but one in ``unreadable`` (quarantine).
    """

    spans: frozenset[Row]
    events: frozenset[Row]
    states: frozenset[Row]
    facts: frozenset[Row]
    unreadable: frozenset[Row] = frozenset()


EMPTY = Derived(frozenset(), frozenset(), frozenset(), frozenset())
UNDECODABLE = "(undecodable event)"
"""The type of the placeholder fact that stands for a stored event that cannot be decoded."""
DETAIL_CHARS = 500
"""How much of the reason a quarantine row keeps."""


class _Unplaceable(Exception):
    """A fact names an org the read models do not know."""

    def __init__(self, fact: str, reason: str) -> None:
        super().__init__(reason)
        self.fact = fact


def common_scope(a: str, b: str) -> str:
    """The path of the smallest org containing both paths (their lowest common ancestor)."""
    parts_a, parts_b = a.strip("/").split("/"), b.strip("/").split("/")
    shared = []
    for x, y in zip(parts_a, parts_b, strict=False):
        if x != y:
            break
        shared.append(x)
    return "/" + "/".join(shared) + "/" if shared else "/"


def scope_of(state: MemberState, path_of: PathOf) -> str | None:
    """The smallest org whose roster holds the member, or None when on no roster."""
    if state.phase == PLACED and state.org:
        return path_of(state.org)
    if state.phase == IN_TRANSIT and state.org and state.to_org:
        return common_scope(path_of(state.org), path_of(state.to_org))
    return None


def derive(facts: Sequence[Fact], path_of: PathOf) -> Derived:
    """The rows of every read model for a member whose known facts are ``facts``.

    Total: a history that the rules cannot replay (written under other rules, or altered
    outside the ledger) is quarantined instead of raising; see ``_quarantined``.
    """
    return derive_versions(facts, [len(facts)], path_of)[0]


def derive_versions(facts: Sequence[Fact], ends: Sequence[int], path_of: PathOf) -> list[Derived]:
    """``derive(facts[:end])`` for each of the ascending ``ends``, sharing the work.

    When the facts after the first end each come last in the timeline (the usual case: later
    facts happen later) and nothing is retracted, every prefix's timeline is a prefix of the
    whole one: one replay serves all the versions.
    """
    if ends and _timeline_grows_by_appending(facts, ends[0]):
        try:
            steps = _placed(replay(active_timeline(facts)).steps, path_of)
        except Exception:  # some version cannot be derived: each is derived on its own
            pass
        else:
            return [_rows(facts[:end], steps[:end]) for end in ends]
    return [_version(facts[:end], path_of) for end in ends]


def _version(facts: Sequence[Fact], path_of: PathOf) -> Derived:
    try:
        return _rows(facts, _placed(replay(active_timeline(facts)).steps, path_of))
    except Exception as err:  # the read side never raises on what the log holds
        return _quarantined(facts, err, path_of)


def _quarantined(facts: Sequence[Fact], err: Exception, path_of: PathOf) -> Derived:
    """The rows of a history that cannot be derived: none, and one saying why.

    The rules ran when each fact was recorded, so this happens only to a history written
    under other rules or altered outside the ledger. Its member is left out of every report
    (counting part of a history no rule accepts would be worse) until a retraction mends it;
    the quality report lists it as ``unreadable_history``.
    """
    culprit = getattr(err, "fact", None)
    if not isinstance(culprit, str):
        culprit = facts[-1].id if facts else None
    placeholder = next((f for f in facts if f.id == culprit and f.type == UNDECODABLE), None)
    if placeholder is not None:
        reason = f"the stored event cannot be decoded: {placeholder.data['reason']}"
    elif isinstance(err, LedgerError):
        reason = f"{err.code}: {err.message}"
    else:
        reason = f"{type(err).__name__}: {err}"
    org, scope = None, None
    for fact in reversed(facts):  # the org the member was last placed in, as far as known
        named = fact.data.get("org") if isinstance(fact.data, dict) else None
        if isinstance(named, str):
            try:
                org, scope = named, path_of(named)
                break
            except LookupError:
                continue
    row = (culprit, org, scope, readable_text(reason)[:DETAIL_CHARS])
    return Derived(frozenset(), frozenset(), frozenset(), frozenset(), frozenset({row}))


def readable_text(text: str) -> str:
    """``text`` with control characters replaced, for a read-model column and a message."""
    return ft.CONTROL_CHARACTER.sub("\ufffd", text)


def _timeline_grows_by_appending(facts: Sequence[Fact], start: int) -> bool:
    if any(f.type == ft.RETRACTED for f in facts):
        return False
    latest = max((f.on for f in facts[:start]), default=None)
    for fact in facts[start:]:
        if latest is not None and fact.on < latest:
            return False
        latest = fact.on
    return True


class _Placed:
    """A replayed step with the member's roster scope before and after it.

    Versions that share a step share its ``_Placed``, so the parts of its rows that do not
    depend on the version are built once, on first use.
    """

    __slots__ = ("after", "before", "day", "event", "fact", "position", "state", "step")

    def __init__(self, step: Step, before: str | None, after: str | None) -> None:
        self.step, self.before, self.after = step, before, after
        self.day = step.fact.on.isoformat()  # ISO dates sort as the dates do
        self.position: Row | bool | None = False  # False: not built yet
        self.event: Row | None = None
        self.state: Row | None = None
        self.fact: tuple[Row, Row] | None = None

    def span_position(self) -> Row | None:
        """Where the step leaves the member on the roster (None: on no roster)."""
        if self.position is False:
            state = self.step.after
            self.position = (
                None
                if self.after is None
                else (self.after, state.org, state.to_org, state.status, _iso(state.since))
            )
        return self.position  # type: ignore[return-value]

    def state_row(self) -> Row:
        """The member-view columns of the state after the step."""
        if self.state is None:
            self.state = _state_columns(self.step.after)
        return self.state

    def event_row(self, before: str | None) -> Row:
        """The counted fact's columns (without the dossier date); ``before`` is its scope."""
        if self.event is None:
            step = self.step
            fact, data = step.fact, step.fact.data
            person = data.get("person") or {}
            admitted = fact.type == ft.ADMITTED
            self.event = (
                fact.id,
                fact.type,
                fact.on.isoformat(),
                before,
                self.after,
                int(admitted and step.after.readmissions > step.before.readmissions),
                int(admitted and person.get("gender") == "female"),
                int(admitted and bool(data.get("youth_union"))),
                int(admitted and bool(data.get("private_business_owner"))),
                int(admitted and bool(data.get("population_policy_violation"))),
                data.get("occupation") if admitted else None,
                int(data["years"]) if fact.type == ft.BADGE_AWARDED else None,
            )
        return self.event

    def fact_row(self, retracted: bool) -> Row:
        """The fact's row in ``rm_facts``."""
        if self.fact is None:
            step = self.step
            head, tail = _fact_columns(step.fact)
            where = (int(step.inert), step.after.org or step.before.org, self.before, self.after)
            self.fact = head, where + tail
        head, tail = self.fact
        return (*head, int(retracted), *tail)


def _placed(steps: Sequence[Step], path_of: PathOf) -> list[_Placed]:
    placed = []
    for s in steps:
        try:
            placed.append(_Placed(s, scope_of(s.before, path_of), scope_of(s.after, path_of)))
        except LookupError as err:
            raise _Unplaceable(s.fact.id, str(err)) from err
    return placed


def _rows(facts: Sequence[Fact], placed: Sequence[_Placed]) -> Derived:
    active = [p for p in placed if not p.step.inert]
    dossier_on = min(
        (p.step.fact.on for p in active if p.step.fact.type == ft.DOSSIER_RECORDED), default=None
    )
    dossier = dossier_on.isoformat() if dossier_on else OPEN_DAY
    return Derived(
        spans=frozenset(_spans(active, dossier)),
        events=frozenset(_events(active, dossier)),
        states=frozenset(_states(active)),
        facts=frozenset(_fact_rows(facts, placed)),
    )


def _spans(placed: Sequence[_Placed], dossier: str) -> list[Row]:
    rows: list[Row] = []
    current: Row | None = None
    start: str | None = None
    for item in placed:
        on = item.day
        position = item.span_position()
        if position == current:
            continue
        if current is not None and start is not None and start < on:
            rows.append((*current, dossier, start, on))
        current, start = position, on
    if current is not None and start is not None:
        rows.append((*current, dossier, start, OPEN_DAY))
    return rows


def _events(placed: Sequence[_Placed], dossier: str) -> list[Row]:
    rows: list[Row] = []
    scope_before_death: str | None = None
    for item in placed:
        step = item.step
        if step.fact.type not in COUNTED:
            continue
        before = scope_before_death if step.before.phase == DEAD else item.before
        if step.fact.type == ft.DIED:
            scope_before_death = before
        rows.append((*item.event_row(before), dossier))
    return rows


def _states(placed: Sequence[_Placed]) -> list[Row]:
    # As of D, every fact dated on or before D applies: keep each day's last state.
    by_day: dict[str, _Placed] = {}
    for item in placed:
        by_day[item.day] = item
    days = sorted(by_day)
    rows: list[Row] = []
    for index, day in enumerate(days):
        until = days[index + 1] if index + 1 < len(days) else OPEN_DAY
        rows.append((*by_day[day].state_row(), day, until))
    return rows


def _state_columns(state: MemberState) -> Row:
    frozen = state.died_on if state.phase == DEAD else state.exit_on
    return (
        *state.view(),
        _iso(state.first_admission),
        state.gap_days,
        _iso(frozen) if state.phase in (EXITED, DEAD) else None,
        orjson.dumps(sorted(state.badges)).decode(),
        int(state.exempt),
        int(state.away_since is not None),
        _iso(state.probation_start) if state.standing == "probationary" else None,
        state.entry_fact if state.standing == "probationary" else None,
        _iso(state.away_since),
        state.away_fact,
        state.transfer_fact if state.phase == IN_TRANSIT else None,
        _iso(state.transfer_on) if state.phase == IN_TRANSIT else None,
        # Party age counts from here (the first admission shifted by the gap days).
        _iso(state.first_admission + timedelta(days=state.gap_days))
        if state.first_admission
        else None,
        badge_mask(state.badges),
    )


_MILESTONE_BITS = {years: 1 << n for n, years in enumerate(BADGE_MILESTONES)}


def badge_mask(badges: Iterable[int]) -> int:
    """The milestones awarded as bits: bit i for ``BADGE_MILESTONES[i]``."""
    mask = 0
    for years in badges:
        mask |= _MILESTONE_BITS.get(years, 0)
    return mask


def _fact_rows(facts: Sequence[Fact], placed: Sequence[_Placed]) -> list[Row]:
    """Each fact with its flags, the member's org, and the roster scopes around it."""
    retracted = {f.target for f in facts if f.type == ft.RETRACTED}
    where = {p.step.fact.id: p for p in placed}
    rows: list[Row] = []
    for f in facts:
        if f.type == ft.RETRACTED:
            continue
        item = where.get(f.id)
        if item is not None:
            rows.append(item.fact_row(f.id in retracted))
        else:  # retracted, so not in the timeline
            head, tail = _fact_columns(f)
            rows.append((*head, int(f.id in retracted), 0, None, None, None, *tail))
    return rows


def _fact_columns(f: Fact) -> tuple[Row, Row]:
    """The columns of a fact's row before its flags, and the last ones."""
    recorded_on = f.recorded_at.date()
    return (
        (f.id, f.type, f.on.isoformat(), f.recorded_at.isoformat(), f.seq),
        (recorded_on.isoformat(), f.recorded_by, (recorded_on - f.on).days),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def row_key(row: Row) -> int:
    """A stable 63-bit key of a row's content, to close exactly that row later."""
    digest = hashlib.blake2b(orjson.dumps(row), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
