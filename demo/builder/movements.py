"""The window's departures (exits, deaths, transfers out) and its moves inside the city."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta

from demo.builder.base import BuilderBase
from demo.members import Life, Move, _day, _int, _pick, _weighted_choice
from demo.orgs import PROVINCES
from demo.plan import END, REPORT_YEAR, PlanError, YearPlan
from ledger.dates import add_months


class Movements(BuilderBase):
    """Decides who leaves the city each year, how, and who moves between two of its orgs."""

    # --- the window: exits, deaths, transfers -------------------------------------------------

    def exits(self, year: int, yp: YearPlan, admitted: list[Life]) -> None:
        rng = self.rng
        start, end = date(year, 1, 1), date(year, 12, 31)
        middle = date(year, 7, 1)
        active = [
            life for life in self.lives
            if life.entry < start and life.exit_on is None and not life.locked
        ]  # fmt: skip
        taken: set[int] = set()
        ages = {life.key: life.age(middle) for life in active}

        def pool(condition: Callable[[Life], bool]) -> list[Life]:
            return [life for life in active if life.key not in taken and condition(life)]

        def leave(life: Life, on: date, kind: str) -> None:
            taken.add(life.key)
            life.exit_on, life.exit_kind = on, kind
            if kind == "away":
                life.exit_to = rng.choice(PROVINCES)
            if life.probation is not None and life.probation >= on:
                life.probation = None

        outgoing = yp.transferred_out
        if year == REPORT_YEAR:
            # New members transferred to another province before their dossier was entered:
            # the dossier follows them. The seed's figures need many of them (see the report).
            early = [life for life in admitted if life.entry <= date(year, 10, 15)
                     and life.prior is None]  # fmt: skip
            job_weight = {"student": 3.0, "contract_or_freelance": 2.0, "enterprise": 1.5}
            chosen = _pick(rng, early, lambda life: job_weight.get(life.occupation, 1.0),
                           self.plan.leavers, "new members leaving")  # fmt: skip
            for life in chosen:
                span = min(200, (end - life.entry).days)
                leave(life, life.entry + timedelta(days=_int(rng, 40, span)), "away")
            outgoing -= len(chosen)

        def not_recognised(life: Life) -> bool:
            if life.probation is None or life.probation < start:
                return False
            start_on = life.probation_start
            if start_on is None:
                return False
            due = add_months(start_on, 12)
            return start <= due <= date(year, 10, 31)

        for life in _pick(rng, pool(not_recognised), lambda _: 1.0, yp.removed_probationary,
                          f"probationary removals in {year}"):  # fmt: skip
            assert life.probation_start is not None
            due = add_months(life.probation_start, 12)
            leave(life, min(end, due + timedelta(days=_int(rng, 0, 55))), "removed")
            life.probation = None  # not recognised as an official member

        def hazard(life: Life) -> float:
            return math.exp((ages[life.key] - 80) / 7.0)

        for life in _pick(rng, pool(lambda _: True), hazard, yp.died, f"deaths in {year}"):
            leave(life, _day(rng, start, end), "died")

        def working(low: int, high: int, other: float) -> Callable[[Life], float]:
            return lambda life: 1.0 if low <= ages[life.key] <= high else other

        officials = pool(lambda life: life.official_on(start))
        for life in _pick(rng, [x for x in officials if x.key not in taken], working(25, 60, 0.2),
                          yp.expelled, f"expulsions in {year}"):  # fmt: skip
            leave(life, _day(rng, start, end), "expelled")
        others = yp.removed - yp.removed_probationary
        for life in _pick(rng, [x for x in officials if x.key not in taken], working(30, 70, 0.3),
                          others, f"removals in {year}"):  # fmt: skip
            leave(life, _day(rng, start, end), "removed")
        for life in _pick(rng, pool(lambda _: True), working(25, 65, 0.1), yp.resigned,
                          f"resignations in {year}"):  # fmt: skip
            leave(life, _day(rng, start, end), "resigned")

        def mobile(life: Life) -> float:
            age = ages[life.key]
            return 1.0 if age <= 45 else 0.4 if age <= 60 else 0.04

        for life in _pick(rng, pool(lambda _: True), mobile, outgoing, f"transfers out in {year}"):
            leave(life, _day(rng, start + timedelta(days=3), end), "away")

    def moves(self, year: int, count: int) -> None:
        rng = self.rng
        start, end = date(year, 1, 1), date(year, 12, 31)
        middle = date(year, 7, 1)
        pool = [
            life for life in self.lives
            if life.entry < start and not life.locked
            and (life.exit_on is None or life.exit_on > start + timedelta(days=90))
        ]  # fmt: skip

        def mobile(life: Life) -> float:
            return 1.0 if life.age(middle) <= 50 else 0.3

        candidates = _pick(rng, pool, mobile, min(len(pool), count * 2), f"moves in {year}")
        placed = 0
        for life in candidates:
            if placed == count:
                break
            for _ in range(4):
                latest = end if year < END.year else END - timedelta(days=50)
                if life.exit_on is not None:
                    latest = min(latest, life.exit_on - timedelta(days=50))
                if latest <= start:
                    break
                leaves = _day(rng, start, latest)
                arrives = leaves + timedelta(days=_int(rng, 5, 45))
                if life.busy(leaves - timedelta(days=10), arrives + timedelta(days=10)):
                    continue
                here, _ = life.org_on(leaves)
                committee = self.committee_of[here]
                if rng.random() < 0.6 and len(self.cells[committee]) > 1:
                    target = committee
                else:
                    target = _weighted_choice(
                        rng, {code: w for code, _, w, _ in self.committees if code != committee}
                    )
                to_org = rng.choice([c.org for c in self.cells[target] if c.org != here])
                life.moves.append(Move(leaves, to_org, arrives))
                life.moves.sort(key=lambda m: m.leaves)
                placed += 1
                break
        if placed < count:
            raise PlanError(f"only {placed} of {count} internal moves in {year} fit")
