"""The plan of the demo history: the fixed dates, and the counts the history must produce.

The figures of 2021 in ``SEED_PLAN`` are those of SPEC §6; ``Plan.scaled`` gives the same plan
for a smaller city (for quick tests) or a larger one (``ledger demo --scale N``, up to
``MAX_SCALE``: about a country's membership). Only the seed's plan (scale 1) reproduces the exact
figures of SPEC §6; a scaled plan scales each of them (rounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.facts import OCCUPATIONS

END = date(2022, 12, 31)
"""The last day of the history: nothing is dated or recorded after it."""
WINDOW = date(2019, 1, 1)
"""The start of the detailed window (see the docstring of the ``demo`` package)."""
DB_START = date(2010, 1, 1)
"""The party-member database: facts dated before it are recorded at the member's migration."""
CITY = "hp"
REPORT_YEAR = 2021
CEREMONIES = ((2, 3), (5, 19), (9, 2), (11, 7))
"""Badges are handed over on 3-2, 19-5, 2-9 and 7-11 (anniversaries of the party and the state)."""
TIME = "T09:00:00+07:00"
MAX_SCALE = 50.0
"""The largest ``--scale``: 50 cities of 127,455 members (6.4 million, more than the country's
5.5 million at about 43), the generator's memory growing with it (see ``demo.emit``)."""
SEEDS = (2021, 7, 1, 2, 3)
"""The seeds tried in turn when none is given: at small scales a seed may miss a figure of the
plan (too few members come due for some event), the next one usually meets it."""


class PlanError(ValueError):
    """The plan cannot be realised (e.g. too few members eligible for some event)."""


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearPlan:
    """Exact city-level counts of one year of the window (all cross the city's boundary)."""

    admitted: int
    readmitted: int
    female: int
    youth_union: int
    private_business_owner: int
    population_policy_violation: int
    occupations: dict[str, int]
    transferred_in: int  # arrivals from outside the city, returns included
    returns: int  # members who had left the city earlier in the window and come back
    transferred_out: int  # to another province (to_external)
    expelled: int
    removed: int
    removed_probationary: int  # of which probationary members not recognised
    resigned: int
    died: int
    internal_moves: int  # transfers between two orgs of the city


@dataclass(frozen=True)
class Plan:
    """What the history must produce; the figures of 2021 are the seed's (SPEC §6)."""

    years: dict[int, YearPlan]
    members_at_end: int  # on 31-12-2021
    dossiers_at_end: int  # members on the roster of 31-12-2021 with a dossier by then
    admitted_with_dossier: int  # 2021 admissions with a dossier by 31-12-2021
    badges: int  # badges awarded in 2021
    leavers: int  # 2021 admissions transferred to another province in 2021, no dossier
    late_dossiers: int  # 2020 admissions on the roster of 31-12-2021 without a dossier by then
    stuck_in_transit: int = 8
    away: int = 30
    away_for_good: int = 10
    overdue_probations: int = 6
    anomalies: int = 4
    scale: float = 1.0  # the city's size against the seed's (the org tree grows with it)

    def scaled(self, factor: float) -> Plan:
        """The same plan for a city ``factor`` times as large: each count scaled (rounded)."""

        def n(value: int) -> int:
            return round(value * factor)

        years = {}
        for year, yp in self.years.items():
            occupations = {k: n(v) for k, v in yp.occupations.items()}
            admitted = n(yp.admitted)
            occupations["other"] += admitted - sum(occupations.values())
            years[year] = YearPlan(
                admitted=admitted,
                readmitted=n(yp.readmitted),
                female=n(yp.female),
                youth_union=max(n(yp.youth_union), occupations["student"]),
                private_business_owner=n(yp.private_business_owner),
                population_policy_violation=n(yp.population_policy_violation),
                occupations=occupations,
                transferred_in=n(yp.transferred_in),
                returns=n(yp.returns),
                transferred_out=n(yp.transferred_out),
                expelled=n(yp.expelled),
                removed=n(yp.removed),
                removed_probationary=n(yp.removed_probationary),
                resigned=n(yp.resigned),
                died=n(yp.died),
                internal_moves=n(yp.internal_moves),
            )
        return Plan(
            years=years,
            members_at_end=n(self.members_at_end),
            dossiers_at_end=n(self.members_at_end) - n(self.members_at_end - self.dossiers_at_end),
            admitted_with_dossier=n(self.admitted_with_dossier),
            badges=n(self.badges),
            leavers=n(self.leavers),
            late_dossiers=n(self.late_dossiers),
            stuck_in_transit=max(2, n(self.stuck_in_transit)),
            away=max(3, n(self.away)),
            away_for_good=max(1, n(self.away_for_good)),
            overdue_probations=max(1, n(self.overdue_probations)),
            anomalies=max(1, n(self.anomalies)),
            scale=self.scale * factor,
        )


def _occupations(**counts: int) -> dict[str, int]:
    return {name: counts.get(name, 0) for name in OCCUPATIONS}


SEED_PLAN = Plan(
    years={
        2019: YearPlan(
            admitted=3120, readmitted=5, female=1650, youth_union=1690,
            private_business_owner=4, population_policy_violation=30,
            occupations=_occupations(
                enterprise=800, student=290, contract_or_freelance=110, farmer=280,
                civil_servant=520, armed_forces=370, teacher_or_health=530, retired=20, other=200,
            ),
            transferred_in=2950, returns=0, transferred_out=3380, expelled=18, removed=165,
            removed_probationary=60, resigned=80, died=1380, internal_moves=1700,
        ),
        2020: YearPlan(
            admitted=3110, readmitted=4, female=1691, youth_union=1705,
            private_business_owner=3, population_policy_violation=36,
            occupations=_occupations(
                enterprise=790, student=300, contract_or_freelance=120, farmer=270,
                civil_servant=510, armed_forces=360, teacher_or_health=540, retired=20, other=200,
            ),
            transferred_in=2890, returns=25, transferred_out=3420, expelled=21, removed=158,
            removed_probationary=55, resigned=75, died=1420, internal_moves=1650,
        ),
        2021: YearPlan(
            admitted=3298, readmitted=6, female=2079, youth_union=1732,
            private_business_owner=5, population_policy_violation=41,
            occupations=_occupations(
                enterprise=842, student=326, contract_or_freelance=139, farmer=260,
                civil_servant=520, armed_forces=380, teacher_or_health=560, retired=21, other=250,
            ),
            transferred_in=3046, returns=30, transferred_out=3561, expelled=24, removed=134,
            removed_probationary=48, resigned=64, died=1560, internal_moves=1500,
        ),
        2022: YearPlan(
            admitted=3350, readmitted=7, female=2010, youth_union=1760,
            private_business_owner=4, population_policy_violation=38,
            occupations=_occupations(
                enterprise=860, student=330, contract_or_freelance=140, farmer=260,
                civil_servant=530, armed_forces=380, teacher_or_health=570, retired=20, other=260,
            ),
            transferred_in=3100, returns=28, transferred_out=3480, expelled=20, removed=140,
            removed_probationary=50, resigned=60, died=1450, internal_moves=1600,
        ),
    },
    members_at_end=127_455,
    dossiers_at_end=126_715,
    admitted_with_dossier=1_994,
    badges=6_117,
    leavers=680,
    late_dossiers=12,
)  # fmt: skip


def check_scale(scale: float) -> float:
    """``scale`` when the generator can build a city that size, or a ``ValueError`` saying why."""
    if not 0 < scale <= MAX_SCALE:  # also refuses NaN
        raise ValueError(f"the scale must be more than 0 and at most {MAX_SCALE:g}, not {scale:g}")
    return scale


def plan_at(scale: float) -> Plan:
    """The seed's plan at ``scale`` (itself at 1)."""
    check_scale(scale)
    return SEED_PLAN if scale == 1 else SEED_PLAN.scaled(scale)
