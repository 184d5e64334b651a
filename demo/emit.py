"""The demo history as facts: the emitter, ``generate``, ``lines`` and ``main``.

``generate()`` has the builder decide the whole history, then yields the organisations, each
member's facts in recording order (with plausible recording delays) and the committees'
declared head counts, as dicts in the interchange format of SPEC §2.
"""

from __future__ import annotations

import gc
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from demo.builder import _Builder
from demo.members import Life, _int, id_digits
from demo.plan import (
    CITY,
    END,
    MAX_SCALE,
    REPORT_YEAR,
    SEED_PLAN,
    SEEDS,
    TIME,
    Plan,
    PlanError,
    plan_at,
)

PRIORITY = {
    "member.admitted": 0,
    "member.transferred_in": 1,
    "member.probation_completed": 2,
    "member.dossier_recorded": 3,
    "member.badge_awarded": 4,
    "member.went_away": 5,
    "member.returned": 5,
    "member.transferred_out": 6,
    "member.expelled": 7,
    "member.removed": 7,
    "member.resigned": 7,
    "member.died": 8,
}


class _Emitter:
    """Turns each member's life into facts, numbered in order and recorded after their date."""

    def __init__(self, seed: int, digits: int = 7) -> None:
        self.rng = random.Random(seed + 1)
        self.number = 0
        self.digits = digits

    def fact(self, kind: str, on: date, recorded: date, **fields: Any) -> dict[str, Any]:
        self.number += 1
        return {
            "id": f"{CITY}-f{self.number:0{self.digits}d}",
            "type": kind,
            "on": on.isoformat(),
            "recorded_at": recorded.isoformat() + TIME,
            **fields,
        }

    def delay(self, kind: str) -> int:
        rng = self.rng
        if kind == "member.died":
            roll = rng.random()
            if roll < 0.6:
                return _int(rng, 2, 30)
            return _int(rng, 31, 90) if roll < 0.9 else _int(rng, 91, 240)
        if kind in ("member.transferred_out", "member.transferred_in"):
            return _int(rng, 35, 120) if rng.random() < 0.04 else _int(rng, 0, 7)
        if kind in ("member.went_away", "member.returned"):
            return _int(rng, 5, 40)
        if kind in ("member.expelled", "member.removed", "member.resigned"):
            return _int(rng, 1, 20)
        if kind == "member.dossier_recorded":
            return 0
        return _int(rng, 0, 7)

    def member(self, life: Life) -> Iterator[dict[str, Any]]:
        person = {"name": life.name, "gender": "female" if life.female else "male",
                  "birth_date": life.birth.isoformat()}  # fmt: skip
        who = {"member": life.member}
        planned: list[tuple[date, int, str, dict[str, Any]]] = []

        def add(on: date, kind: str, **fields: Any) -> None:
            planned.append((on, PRIORITY[kind], kind, {**who, **fields}))

        prior = life.prior
        if prior is not None:
            add(prior.admitted, "member.admitted", org=prior.org, person=person,
                youth_union=prior.youth_union, occupation=prior.occupation)  # fmt: skip
            add(prior.probation, "member.probation_completed")
            add(prior.dossier, "member.dossier_recorded")
            add(prior.exit_on, f"member.{prior.exit_kind}")
        if life.arrived_from is None:
            extra: dict[str, Any] = {}
            if life.owner:
                extra["private_business_owner"] = True
            if life.violation:
                extra["population_policy_violation"] = True
            add(life.entry, "member.admitted", org=life.org, person=person,
                youth_union=life.youth_union, occupation=life.occupation, **extra)  # fmt: skip
        else:
            add(life.entry, "member.transferred_in", org=life.org, from_external=life.arrived_from,
                person=person, youth_union=life.youth_union, occupation=life.occupation,
                standing=life.standing, admitted_on=life.admitted.isoformat())  # fmt: skip
        if life.probation is not None and life.probation <= END:
            add(life.probation, "member.probation_completed")
        if life.dossier is not None and prior is None:
            add(life.dossier, "member.dossier_recorded")
        for move in life.moves:
            add(move.leaves, "member.transferred_out", to_org=move.to_org)
            if move.arrives is not None:
                add(move.arrives, "member.transferred_in", org=move.to_org)
        for badge in life.badges:
            add(badge.on, "member.badge_awarded", years=badge.years,
                **({"early": True} if badge.early else {}))  # fmt: skip
        for on, kind in life.extras:
            add(on, f"member.{kind}")
        if life.exit_on is not None:
            if life.exit_kind == "away":
                add(life.exit_on, "member.transferred_out", to_external=life.exit_to)
            else:
                add(life.exit_on, f"member.{life.exit_kind}")
        if life.return_on is not None:
            add(life.return_on, "member.transferred_in", org=life.return_org,
                from_external=life.exit_to)  # fmt: skip
        planned.sort(key=lambda item: (item[0], item[1]))
        last = date.min
        for on, _, kind, fields in planned:
            if life.migrated is not None and on < life.migrated:
                wanted = life.migrated
            else:
                wanted = on + timedelta(days=self.delay(kind))
            if kind == "member.died" and life.anomaly is not None:
                # Reported only after the cell, unaware, recorded a later fact.
                anomaly_on, anomaly = life.anomaly
                noticed = max(anomaly_on, last)
                yield self.fact(f"member.{anomaly}", anomaly_on, noticed, **who)
                last = noticed
                wanted = max(wanted, anomaly_on + timedelta(days=_int(self.rng, 30, 90)))
            recorded = min(END, max(wanted, last))
            last = recorded
            yield self.fact(kind, on, recorded, **fields)


def generate(seed: int = 2021, plan: Plan = SEED_PLAN) -> Iterator[dict[str, Any]]:
    """Yield the demo history's facts: organisations first, then each member's facts in
    recording order, then the committees' declared head counts of 31-12-2021."""
    builder = _Builder(seed, plan)
    builder.build()
    # The facts are numbered as they are emitted: their ids' width is decided from a generous
    # estimate of their number (a city has about four facts for each member on its roster).
    emitter = _Emitter(seed, id_digits(plan.members_at_end * 6))
    registered = date(2009, 12, 1)
    for org in builder.orgs:
        yield emitter.fact("organization.registered", org.registered, registered,
                           org=org.org, name=org.name, parent=org.parent)  # fmt: skip
    for life in builder.lives:
        yield from emitter.member(life)
    declared_on, recorded = date(REPORT_YEAR, 12, 31), date(REPORT_YEAR + 1, 1, 12)
    for code, count in builder.declared:
        yield emitter.fact("organization.count_declared", declared_on, recorded, org=code,
                           count=count)  # fmt: skip


def lines(facts: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The facts as JSON Lines (bytes, without the newline)."""
    import orjson

    for fact in facts:
        yield orjson.dumps(fact)


def build(seed: int | None, plan: Plan) -> Iterator[dict[str, Any]]:
    """``generate(seed, plan)`` once the plan is known to be met: with ``seed`` None, the first
    of ``SEEDS`` that meets it (the history is decided whole before its first fact is yielded,
    so a seed that misses a figure fails before anything is written)."""
    import sys

    seeds = SEEDS if seed is None else (seed,)
    for n, candidate in enumerate(seeds):
        facts = generate(candidate, plan)
        try:
            first = next(facts)
        except PlanError as err:
            if n + 1 == len(seeds):
                raise
            print(f"demo: seed {candidate} misses the plan ({err}); trying seed {seeds[n + 1]}",
                  file=sys.stderr)  # fmt: skip
            continue
        return itertools.chain((first,), facts)
    raise AssertionError("unreachable")


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m demo [SEED] [--scale N]``: write the history as JSON Lines to stdout."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m demo", description="Write the demo history as JSON Lines to stdout."
    )
    others = ", ".join(map(str, SEEDS[1:]))
    parser.add_argument(
        "seed", nargs="?", type=int,
        help=f"the seed (default: {SEEDS[0]}, or the first of {others} that meets the plan)",
    )  # fmt: skip
    parser.add_argument(
        "--scale", type=float, default=1.0, metavar="N",
        help=f"the city's size against the seed's, 0 < N <= {MAX_SCALE:g} (default 1: the "
        "figures of SPEC §6; a scaled city scales them)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        plan = plan_at(args.scale)
    except ValueError as err:
        parser.error(str(err))
    out = sys.stdout.buffer
    # A separate process that only writes to stdout: no automatic cyclic garbage collection
    # while generating (millions of objects, no cycles), as for any batch work.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for line in lines(build(args.seed, plan)):
            out.write(line + b"\n")
    except PlanError as err:
        print(f"demo: no seed meets the plan at scale {args.scale:g}: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        if enabled:
            gc.enable()
    out.flush()
