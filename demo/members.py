"""What the generator decides about each member (``Life``), and the random draws it uses.

A ``Life`` holds a member's admission or arrival, probation, internal moves (``Move``), an
earlier membership (``Prior``), badges (``Badge``), exit and return; the helpers draw days,
integers, weighted samples of members (``_pick``), badge ceremonies and occupations.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from demo.plan import CEREMONIES, END, PlanError

# --- members ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Move:
    """A transfer between two orgs of the city; ``arrives`` is None while still in transit."""

    leaves: date
    to_org: str
    arrives: date | None


@dataclass(slots=True)
class Prior:
    """An earlier membership that ended by an exit (for a re-admitted member)."""

    admitted: date
    org: str
    youth_union: bool
    occupation: str
    probation: date
    dossier: date
    exit_on: date
    exit_kind: str


@dataclass(slots=True)
class Badge:
    """A badge: milestone, date, early (gravely ill) or posthumous."""

    on: date
    years: int
    early: bool = False
    posthumous: bool = False


@dataclass(slots=True)
class Life:
    """Everything the generator decided about one member."""

    key: int
    female: bool
    birth: date
    youth_union: bool
    occupation: str
    org: str  # the org of the (latest) admission or arrival
    entry: date  # admission or arrival
    admitted: date  # first admission: the start of the party age
    arrived_from: str | None = None  # arrived from outside instead of being admitted here
    standing: str = "probationary"  # on arrival
    owner: bool = False
    violation: bool = False
    prior: Prior | None = None
    probation: date | None = None
    exit_on: date | None = None
    exit_kind: str | None = None  # died, expelled, removed, resigned, away
    exit_to: str | None = None
    return_on: date | None = None
    return_org: str | None = None
    moves: list[Move] = field(default_factory=list)
    dossier: date | None = None
    migrated: date | None = None
    badges: list[Badge] = field(default_factory=list)
    extras: list[tuple[date, str]] = field(default_factory=list)
    anomaly: tuple[date, str] | None = None
    locked: bool = False
    name: str = ""
    member: str = ""

    @property
    def probation_start(self) -> date | None:
        """Start of the probation, or None for a member who arrived as an official member."""
        if self.arrived_from is not None:
            return self.admitted if self.standing == "probationary" else None
        return self.entry

    def official_on(self, day: date) -> bool:
        """True when the member is an official member on ``day`` (if a member at all)."""
        if self.probation_start is None:
            return True
        return self.probation is not None and self.probation <= day

    def on_roster(self, day: date) -> bool:
        """In the city's roster as of ``day`` (placed, or in transit between two of its orgs)."""
        if day < self.entry:
            return False
        if self.exit_on is None or day < self.exit_on:
            return True
        return self.return_on is not None and day >= self.return_on

    def org_on(self, day: date) -> tuple[str, str | None]:
        """(org, destination while in transit) as of ``day``, for a member on the roster."""
        if self.return_on is not None and day >= self.return_on:
            assert self.return_org is not None
            return self.return_org, None
        org = self.org
        for move in self.moves:
            if move.leaves > day:
                break
            if move.arrives is None or move.arrives > day:
                return org, move.to_org
            org = move.to_org
        return org, None

    def age(self, day: date) -> int:
        """Age in whole years."""
        years = day.year - self.birth.year
        return years - 1 if (day.month, day.day) < (self.birth.month, self.birth.day) else years

    def busy(self, start: date, end: date) -> bool:
        """True when a move, the probation decision or a flag falls in [start, end]."""
        if self.probation is not None and start <= self.probation <= end:
            return True
        for move in self.moves:
            if move.leaves <= end and (move.arrives or END) >= start:
                return True
        return any(start <= on <= end for on, _ in self.extras)


# --- helpers ------------------------------------------------------------------------------------


def id_digits(count: int) -> int:
    """The digits of the numbers in ids (``hp-m0000001``, ``hp-f0000001``) when up to ``count``
    are numbered: seven, the seed's, until ten million (a larger country's), then more."""
    return max(7, len(str(count)))


def _int(rng: random.Random, low: int, high: int) -> int:
    """A uniformly random integer in [low, high] (cheaper than ``randint``)."""
    return low + int(rng.random() * (high - low + 1))


def _day(rng: random.Random, start: date, end: date) -> date:
    """A uniformly random day in [start, end]."""
    return start + timedelta(days=_int(rng, 0, max((end - start).days, 0)))


def _pick(
    rng: random.Random, items: Sequence[Life], weight: Callable[[Life], float], k: int, what: str
) -> list[Life]:
    """``k`` distinct items drawn one after the other, each with probability proportional to
    its ``weight`` among those left (weights take few distinct values: grouped by value)."""
    if k <= 0:
        return []
    groups: dict[float, list[Life]] = {}
    for item in items:
        w = weight(item)
        if w > 0:
            groups.setdefault(w, []).append(item)
    if sum(len(g) for g in groups.values()) < k:
        raise PlanError(f"too few members are eligible for {k} {what}")
    values = sorted(groups)
    chosen: list[Life] = []
    totals = [w * len(groups[w]) for w in values]  # kept up to date as groups shrink
    for _ in range(k):
        roll = rng.random() * sum(totals)
        index = 0
        while index < len(values) - 1 and roll >= totals[index]:
            roll -= totals[index]
            index += 1
        if not groups[values[index]]:  # rounding at the very end of the last bucket
            index = next(i for i in reversed(range(len(values))) if groups[values[i]])
        group = groups[values[index]]
        at = int(rng.random() * len(group))
        group[at], group[-1] = group[-1], group[at]
        chosen.append(group.pop())
        totals[index] = values[index] * len(group)
    return chosen


def _ceremony_on_or_after(day: date) -> date:
    for month, dom in CEREMONIES:
        candidate = date(day.year, month, dom)
        if candidate >= day:
            return candidate
    return date(day.year + 1, *CEREMONIES[0])


def _ceremony_after(day: date) -> date:
    return _ceremony_on_or_after(day + timedelta(days=1))


def _ceremonies_before(day: date, since: date) -> Iterator[date]:
    """Ceremonies in [since, day), latest first."""
    current = _ceremony_on_or_after(since)
    found = []
    while current < day:
        found.append(current)
        current = _ceremony_after(current)
    return reversed(found)


def _weighted_choice(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


class _Choice:
    """A fixed weighted choice among names."""

    def __init__(self, **weights: float) -> None:
        self.names = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


OLD_JOBS = _Choice(farmer=30, armed_forces=30, civil_servant=15, enterprise=15,
                   teacher_or_health=7, other=3)  # fmt: skip
MIDDLE_JOBS = _Choice(enterprise=25, farmer=20, armed_forces=15, civil_servant=20,
                      teacher_or_health=12, other=5, student=3)  # fmt: skip
RECENT_JOBS = _Choice(enterprise=25, civil_servant=18, teacher_or_health=17, armed_forces=12,
                      farmer=10, student=8, contract_or_freelance=4, other=6)  # fmt: skip
ARRIVAL_JOBS = _Choice(enterprise=30, civil_servant=20, teacher_or_health=15, armed_forces=15,
                       contract_or_freelance=8, other=7, student=5)  # fmt: skip
