"""The members: the population on 31-12-2018, then each year's admissions, arrivals, returns."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from datetime import date, timedelta

from demo.builder.base import BuilderBase
from demo.members import (
    ARRIVAL_JOBS,
    MIDDLE_JOBS,
    OLD_JOBS,
    RECENT_JOBS,
    Life,
    Prior,
    _day,
    _int,
    _pick,
)
from demo.orgs import PROVINCES
from demo.plan import DB_START, REPORT_YEAR, WINDOW, PlanError, YearPlan
from ledger.dates import add_months, add_years


class Population(BuilderBase):
    """Draws the members: those of 31-12-2018 and those who enter the city in the window."""

    # --- the population on 31-12-2018 ---------------------------------------------------------

    def initial_population(self) -> None:
        rng = self.rng
        size = self.plan.members_at_end - sum(
            yp.admitted + yp.transferred_in - yp.transferred_out
            - yp.expelled - yp.removed - yp.resigned - yp.died
            for year, yp in self.plan.years.items() if year <= REPORT_YEAR
        )  # fmt: skip
        anchors = {
            1946: 10, 1951: 50, 1956: 140, 1961: 280, 1966: 520, 1971: 830, 1976: 1040,
            1981: 1370, 1986: 2050, 1991: 2800, 1996: 2900, 2001: 3150, 2006: 3300, 2011: 3400,
            2016: 3450, 2018: 3500,
        }  # fmt: skip
        points = sorted(anchors)
        weights: dict[int, float] = {}
        for left, right in itertools.pairwise(points):
            for year in range(left, right + 1):
                share = (year - left) / (right - left)
                weights[year] = anchors[left] + share * (anchors[right] - anchors[left])
        total = sum(weights.values())
        exact = {year: size * w / total for year, w in weights.items()}
        counts = {year: math.floor(v) for year, v in exact.items()}
        remainder = size - sum(counts.values())
        for year in sorted(exact, key=lambda y: (counts[y] - exact[y], y))[:remainder]:
            counts[year] += 1
        for year in sorted(counts):
            for _ in range(counts[year]):
                admitted = _day(rng, max(date(year, 1, 6), date(1946, 6, 1)), date(year, 12, 28))
                self.old_member(admitted)

    def old_member(self, admitted: date) -> None:
        rng = self.rng
        year = admitted.year
        if year < 1976:
            occupation = OLD_JOBS(rng)
            female_share, arrived_share, ages = 0.25, 0.3, (18, 27)
        elif year < 1996:
            occupation = MIDDLE_JOBS(rng)
            female_share, arrived_share, ages = 0.35, 0.15, (19, 32)
        else:
            occupation = RECENT_JOBS(rng)
            female_share = 0.45 if year < 2011 else 0.52
            arrived_share, ages = 0.12, (19, 35)
        if occupation == "student":
            ages = (18, 23)
        birth = self.birth(admitted, *ages)
        youth = add_years(birth, 31) > admitted and rng.random() < 0.75
        arrived = rng.random() < arrived_share and admitted < date(2015, 1, 1)
        entry = admitted
        if arrived:
            entry = _day(
                rng, add_years(admitted, 3), min(add_years(admitted, 25), date(2018, 6, 30))
            )
        life = self.new_life(
            female=rng.random() < female_share,
            birth=birth,
            youth_union=youth,
            occupation=occupation,
            org=self.cell_for(occupation, entry),
            entry=entry,
            admitted=admitted,
        )
        if arrived:
            life.arrived_from = rng.choice(PROVINCES)
            life.standing = "official"
        else:
            life.probation = self.probation_after(admitted)
        if entry < DB_START:
            life.migrated = _day(rng, DB_START, DB_START + timedelta(days=1095))

    # --- the window: admissions, arrivals, returns --------------------------------------------

    def admissions(self, year: int, yp: YearPlan) -> list[Life]:
        rng = self.rng
        jobs = [job for job, n in yp.occupations.items() for _ in range(n)]
        if len(jobs) != yp.admitted:
            raise PlanError(f"{year}: occupations add up to {len(jobs)}, not {yp.admitted}")
        rng.shuffle(jobs)
        people = [{"occupation": job} for job in jobs]
        index = list(range(len(people)))

        def choose(pool: list[int], weight: Callable[[int], float], k: int, what: str) -> set[int]:
            keyed = [(math.log(1.0 - rng.random()) / weight(i), i) for i in pool if weight(i) > 0]
            if len(keyed) < k:
                raise PlanError(f"{year}: too few admissions can be {what}")
            return {i for _, i in heapq.nlargest(k, keyed)}

        students = {i for i in index if jobs[i] == "student"}
        youth_weight = {"armed_forces": 3.0, "enterprise": 1.6, "contract_or_freelance": 1.3,
                        "teacher_or_health": 1.1, "civil_servant": 0.9, "farmer": 0.7,
                        "other": 1.0, "retired": 0.0}  # fmt: skip
        youth = students | choose(
            [i for i in index if i not in students],
            lambda i: youth_weight[jobs[i]],
            yp.youth_union - len(students),
            "in the youth union",
        )
        older = [i for i in index if i not in youth]
        owners = choose(
            [i for i in older if jobs[i] == "enterprise"], lambda i: 1.0,
            yp.private_business_owner, "private business owners",
        )  # fmt: skip
        violators = choose(
            [i for i in older if i not in owners and jobs[i] != "retired"], lambda i: 1.0,
            yp.population_policy_violation, "population-policy violators",
        )  # fmt: skip
        readmitted = choose(
            [i for i in older if i not in owners and i not in violators
             and jobs[i] not in ("armed_forces", "retired")],
            lambda i: 1.0, yp.readmitted, "re-admitted",
        )  # fmt: skip
        female_weight = {"teacher_or_health": 4.0, "student": 2.3, "civil_servant": 1.6,
                         "enterprise": 1.6, "contract_or_freelance": 1.3, "farmer": 1.5,
                         "other": 1.5, "armed_forces": 0.2, "retired": 1.0}  # fmt: skip
        female = choose(index, lambda i: female_weight[jobs[i]], yp.female, "women")
        lives = []
        for i in index:
            job = jobs[i]
            admitted = _day(rng, date(year, 1, 5), date(year, 12, 26))
            if job == "student":
                ages = (18, 23)
            elif i in youth:
                ages = (19, 30)
            elif i in readmitted:
                ages = (36, 55)
            elif i in violators:
                ages = (31, 45)
            elif job == "retired":
                ages = (56, 64)
            else:
                ages = (31, rng.choice((36, 40, 48, 55)))
            life = self.new_life(
                female=i in female,
                birth=self.birth(admitted, *ages),
                youth_union=i in youth,
                occupation=job,
                org=self.cell_for(job, admitted),
                entry=admitted,
                admitted=admitted,
                owner=i in owners,
                violation=i in violators,
            )
            life.probation = self.probation_after(admitted)
            if i in readmitted:
                self.earlier_membership(life)
            lives.append(life)
        return lives

    def earlier_membership(self, life: Life) -> None:
        """Give a re-admitted member an earlier membership ended by an exit 3+ years before."""
        rng = self.rng
        first = _day(rng, max(date(1996, 1, 1), add_years(life.birth, 19)), date(2010, 12, 31))
        probation = self.probation_after(first)
        latest_exit = add_months(life.entry, -36) - timedelta(days=10)
        exit_on = _day(rng, add_years(first, 3), max(add_years(first, 3), latest_exit))
        if exit_on > latest_exit:
            raise PlanError("a re-admitted member cannot have exited 36 months before")
        dossier = max(first + timedelta(days=_int(rng, 30, 200)),
                      _day(rng, DB_START, DB_START + timedelta(days=700)))  # fmt: skip
        if dossier >= life.entry:
            dossier = first + timedelta(days=60)
        occupation = rng.choice(("enterprise", "civil_servant", "other", "farmer"))
        life.prior = Prior(
            admitted=first,
            org=self.cell_for(occupation, first),
            youth_union=add_years(life.birth, 31) > first,
            occupation=occupation,
            probation=probation,
            dossier=dossier,
            exit_on=exit_on,
            exit_kind=rng.choice(("removed", "removed", "resigned", "expelled")),
        )
        life.admitted = first
        life.dossier = dossier
        if first < DB_START:
            life.migrated = _day(rng, DB_START, DB_START + timedelta(days=700))
        life.locked = True

    def arrivals(self, year: int, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            arrives = _day(rng, date(year, 1, 5), date(year, 12, 28))
            age = round(rng.triangular(23, 60, 31))
            birth = self.birth(arrives, age, age)
            occupation = ARRIVAL_JOBS(rng)
            adult = add_years(birth, 18) + timedelta(days=1)
            if rng.random() < 0.1 and arrives - timedelta(days=330) > adult:
                standing = "probationary"
                admitted = arrives - timedelta(days=_int(rng, 30, 330))
            else:
                standing = "official"
                earliest = max(adult, add_years(arrives, -35))
                latest = arrives - timedelta(days=400)
                admitted = _day(rng, earliest, latest) if earliest < latest else earliest
                if admitted > latest:  # too young for a full probation: still probationary
                    standing, admitted = "probationary", max(adult, arrives - timedelta(days=200))
            life = self.new_life(
                female=rng.random() < 0.5,
                birth=birth,
                youth_union=age <= 30 and rng.random() < 0.6,
                occupation=occupation,
                org=self.cell_for(occupation, arrives),
                entry=arrives,
                admitted=admitted,
                arrived_from=rng.choice(PROVINCES),
                standing=standing,
            )
            if standing == "probationary":
                life.probation = max(
                    self.probation_after(admitted), arrives + timedelta(days=_int(rng, 20, 60))
                )

    def returns(self, year: int, count: int) -> None:
        rng = self.rng
        start = date(year, 1, 1)
        pool = [
            life for life in self.lives
            if life.exit_kind == "away" and life.return_on is None
            and WINDOW <= life.exit_on <= start - timedelta(days=90)  # type: ignore[operator]
            and life.official_on(life.exit_on)  # type: ignore[arg-type]
        ]  # fmt: skip
        for life in _pick(rng, pool, lambda _: 1.0, count, f"returns in {year}"):
            assert life.exit_on is not None
            life.return_on = _day(rng, max(start, life.exit_on + timedelta(days=120)),
                                  date(year, 12, 28))  # fmt: skip
            life.return_org = self.cell_for(life.occupation, life.return_on)
            life.locked = True
