"""What one member's timeline contributes to each read model: a pure function of its facts.

The runner calls ``derive`` after each of the member's facts, on the facts known so far, and
writes the difference with the previous result as a new knowledge version: rows that
disappeared are closed (``known_to``), new rows are opened (``known_from``). Rows therefore
never change in place, and "as of D, known at T" is a range query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import orjson

from ledger import facts as ft
from ledger.facts import Fact
from ledger.timeline import (
    DEAD,
    EXITED,
    IN_TRANSIT,
    NONE,
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
    """One member's rows, per read-model table (without member and knowledge columns)."""

    spans: frozenset[Row]
    events: frozenset[Row]
    states: frozenset[Row]
    facts: frozenset[Row]


EMPTY = Derived(frozenset(), frozenset(), frozenset(), frozenset())


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
    """The rows of every read model for a member whose known facts are ``facts``."""
    outcome = replay(active_timeline(facts))
    steps = [s for s in outcome.steps if not s.inert]
    dossier_on = min((s.fact.on for s in steps if s.fact.type == ft.DOSSIER_RECORDED), default=None)
    dossier = dossier_on.isoformat() if dossier_on else OPEN_DAY
    return Derived(
        spans=frozenset(_spans(steps, path_of, dossier)),
        events=frozenset(_events(steps, path_of, dossier)),
        states=frozenset(_states(steps)),
        facts=frozenset(_fact_rows(facts, outcome.steps, path_of)),
    )


def _spans(steps: Sequence[Step], path_of: PathOf, dossier: str) -> list[Row]:
    rows: list[Row] = []
    current: tuple[object, ...] | None = None
    start: date | None = None
    for step in steps:
        state = step.after
        scope = scope_of(state, path_of)
        position = (
            None
            if scope is None
            else (scope, state.org, state.to_org, state.status, _iso(state.since))
        )
        if position == current:
            continue
        if current is not None and start is not None and start < step.fact.on:
            rows.append((*current, dossier, start.isoformat(), step.fact.on.isoformat()))
        current, start = position, step.fact.on
    if current is not None and start is not None:
        rows.append((*current, dossier, start.isoformat(), OPEN_DAY))
    return rows


def _events(steps: Sequence[Step], path_of: PathOf, dossier: str) -> list[Row]:
    rows: list[Row] = []
    scope_before_death: str | None = None
    for step in steps:
        fact = step.fact
        if fact.type not in COUNTED:
            continue
        before = scope_of(step.before, path_of)
        if step.before.phase == DEAD:
            before = scope_before_death
        after = scope_of(step.after, path_of)
        if fact.type == ft.DIED:
            scope_before_death = before
        data = fact.data
        person = data.get("person") or {}
        admitted = fact.type == ft.ADMITTED
        rows.append(
            (
                fact.id,
                fact.type,
                fact.on.isoformat(),
                before,
                after,
                int(admitted and step.after.readmissions > step.before.readmissions),
                int(admitted and person.get("gender") == "female"),
                int(admitted and bool(data.get("youth_union"))),
                int(admitted and bool(data.get("private_business_owner"))),
                int(admitted and bool(data.get("population_policy_violation"))),
                data.get("occupation") if admitted else None,
                int(data["years"]) if fact.type == ft.BADGE_AWARDED else None,
                dossier,
            )
        )
    return rows


def _states(steps: Sequence[Step]) -> list[Row]:
    # As of D, every fact dated on or before D applies: keep each day's last state.
    by_day: dict[date, MemberState] = {}
    for step in steps:
        by_day[step.fact.on] = step.after
    days = sorted(by_day)
    rows: list[Row] = []
    for index, day in enumerate(days):
        state = by_day[day]
        until = days[index + 1].isoformat() if index + 1 < len(days) else OPEN_DAY
        member = state.phase not in (NONE, EXITED, DEAD)
        frozen = state.died_on if state.phase == DEAD else state.exit_on
        rows.append(
            (
                state.status,
                state.standing if member else None,
                state.org if state.phase != NONE else None,
                state.to_org if state.phase == IN_TRANSIT else None,
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
                day.isoformat(),
                until,
            )
        )
    return rows


def _fact_rows(facts: Sequence[Fact], steps: Sequence[Step], path_of: PathOf) -> list[Row]:
    """Each fact with its flags, the member's org, and the roster scopes around it."""
    retracted = {f.target for f in facts if f.type == ft.RETRACTED}
    where = {
        step.fact.id: (
            int(step.inert),
            step.after.org or step.before.org,
            scope_of(step.before, path_of),
            scope_of(step.after, path_of),
        )
        for step in steps
    }
    rows: list[Row] = []
    for f in facts:
        if f.type == ft.RETRACTED:
            continue
        inert, org, before, after = where.get(f.id, (0, None, None, None))
        rows.append(
            (
                f.id,
                f.type,
                f.on.isoformat(),
                f.recorded_at.isoformat(),
                f.seq,
                int(f.id in retracted),
                inert,
                org,
                before,
                after,
                f.recorded_at.date().isoformat(),
            )
        )
    return rows


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def row_key(row: Row) -> int:
    """A stable 63-bit key of a row's content, to close exactly that row later."""
    digest = hashlib.blake2b(orjson.dumps(row), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
