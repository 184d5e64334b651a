"""The builder's state, the organisation tree and the draws every part of the builder uses.

``BuilderBase`` holds what the builder decides (``orgs``, ``lives``, ``declared``) and draws the
org tree first (``build_orgs``); the parts of the builder (``Population``, ``Movements``,
``Problems``, ``Records``) extend it and are combined in ``demo.builder._Builder``.
"""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import date, timedelta
from typing import Any

from demo.members import Life, _int
from demo.orgs import (
    CELL_NAMES,
    COMMITTEES,
    COMMUNES,
    DEPARTMENTS,
    GRASSROOTS,
    KINDS_BY_OCCUPATION,
    WARDS,
    Org,
)
from demo.plan import CITY, Plan
from ledger.dates import add_months, add_years


class BuilderBase:
    """The state of the builder: its random generator, the plan, the orgs and the lives."""

    def __init__(self, seed: int, plan: Plan) -> None:
        self.rng = random.Random(seed)
        self.plan = plan
        self.orgs: list[Org] = []
        self.cells: dict[str, list[Org]] = {}  # committee -> its cells
        self.committees: list[tuple[str, str, float, date]] = []  # (org, kind, weight, since)
        self.lives: list[Life] = []
        self.declared: list[tuple[str, int]] = []
        self.choices: dict[tuple[str, int], tuple[list[str], list[float]]] = {}

    # --- orgs ---------------------------------------------------------------------------------

    def build_orgs(self) -> None:
        rng = self.rng
        self.orgs.append(Org(CITY, "Đảng bộ thành phố Hải Phòng", None, date(1930, 4, 5), "", ""))
        total = sum(weight for _, _, weight, _ in COMMITTEES)
        wards, communes = list(WARDS), list(COMMUNES)
        rng.shuffle(wards)
        rng.shuffle(communes)
        for number, (name, kind, weight, since) in enumerate(COMMITTEES, start=1):
            code = f"{CITY}.d{number:02d}"
            registered = date.fromisoformat(since)
            self.orgs.append(Org(code, name, CITY, registered, code, kind))
            self.committees.append((code, kind, weight, registered))
            self.cells[code] = []
            # A larger city has more grassroots orgs, not larger cells (a smaller one keeps
            # the seed's tree, so that its quick tests keep their orgs).
            grassroots_count = round(GRASSROOTS * weight / total * max(1.0, self.plan.scale))
            for g in range(1, max(2, grassroots_count) + 1):
                if kind == "urban":
                    gname = f"Đảng bộ phường {wards.pop() if wards else f'số {g}'}"
                elif kind == "rural":
                    gname = f"Đảng bộ xã {communes.pop() if communes else f'số {g}'}"
                elif code == f"{CITY}.d16" and g <= len(DEPARTMENTS):
                    gname = f"Đảng bộ {DEPARTMENTS[g - 1]}"
                else:
                    gname = f"Đảng bộ bộ phận số {g}"
                grassroots = f"{code}.g{g:02d}"
                founded = registered + timedelta(days=_int(rng, 0, 60))
                self.orgs.append(Org(grassroots, gname, code, founded, code, kind))
                for c in range(1, _int(rng, 3, 6) + 1):
                    cell = Org(
                        f"{grassroots}.c{c}",
                        CELL_NAMES[kind].format(k=c),
                        grassroots,
                        founded,
                        code,
                        kind,
                    )
                    self.orgs.append(cell)
                    self.cells[code].append(cell)
        self.committee_of = {o.org: o.committee for o in self.orgs}
        self.openings = sorted(since for _, _, _, since in self.committees)

    def cell_for(self, occupation: str, day: date) -> str:
        """A cell registered by ``day``, in a committee plausible for the occupation."""
        open_by = day - timedelta(days=61)
        opened = bisect.bisect_right(self.openings, open_by)
        cached = self.choices.get((occupation, opened))
        if cached is None:
            kinds = KINDS_BY_OCCUPATION[occupation]
            weights: dict[str, float] = {}
            for code, kind, weight, since in self.committees:
                if since <= open_by and kind in kinds:
                    weights[code] = kinds[kind] * weight
            if not weights:  # e.g. armed forces before their committee existed: a district
                weights = {
                    code: weight
                    for code, kind, weight, since in self.committees
                    if since <= open_by and kind in ("urban", "rural")
                }
            codes = list(weights)
            cached = (codes, list(itertools.accumulate(weights[c] for c in codes)))
            self.choices[(occupation, opened)] = cached
        codes, cumulative = cached
        committee = self.rng.choices(codes, cum_weights=cumulative)[0]
        cells = self.cells[committee]
        return cells[int(self.rng.random() * len(cells))].org

    # --- people -------------------------------------------------------------------------------

    def new_life(self, **fields: Any) -> Life:
        life = Life(key=len(self.lives), **fields)
        self.lives.append(life)
        return life

    def birth(self, admitted: date, low: int, high: int) -> date:
        years = _int(self.rng, low, high)
        return add_years(admitted, -years) - timedelta(days=_int(self.rng, 0, 360))

    def probation_after(self, start: date) -> date:
        return add_months(start, 12) + timedelta(days=_int(self.rng, 3, 60))
