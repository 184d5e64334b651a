"""The read models (roster, annual report, member view) against a plain fold of the event log.

Histories are generated in recording order over a small tree (city -> 2 committees -> 2-3
cells each, plus another province's root and cell): every fact is submitted to the ledger and
kept only when accepted, so the histories are valid by construction. They hold admissions and
re-admissions, arrivals from outside (veterans whose badges come due), probation, transfers
within and across committees, to another level or province and to or from outside, badges
(early and posthumous too), exits, deaths (many recorded late, dated before facts already
recorded, which become anomalies), dossiers, flags and retractions; ``recorded_at`` increases
(sometimes repeats, sometimes written in UTC) while ``on`` dates come out of order. The answers
of ``ReadModels`` are compared with ``tests.projections.fold`` for random orgs, days, years and
knowledge times (also between two recordings), the read models catching up fact by fact or
all at once.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.application import LedgerApplication
from commands.record import record_fact
from ledger import facts as ft
from ledger.dates import add_months, add_years
from ledger.errors import LedgerError
from ledger.timeline import AWAY, DEAD, EXITED, IN_TRANSIT, NONE, PLACED, MemberState
from projections import tallies
from projections.knowledge import EVERYTHING, utc_text
from projections.queries import ReadModels
from projections.rebuild import rebuild
from projections.reports.annual import annual as annual_report
from projections.store import Store
from tests.projections.fold import EventLog, Fold, without_label
from tests.support import admitted, at, fact

HANOI = timezone(timedelta(hours=7))
START = datetime(2010, 1, 1, 8, 0, tzinfo=HANOI)
LAST = datetime(2025, 12, 31, 20, 0, tzinfo=HANOI)
EARLIEST_ON = date(2008, 1, 1)
OCCUPATIONS = ft.OCCUPATIONS
BALANCE_KEYS = ("admitted", "transferred_in")
EXIT_KEYS = ("transferred_out", "expelled", "removed", "resigned", "died")

MAX_EXAMPLES = 30
REBUILD_EXAMPLES = 4

_prefixes = itertools.count()


# --- the generator ----------------------------------------------------------------------------


@dataclass
class Tree:
    """City -> committees -> cells, and another province's root with one cell (since 1950)."""

    city: str
    committees: dict[str, list[str]]
    elsewhere: list[str]

    @property
    def orgs(self) -> list[str]:
        return [self.city, *self.committees, *self.cells, *self.elsewhere]

    @property
    def cells(self) -> list[str]:
        return list(itertools.chain(*self.committees.values()))

    def committee_of(self, org: str) -> str | None:
        if org in self.committees:
            return org
        return next((c for c, cells in self.committees.items() if org in cells), None)

    def placement(self, rng: random.Random) -> str:
        """Mostly a cell; sometimes a committee, the city or the other province."""
        if rng.random() < 0.85:
            return rng.choice(self.cells)
        return rng.choice([self.city, *self.committees, *self.elsewhere])

    def destination(self, rng: random.Random, org: str) -> tuple[str, str]:
        """(kind, org) of a transfer out of ``org`` to another org of the ledger."""
        committee = self.committee_of(org)
        roll = rng.random()
        if roll < 0.45 and committee is not None:
            kind, targets = "transfer_within_committee", self.committees[committee]
        elif roll < 0.8:
            kind = "transfer_across_committees"
            targets = [c for c in self.cells if self.committee_of(c) != committee]
        else:
            kind, targets = "transfer_to_other_level_or_province", self.orgs
        targets = [t for t in targets if t != org] or [t for t in self.cells if t != org]
        return kind, rng.choice(targets)


COMMITTEE_NAMES = ("d1", "d10")
CELL_NAMES = ("c_1", "c-1", "c.1")
MEMBER_NAMES = ("m1", "m10", "M2", "m-3", "m_4", "m.5", "m6", "a7", "m9")
"""Ids that are prefixes of each other or differ only in ``_``, ``-`` or ``.``: a subtree
or a sort order built on text patterns would mix them up."""


def build_tree(app: LedgerApplication, prefix: str, sizes: tuple[int, int]) -> Tree:
    city = f"{prefix}hp"
    committees = {
        f"{city}.{name}": [f"{city}.{name}.{cell}" for cell in CELL_NAMES[:size]]
        for name, size in zip(COMMITTEE_NAMES, sizes, strict=True)
    }
    elsewhere = [f"{city}-x", f"{city}-x.c_1"]
    tree = Tree(city, committees, elsewhere)
    registrations: list[tuple[str, str | None]] = [(city, None)]
    registrations += [(d, city) for d in committees]
    registrations += [(c, d) for d, cells in committees.items() for c in cells]
    registrations += [(elsewhere[0], None), (elsewhere[1], elsewhere[0])]
    for org, parent in registrations:
        record_fact(
            app,
            {
                "type": ft.ORG_REGISTERED,
                "on": "1950-01-01",
                "org": org,
                "name": org.upper(),
                "parent": parent,
                "recorded_at": at("1950-01-01"),
            },
        )
    return tree


def day_between(rng: random.Random, lo: date, hi: date) -> date | None:
    """A day in [lo, hi]; often lo itself (same-day facts) or a year's first or last day."""
    if hi < lo:
        return None
    roll = rng.random()
    if roll < 0.15:
        return lo
    if roll < 0.25:
        edges = [
            d
            for y in range(lo.year, hi.year + 1)
            for d in (date(y, 1, 1), date(y, 12, 31))
            if lo <= d <= hi
        ]
        if edges:
            return rng.choice(edges)
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


@dataclass
class History:
    """Builds a valid history in recording order: submit each fact, keep what is accepted."""

    app: LedgerApplication
    rng: random.Random
    tree: Tree
    prefix: str
    members: list[str]
    cursor: datetime = START
    recorded: list[datetime] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    serial: int = 0
    after_fact: Callable[[], None] | None = None
    """Called after each accepted fact (to let the read models catch up fact by fact)."""

    # -- recording -------------------------------------------------------------------------

    def submit(self, item: dict[str, Any], kind: str) -> bool:
        self.serial += 1
        item = {"id": f"{self.prefix}f{self.serial}", **item, "recorded_at": self.stamp}
        try:
            record_fact(self.app, item)
        except LedgerError as err:
            self.refused[err.code] += 1
            return False
        self.accepted.append(item)
        self.recorded.append(self.cursor)
        self.kinds[kind] += 1
        if self.after_fact is not None:
            self.after_fact()
        return True

    @property
    def stamp(self) -> str:
        """The cursor as ISO text, mostly in Hanoi time, sometimes in UTC."""
        roll = self.rng.random()
        if roll < 0.1:
            return self.cursor.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if roll < 0.2:
            return self.cursor.astimezone(UTC).isoformat()
        return self.cursor.isoformat()

    @property
    def today(self) -> date:
        return self.cursor.date()

    def advance(self, mean_days: float) -> None:
        if self.rng.random() < 0.05:
            return  # the same recording time as the previous fact
        days = self.rng.randint(0, max(1, int(2 * mean_days)))
        moment = self.cursor + timedelta(days=days, minutes=self.rng.randint(1, 600))
        if moment > LAST:
            moment = max(LAST, self.cursor) + timedelta(minutes=1)
        self.cursor = moment

    def run(self, steps: int) -> None:
        mean = (LAST - START).days / steps
        for _ in range(steps):
            self.advance(mean)
            self.step(self.rng.choice(self.members))

    # -- one step: a fact about one member, chosen from where the member stands ------------

    def step(self, member: str) -> None:
        aggregate = self.app.member(member)
        if aggregate is None:
            self.newcomer(member, None)
            return
        facts = aggregate.facts
        state = aggregate.current().state
        retracted = {f.target for f in facts if f.type == ft.RETRACTED}
        active = [f for f in facts if f.type != ft.RETRACTED and f.id not in retracted]
        last_on = max((f.on for f in active), default=EARLIEST_ON)
        rng = self.rng
        # Usually after the member's latest fact; sometimes anywhere in the last 3 years.
        if rng.random() < 0.2:
            lo = max(EARLIEST_ON, self.today - timedelta(days=3 * 365))
        else:
            lo = max(last_on, self.today - timedelta(days=400))
        entries = [f.on for f in active if f.type in (ft.ADMITTED, ft.TRANSFERRED_IN)]
        entry = rng.choice(entries) if entries else None
        options: list[tuple[float, Any]] = []

        def option(weight: float, make: Any) -> None:
            options.append((weight, make))

        if rng.random() < 0.04 and active:
            option(1, lambda: self.retraction(member, active))
        elif state.phase == NONE:
            self.newcomer(member, last_on)
            return
        elif state.phase == PLACED:
            if state.standing == "probationary":
                option(4, lambda: self.probation(member, state, lo))
            option(3, lambda: self.transfer_out(member, state, lo))
            option(2.5, lambda: self.badge(member, state, lo))
            option(1.5, lambda: self.exit(member, state, lo))
            option(1, lambda: self.died(member, lo))
            option(1.5, lambda: self.late_death(member, entry, last_on))
            option(1, lambda: self.dossier(member, entry))
            option(1, lambda: self.flag(member, state, lo))
            if state.standing == "official":
                option(0.3, lambda: self.simple(member, "card_issued", lo))
        elif state.phase == IN_TRANSIT:
            option(5, lambda: self.transfer_in(member, state, lo))
            option(0.7, lambda: self.badge(member, state, lo))
            option(0.7, lambda: self.exit(member, state, lo))
            option(0.5, lambda: self.died(member, lo))
            option(1, lambda: self.late_death(member, entry, last_on))
            option(0.5, lambda: self.dossier(member, entry))
        elif state.phase == AWAY:
            option(3, lambda: self.come_back(member, lo))
            option(1, lambda: self.late_death(member, entry, last_on))
            option(0.5, lambda: self.dossier(member, entry))
        elif state.phase == EXITED:
            option(4, lambda: self.readmit(member, state, lo))
            option(1, lambda: self.late_death(member, entry, last_on))
            option(0.5, lambda: self.dossier(member, entry))
        elif state.phase == DEAD:
            option(2, lambda: self.posthumous_badge(member, state, lo))
            option(1, lambda: self.dossier(member, entry))
        if active:
            option(0.5, lambda: self.retraction(member, active))
        weights = [w for w, _ in options]
        make = rng.choices([m for _, m in options], weights=weights)[0]
        make()

    # -- facts -------------------------------------------------------------------------------

    def person(self) -> dict[str, Any]:
        rng = self.rng
        born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 35 * 365))
        return {
            "name": f"Person {rng.randint(1, 999)}",
            "gender": rng.choice(["female", "male"]),
            "birth_date": born.isoformat(),
        }

    def admission_fields(self) -> dict[str, Any]:
        rng = self.rng
        extra: dict[str, Any] = {}
        if rng.random() < 0.3:
            extra["private_business_owner"] = rng.random() < 0.5
        if rng.random() < 0.3:
            extra["population_policy_violation"] = rng.random() < 0.5
        return {
            "person": self.person(),
            "youth_union": rng.random() < 0.5,
            "occupation": rng.choice(OCCUPATIONS),
            **extra,
        }

    def newcomer(self, member: str, last_on: date | None) -> None:
        rng = self.rng
        lo = max(EARLIEST_ON, self.today - timedelta(days=2 * 365), last_on or EARLIEST_ON)
        on = day_between(rng, lo, self.today)
        assert on is not None
        cell = self.tree.placement(rng)
        if rng.random() < 0.7:
            item = admitted(member, cell, on.isoformat(), **self.admission_fields())
            self.submit(item, "admitted")
            return
        if rng.random() < 0.6:  # a veteran: badges come due during the history
            first = date(1955, 1, 1) + timedelta(days=rng.randint(0, 40 * 365))
        else:
            first = day_between(rng, date(2000, 1, 1), on) or on
        standing = "official" if add_months(first, 13) <= on and rng.random() < 0.9 else None
        item = fact(
            "transferred_in",
            member,
            on.isoformat(),
            org=cell,
            from_external="Tỉnh Hải Dương",
            admitted_on=first.isoformat(),
            standing=standing or "probationary",
            **{
                k: v
                for k, v in self.admission_fields().items()
                if k in ("person", "youth_union", "occupation")
            },
        )
        self.submit(item, "arrived_from_outside")

    def probation(self, member: str, state: MemberState, lo: date) -> None:
        assert state.probation_start is not None
        earliest = max(lo, add_months(state.probation_start, 12))
        on = day_between(self.rng, earliest, self.today)
        if on is not None:
            self.submit(fact("probation_completed", member, on.isoformat()), "probation")

    def transfer_out(self, member: str, state: MemberState, lo: date) -> None:
        on = day_between(self.rng, lo, self.today)
        assert on is not None and state.org is not None
        if self.rng.random() < 0.12:
            item = fact("transferred_out", member, on.isoformat(), to_external="Quảng Ninh")
            self.submit(item, "transfer_away")
            return
        kind, target = self.tree.destination(self.rng, state.org)
        self.submit(fact("transferred_out", member, on.isoformat(), to_org=target), kind)

    def transfer_in(self, member: str, state: MemberState, lo: date) -> None:
        on = day_between(self.rng, lo, self.today)
        assert on is not None
        item = fact("transferred_in", member, on.isoformat(), org=state.to_org)
        self.submit(item, "transfer_arrival")

    def come_back(self, member: str, lo: date) -> None:
        on = day_between(self.rng, lo, self.today)
        assert on is not None
        cell = self.tree.placement(self.rng)
        item = fact(
            "transferred_in", member, on.isoformat(), org=cell, from_external="Thành phố Hà Nội"
        )
        self.submit(item, "came_back_from_outside")

    def badge(self, member: str, state: MemberState, lo: date) -> None:
        """A badge on or after its milestone, or an early one in the months before it."""
        assert state.first_admission is not None
        rng = self.rng
        start = state.first_admission + timedelta(days=state.gap_days)
        reached = {m: add_years(start, m) for m in ft.BADGE_MILESTONES if m not in state.badges}
        upcoming = [m for m, day in reached.items() if day > lo]
        if upcoming and rng.random() < 0.4:
            years = upcoming[0]
            before = add_months(reached[years], -(24 if years >= 70 else 12))
            last = min(self.today, reached[years] - timedelta(days=1))
            on = day_between(rng, max(lo, before), last)
            if on is not None:
                item = fact("badge_awarded", member, on.isoformat(), years=years, early=True)
                self.submit(item, "early_badge")
                return
        due = [m for m, day in reached.items() if day <= self.today]
        if due:
            years = rng.choice(due)
            on = day_between(rng, max(lo, reached[years]), self.today)
            assert on is not None
            self.submit(fact("badge_awarded", member, on.isoformat(), years=years), "badge")

    def posthumous_badge(self, member: str, state: MemberState, lo: date) -> None:
        assert state.died_on is not None
        age = state.unfrozen_party_age(add_months(state.died_on, 12)) or 0
        due = [m for m in ft.BADGE_MILESTONES if m <= age and m not in state.badges]
        on = day_between(self.rng, max(lo, state.died_on), self.today)
        if due and on is not None:
            item = fact("badge_awarded", member, on.isoformat(), years=self.rng.choice(due))
            self.submit(item, "posthumous_badge")

    def exit(self, member: str, state: MemberState, lo: date) -> None:
        kinds = ["removed", "resigned"] + (["expelled"] * 2 if state.standing == "official" else [])
        kind = self.rng.choice(kinds)
        on = day_between(self.rng, lo, self.today)
        assert on is not None
        self.submit(fact(kind, member, on.isoformat()), kind)

    def died(self, member: str, lo: date) -> None:
        on = day_between(self.rng, lo, self.today)
        assert on is not None
        self.submit(fact("died", member, on.isoformat()), "died")

    def late_death(self, member: str, entry: date | None, last_on: date) -> None:
        """A death recorded now, dated before facts already recorded."""
        if entry is None:
            return
        on = day_between(self.rng, entry, last_on)
        if on is not None:
            self.submit(fact("died", member, on.isoformat()), "late_death")

    def readmit(self, member: str, state: MemberState, lo: date) -> None:
        assert state.exit_on is not None
        earliest = max(lo, add_months(state.exit_on, 36))
        on = day_between(self.rng, earliest, self.today)
        if on is not None:
            cell = self.tree.placement(self.rng)
            item = admitted(member, cell, on.isoformat(), **self.admission_fields())
            self.submit(item, "readmitted")

    def dossier(self, member: str, entry: date | None) -> None:
        on = day_between(self.rng, entry or EARLIEST_ON, self.today)
        assert on is not None
        self.submit(fact("dossier_recorded", member, on.isoformat()), "dossier")

    def flag(self, member: str, state: MemberState, lo: date) -> None:
        if self.rng.random() < 0.5:
            kind = "returned" if state.away_since is not None else "went_away"
        else:
            kind = "exemption_ended" if state.exempt else "exempted"
        self.simple(member, kind, lo)

    def simple(self, member: str, kind: str, lo: date) -> None:
        on = day_between(self.rng, lo, self.today)
        assert on is not None
        self.submit(fact(kind, member, on.isoformat()), kind)

    def retraction(self, member: str, active: list[Any]) -> None:
        ordered = sorted(active, key=lambda f: (f.on, f.seq))
        target = ordered[-1] if self.rng.random() < 0.5 else self.rng.choice(ordered)
        item = {
            "type": ft.RETRACTED,
            "on": self.today.isoformat(),
            "fact": target.id,
            "reason": "entered by mistake",
        }
        self.submit(item, f"retracted {target.type.removeprefix('member.')}")


def catching_up(models: ReadModels, rng: random.Random, share: float) -> Callable[[], None]:
    """After a fact: let the read models catch up, for a ``share`` of the facts."""

    def after_fact() -> None:
        if rng.random() < share:
            models.fresh()

    return after_fact


def generate(
    app: LedgerApplication,
    rng: random.Random,
    sizes: tuple[int, int],
    members: int,
    steps: int,
    after_fact: Callable[[], None] | None = None,
) -> History:
    prefix = f"e{next(_prefixes)}x"
    tree = build_tree(app, prefix, sizes)
    ids = [f"{prefix}{name}" for name in MEMBER_NAMES[:members]]
    history = History(app, rng, tree, prefix, ids, after_fact=after_fact)
    history.run(steps)
    return history


# --- comparing --------------------------------------------------------------------------------


@dataclass
class Comparison:
    """Queries a history both ways."""

    history: History
    models: ReadModels
    fold: Fold

    @classmethod
    def of(cls, history: History, models: ReadModels) -> Comparison:
        log = EventLog.load(history.app, history.tree.orgs, history.members)
        return cls(history, models, Fold(log))

    def knowledge_times(self) -> list[datetime | None]:
        """None (now), each recording, a moment between two recordings, before and after all."""
        times: list[datetime | None] = [None, START - timedelta(days=1), LAST + timedelta(days=9)]
        recorded = sorted(set(self.history.recorded))
        times += recorded
        times += [a + (b - a) / 2 for a, b in itertools.pairwise(recorded)]
        return times

    def days(self) -> list[date]:
        """Days worth asking about: each fact's ``on``, the day before, year ends."""
        days = {date(y, 12, 31) for y in range(2007, 2026)} | {date(2026, 1, 1)}
        for item in self.history.accepted:
            on = date.fromisoformat(item["on"])
            days.update({on, on - timedelta(days=1)})
        return sorted(days)

    def explain(self) -> str:
        lines = [f"refused: {dict(self.history.refused)}"]
        lines += [repr(item) for item in self.history.accepted]
        return "\n".join(lines)

    def roster(self, org: str, as_of: date, known_at: datetime | None) -> None:
        got = self.models.roster(org, as_of=as_of, known_at=known_at, label="L").model_dump()
        want = self.fold.fold_roster(org, as_of, known_at, "L")
        assert without_label(got) == without_label(want), (
            f"roster {org} as of {as_of} known at {known_at}\n{self.explain()}"
        )

    def annual(self, org: str, year: int, known_at: datetime | None) -> dict[str, Any]:
        got = self.models.annual(org, year=year, known_at=known_at, label="L").model_dump()
        want = self.fold.fold_annual(org, year, known_at, "L")
        assert without_label(got) == without_label(want), (
            f"annual {org} {year} known at {known_at}\n{self.explain()}"
        )
        # Counted from the rows too, and from the tallies rewound however many facts were
        # recorded since (an org with tallies answers from them when that costs less).
        moment = utc_text(known_at) if known_at is not None else EVERYTHING
        rows = annual_report(self.models, org, year, moment, "L", tallied=False).model_dump()
        assert without_label(rows) == without_label(want), (
            f"annual {org} {year} known at {known_at}, from the rows\n{self.explain()}"
        )
        with patch.object(tallies, "FACTS_PER_MEMBER", math.inf):
            rewound = annual_report(self.models, org, year, moment, "L").model_dump()
        assert without_label(rewound) == without_label(want), (
            f"annual {org} {year} known at {known_at}, rewound\n{self.explain()}"
        )
        return got

    def member(self, member: str, as_of: date, known_at: datetime | None) -> None:
        got = self.models.member(member, as_of=as_of, known_at=known_at, label="L").model_dump()
        want = self.fold.fold_member(member, as_of, known_at, "L")
        assert without_label(got) == without_label(want), (
            f"member {member} as of {as_of} known at {known_at}\n{self.explain()}"
        )

    def badges_due(self, org: str, on: date) -> None:
        got = self.models.badges_due(org, on=on).model_dump()
        assert got == self.fold.fold_badges_due(org, on), f"badges due {org} on {on}"

    def quality(self, org: str, as_of: date, known_at: datetime | None) -> None:
        report = self.models.quality(org, as_of=as_of, known_at=known_at, label="L").model_dump()
        got = [
            (f["kind"], f["org"], f["member"], f["fact"])
            for f in report["findings"]
            if f["member"] is not None and f["kind"] != "unreadable_history"
        ]
        want = self.fold.fold_member_findings(org, as_of, known_at)
        assert got == want, f"quality {org} as of {as_of} known at {known_at}\n{self.explain()}"

    def random_queries(self, rng: random.Random, rosters: int, annuals: int, views: int) -> None:
        orgs = self.history.tree.orgs
        times = self.knowledge_times()
        days = self.days()
        for _ in range(rosters):
            self.roster(rng.choice(orgs), rng.choice(days), rng.choice(times))
        for _ in range(annuals):
            self.annual(rng.choice(orgs), rng.randint(2008, 2025), rng.choice(times))
        for _ in range(views):
            self.member(rng.choice(self.history.members), rng.choice(days), rng.choice(times))
        # The reports that look for members: badges due (known now; the whole tree on late
        # days half the time, where veterans come due) and the quality findings.
        late_days = days[len(days) // 2 :]
        for _ in range(annuals):
            self.badges_due(rng.choice(orgs), rng.choice(days))
            self.badges_due(orgs[0], rng.choice(late_days))
        for _ in range(max(1, annuals // 3)):
            self.quality(rng.choice(orgs), rng.choice(days), rng.choice(times))

    def balances(self, known_at: datetime | None = None) -> None:
        """The §4 balance for every org and every year of the history (2008-2025)."""
        for org in self.history.tree.orgs:
            for year in range(2009, 2026, 2):  # each answer also holds the previous year
                report = self.annual(org, year, known_at)
                for figures in (report, report["previous_year"]):
                    assert_balanced(figures)


def assert_balanced(figures: dict[str, Any]) -> None:
    expected = (
        figures["members_at_start"]
        + sum(figures[k] for k in BALANCE_KEYS)
        - sum(figures[k] for k in EXIT_KEYS)
    )
    assert figures["balanced"] is True, figures
    assert figures["members_at_end"] == expected, figures


# --- property tests ---------------------------------------------------------------------------

shapes = st.tuples(st.integers(2, 3), st.integers(2, 3))
PROPERTY_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(
    sizes=shapes,
    members=st.integers(4, len(MEMBER_NAMES)),
    steps=st.integers(25, 70),
    catch_up=st.floats(0, 1),
    data=st.data(),
)
def test_read_models_equal_the_fold(
    app: LedgerApplication,
    models: ReadModels,
    sizes: tuple[int, int],
    members: int,
    steps: int,
    catch_up: float,
    data: st.DataObject,
) -> None:
    """Roster, annual report, member view, badges due and the quality findings about members
    equal the fold; every year of every org balances.

    The read models catch up after a random share of the facts (``catch_up``), so rows are
    both written at once and revised fact by fact (late deaths, retractions, late facts).
    """
    rng = data.draw(st.randoms(use_true_random=False), label="history")
    pace = random.Random(rng.random())
    history = generate(app, rng, sizes, members, steps, catching_up(models, pace, catch_up))
    comparison = Comparison.of(history, models)
    queries = data.draw(st.randoms(use_true_random=False), label="queries")
    comparison.random_queries(queries, rosters=40, annuals=15, views=30)
    comparison.balances(None)
    comparison.balances(queries.choice(comparison.knowledge_times()))


# --- deterministic histories ------------------------------------------------------------------


def small_tree(app: LedgerApplication) -> None:
    """hp -> d1 (c1, c2), d2 (c3)."""
    for org, parent in (
        ("hp", None),
        ("d1", "hp"),
        ("d2", "hp"),
        ("c1", "d1"),
        ("c2", "d1"),
        ("c3", "d2"),
    ):
        record_fact(
            app,
            {
                "type": ft.ORG_REGISTERED,
                "on": "1990-01-01",
                "org": org,
                "name": org.upper(),
                "parent": parent,
                "recorded_at": at("1990-01-01"),
            },
        )


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Asker:
    """Asks the read models and checks every answer against the fold."""

    def __init__(self, app: LedgerApplication, models: ReadModels, members: list[str]) -> None:
        log = EventLog.load(app, ["hp", "d1", "d2", "c1", "c2", "c3"], members)
        self.models, self.fold = models, Fold(log)

    def roster(self, org: str, as_of: str, known_at: datetime | None = None) -> dict[str, Any]:
        day = date.fromisoformat(as_of)
        got = self.models.roster(org, as_of=day, known_at=known_at, label="L").model_dump()
        assert without_label(got) == without_label(self.fold.fold_roster(org, day, known_at))
        return got

    def members(self, org: str, as_of: str, known_at: datetime | None = None) -> list[str]:
        return [line["member"] for line in self.roster(org, as_of, known_at)["members"]]

    def annual(self, org: str, year: int, known_at: datetime | None = None) -> dict[str, Any]:
        got = self.models.annual(org, year=year, known_at=known_at, label="L").model_dump()
        assert without_label(got) == without_label(self.fold.fold_annual(org, year, known_at))
        assert_balanced(got)
        assert_balanced(got["previous_year"])
        return got

    def member(self, member: str, as_of: str, known_at: datetime | None = None) -> dict[str, Any]:
        day = date.fromisoformat(as_of)
        got = self.models.member(member, as_of=day, known_at=known_at, label="L").model_dump()
        assert without_label(got) == without_label(self.fold.fold_member(member, day, known_at))
        return got


def test_a_late_death_rewrites_rosters_and_figures_from_the_death_on(
    app: LedgerApplication, models: ReadModels
) -> None:
    small_tree(app)
    for item in (
        admitted("m1", "c1", "2018-03-01", id="adm-m1"),
        admitted("m2", "c1", "2018-04-01", id="adm-m2"),
        fact("dossier_recorded", "m1", "2018-04-02"),
        fact("probation_completed", "m1", "2019-03-05"),
        fact("transferred_out", "m1", "2020-05-04", to_org="c3", id="out-m1"),
        fact("transferred_in", "m1", "2020-06-01", org="c3", id="in-m1"),
    ):
        record_fact(app, item)
    before = moment("2022-01-31T12:00:00+07:00")
    models.roster(
        "hp", as_of=date(2021, 1, 1), known_at=None, label="L"
    ).model_dump()  # rows written
    record_fact(app, fact("died", "m1", "2019-06-01", recorded=at("2022-02-01"), id="death"))
    ask = Asker(app, models, ["m1", "m2"])

    # Rosters: gone from the death date on; the old picture while the death was unknown.
    assert ask.members("c1", "2019-05-31") == ["m1", "m2"]
    assert ask.members("c1", "2019-06-01") == ["m2"]
    assert ask.members("c1", "2019-06-01", before) == ["m1", "m2"]
    assert ask.members("hp", "2021-12-31") == ["m2"]
    assert ask.roster("hp", "2021-12-31", before)["members"][0] == {
        "member": "m1",
        "org": "c3",
        "status": "official",
        "since": "2020-06-01",
    }
    assert ask.members("d2", "2020-12-31") == []
    assert ask.members("d2", "2020-12-31", before) == ["m1"]

    # Annual figures of 2019 (the death) and 2020 (the transfer, now inert).
    now19, old19 = ask.annual("d1", 2019), ask.annual("d1", 2019, before)
    assert (now19["died"], now19["members_at_end"], now19["probation_completed"]) == (1, 1, 1)
    assert (old19["died"], old19["members_at_end"], old19["probation_completed"]) == (0, 2, 1)
    assert now19["dossiers_recorded_at_end"] == 0 and old19["dossiers_recorded_at_end"] == 1
    now20, old20 = ask.annual("d1", 2020), ask.annual("d1", 2020, before)
    assert (now20["members_at_start"], now20["transferred_out"], now20["members_at_end"]) == (
        1,
        0,
        1,
    )
    assert (old20["members_at_start"], old20["transferred_out"], old20["members_at_end"]) == (
        2,
        1,
        1,
    )
    assert (
        ask.annual("d2", 2020)["transferred_in"],
        ask.annual("d2", 2020, before)["transferred_in"],
    ) == (0, 1)
    assert ask.annual("hp", 2020)["internal_moves"] == 0
    assert ask.annual("hp", 2020, before)["internal_moves"] == 1
    assert ask.annual("hp", 2021)["previous_year"]["members_at_end"] == 1
    assert ask.annual("hp", 2021, before)["previous_year"]["members_at_end"] == 2

    # The member view: died in c1; the transfers stay listed as anomalies.
    view, old = ask.member("m1", "2025-12-31"), ask.member("m1", "2025-12-31", before)
    assert (view["status"], view["org"], view["party_age_years"]) == ("died", "c1", 1)
    assert {f["id"]: f["anomaly"] for f in view["facts"]}["out-m1"] is True
    assert {f["id"]: f["anomaly"] for f in view["facts"]}["in-m1"] is True
    assert (old["status"], old["org"]) == ("official", "c3")
    assert not any(f["anomaly"] for f in old["facts"])


def test_a_retracted_admission_leaves_every_view_once_the_retraction_is_known(
    app: LedgerApplication, models: ReadModels
) -> None:
    small_tree(app)
    record_fact(app, admitted("m3", "c2", "2021-03-01", id="adm-m3", occupation="student"))
    record_fact(app, admitted("m4", "c1", "2021-04-01", id="adm-m4"))
    models.annual("hp", year=2021, known_at=None, label="L").model_dump()  # rows written
    before = moment("2021-08-31T12:00:00+07:00")
    record_fact(
        app,
        {
            "type": ft.RETRACTED,
            "on": "2021-09-01",
            "fact": "adm-m3",
            "reason": "admitted into the wrong ledger",
            "recorded_at": at("2021-09-01"),
        },
    )
    ask = Asker(app, models, ["m3", "m4"])

    assert ask.members("c2", "2021-06-30") == []
    assert ask.members("c2", "2021-06-30", before) == ["m3"]
    assert ask.members("d1", "2021-12-31") == ["m4"]
    assert ask.members("d1", "2021-12-31", before) == ["m3", "m4"]

    now, old = ask.annual("d1", 2021), ask.annual("d1", 2021, before)
    assert (
        now["admitted"],
        now["members_at_end"],
        now["admitted_by"]["occupation"]["student"],
    ) == (1, 1, 0)
    assert (
        old["admitted"],
        old["members_at_end"],
        old["admitted_by"]["occupation"]["student"],
    ) == (2, 2, 1)
    assert ask.annual("c2", 2021)["admitted"] == 0
    assert ask.annual("c2", 2021, before)["admitted"] == 1

    # Whatever D, also before the retraction's own date: the fact is listed as retracted.
    view = ask.member("m3", "2021-03-01")
    assert (view["status"], view["org"], view["party_age_years"]) == ("not_member", None, None)
    assert [(f["id"], f["retracted"]) for f in view["facts"]] == [("adm-m3", True)]
    old_view = ask.member("m3", "2021-03-01", before)
    assert (old_view["status"], old_view["org"]) == ("probationary", "c2")
    assert [(f["id"], f["retracted"]) for f in old_view["facts"]] == [("adm-m3", False)]


# --- rebuild ----------------------------------------------------------------------------------


def answers(models: ReadModels, history: History, rng: random.Random) -> list[Any]:
    """A fixed list of questions (drawn from ``rng``) with the read models' answers."""
    comparison = Comparison.of(history, models)
    orgs, days = history.tree.orgs, comparison.days()
    times = comparison.knowledge_times()
    out: list[Any] = []
    for _ in range(40):
        org, day, known_at = rng.choice(orgs), rng.choice(days), rng.choice(times)
        out.append(models.roster(org, as_of=day, known_at=known_at, label="L").model_dump())
        comparison.roster(org, day, known_at)
    for org in orgs:
        for year in (2010, 2014, 2018, 2022, 2025):
            known_at = rng.choice(times)
            out.append(models.annual(org, year=year, known_at=known_at, label="L").model_dump())
            comparison.annual(org, year, known_at)
    for member in history.members:
        for _ in range(4):
            day, known_at = rng.choice(days), rng.choice(times)
            out.append(models.member(member, as_of=day, known_at=known_at, label="L").model_dump())
            comparison.member(member, day, known_at)
    return out


@settings(
    max_examples=REBUILD_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sizes=shapes, steps=st.integers(40, 80), data=st.data())
def test_rebuild_answers_like_the_incrementally_maintained_read_models(
    app: LedgerApplication,
    models: ReadModels,
    sizes: tuple[int, int],
    steps: int,
    data: st.DataObject,
) -> None:
    rng = data.draw(st.randoms(use_true_random=False), label="history")
    pace = random.Random(rng.random())
    history = generate(app, rng, sizes, len(MEMBER_NAMES), steps, catching_up(models, pace, 0.4))
    seed = rng.random()
    incremental = answers(models, history, random.Random(seed))
    store = Store(app.database)
    try:
        rebuild(app.event_log, store)
        rebuilt_models = ReadModels(app.event_log, store)
        assert answers(rebuilt_models, history, random.Random(seed)) == incremental
    finally:
        store.close()


# --- the far end of time: 'not yet' sentinels must sort after every real date and time -------


def one_member(app: LedgerApplication) -> None:
    small_tree(app)
    record_fact(app, admitted("m1", "c1", "2020-01-01"))


def test_roster_as_of_the_last_representable_day(
    app: LedgerApplication, models: ReadModels
) -> None:
    one_member(app)
    roster = models.roster("c1", as_of=date(9999, 12, 31), known_at=None, label="L").model_dump()
    assert [line["member"] for line in roster["members"]] == ["m1"]


def test_annual_report_of_year_9999_balances(app: LedgerApplication, models: ReadModels) -> None:
    one_member(app)
    report = models.annual("c1", year=9999, known_at=None, label="L").model_dump()
    assert report["balanced"] is True
    assert report["members_at_end"] == 1


def test_known_at_far_in_the_future_knows_everything(
    app: LedgerApplication, models: ReadModels
) -> None:
    one_member(app)
    far = datetime(9999, 12, 31, 0, 0, tzinfo=UTC)
    roster = models.roster("c1", as_of=date(2021, 1, 1), known_at=far, label="L").model_dump()
    assert [line["member"] for line in roster["members"]] == ["m1"]
