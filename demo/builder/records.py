"""The members' records: badges, dossiers, and the committees' declared counts of 2021."""

from __future__ import annotations

from datetime import date, timedelta

from demo.builder.base import BuilderBase
from demo.members import (
    Badge,
    Life,
    _ceremonies_before,
    _ceremony_after,
    _ceremony_on_or_after,
    _day,
    _int,
    _pick,
)
from demo.orgs import UNDECLARED_COMMITTEE
from demo.plan import END, REPORT_YEAR, WINDOW, PlanError
from ledger.dates import add_months, add_years
from ledger.facts import BADGE_MILESTONES


class Records(BuilderBase):
    """Decides badges and dossiers to meet the plan, and each committee's declared head count."""

    # --- badges -------------------------------------------------------------------------------

    def badges(self) -> None:
        rng = self.rng
        for life in self.lives:
            if life.prior is not None:
                continue  # re-admitted members have less than 30 years
            awards: list[Badge] = []
            died = life.exit_on if life.exit_kind == "died" else None
            for years in BADGE_MILESTONES:
                due = add_years(life.admitted, years)
                if due > END or (died is not None and due > add_months(died, 12)):
                    break
                if due < life.entry:
                    continue  # reached before arriving: awarded elsewhere
                on = _ceremony_on_or_after(due)
                if life.return_on is not None and on < life.return_on and not life.on_roster(on):
                    on = _ceremony_on_or_after(life.return_on)  # away then: after the return
                if died is not None and on >= died:
                    horizon = 24 if years >= 70 else 12
                    early = [
                        c for c in _ceremonies_before(died, max(life.entry, WINDOW))
                        if due <= add_months(c, horizon) and life.on_roster(c)
                    ]  # fmt: skip
                    if early and rng.random() < 0.15:
                        awards.append(Badge(early[0], years, early=True))
                    elif died >= WINDOW and rng.random() < 0.6:
                        posthumous = _ceremony_after(died)
                        if posthumous <= END:
                            awards.append(Badge(posthumous, years, posthumous=True))
                    break
                if on > END or not life.on_roster(on):
                    break
                awards.append(Badge(on, years))
            before = [b for b in awards if b.on < WINDOW]
            life.badges = before[-1:] + [b for b in awards if b.on >= WINDOW]

    def adjust_badges(self) -> None:
        """Defer the latest awards of 2021 to the first ceremony of 2022 to meet the count."""
        awarded = [
            (badge.on, life.key, life, badge)
            for life in self.lives for badge in life.badges if badge.on.year == REPORT_YEAR
        ]  # fmt: skip
        excess = len(awarded) - self.plan.badges
        if excess < 0:
            raise PlanError(
                f"only {len(awarded)} badges come due in 2021, {self.plan.badges} needed"
            )
        deferred_to = _ceremony_after(date(REPORT_YEAR, 12, 31))
        awarded.sort(key=lambda item: (item[0], item[1]), reverse=True)
        for _, _, life, badge in awarded:
            if excess == 0:
                break
            if badge.early or badge.posthumous or not life.on_roster(deferred_to):
                continue
            badge.on = deferred_to
            excess -= 1
        if excess:
            raise PlanError(f"{excess} badges of 2021 could not be deferred")

    # --- dossiers -----------------------------------------------------------------------------

    def dossiers(self) -> None:
        rng = self.rng
        year_end = date(REPORT_YEAR, 12, 31)
        report_admits: list[Life] = []
        for life in self.lives:
            if life.entry.year == REPORT_YEAR and life.arrived_from is None:
                report_admits.append(life)
            if life.prior is not None:
                pass  # the dossier of the earlier membership
            elif life.entry < WINDOW and life.migrated is not None:
                life.dossier = life.migrated
            elif life.arrived_from is not None:
                life.dossier = life.entry + timedelta(days=_int(rng, 0, 14))
            elif life.entry.year == REPORT_YEAR:
                continue
            else:
                life.dossier = life.entry + timedelta(days=_int(rng, 15, 240))
            if life.dossier is not None and (
                life.dossier > END or (life.exit_on is not None and life.dossier >= life.exit_on)
            ):
                life.dossier = None
        # 2021: the planned number entered by the end of the year; the others in 2022 or never.
        staying = [x for x in report_admits if x.exit_on is None or x.exit_on > year_end]
        with_prior = [x for x in report_admits if x.prior is not None]
        fresh = [x for x in staying if x.prior is None and x.entry <= date(REPORT_YEAR, 12, 15)]
        wanted = self.plan.admitted_with_dossier - len(with_prior)
        lateness = {x.key: (x.entry - date(REPORT_YEAR, 1, 1)).days for x in fresh}
        entered = _pick(
            rng, fresh, lambda x: 1.0 / (1 + lateness[x.key]) ** 0.5, wanted, "dossiers"
        )
        chosen = {x.key for x in entered}
        for life in report_admits:
            if life.prior is not None:
                continue
            if life.key in chosen:
                life.dossier = _day(rng, life.entry + timedelta(days=7),
                                    min(year_end, life.entry + timedelta(days=240)))  # fmt: skip
            elif life.exit_on is not None and life.exit_on <= year_end:
                life.dossier = None  # transferred out with the dossier
            elif rng.random() < 0.9:
                life.dossier = max(life.entry + timedelta(days=_int(rng, 15, 240)),
                                   year_end + timedelta(days=_int(rng, 5, 60)))  # fmt: skip
            else:
                life.dossier = None
            if (
                life.dossier is not None
                and life.exit_on is not None
                and life.dossier >= life.exit_on
            ):
                life.dossier = None
        # 2020 admissions whose dossier was entered only in 2022.
        late = [
            x for x in self.lives
            if x.entry.year == REPORT_YEAR - 1 and x.arrived_from is None and x.prior is None
            and x.on_roster(year_end) and x.dossier is not None
        ]  # fmt: skip
        for life in _pick(rng, late, lambda _: 1.0, self.plan.late_dossiers, "late dossiers"):
            life.dossier = _day(rng, date(2022, 1, 10), date(2022, 6, 30))
            if life.exit_on is not None and life.dossier >= life.exit_on:
                life.dossier = None
        # Lost dossiers of old members make up the rest of the planned gap.
        roster = [x for x in self.lives if x.on_roster(year_end)]
        missing = sum(1 for x in roster if x.dossier is None or x.dossier > year_end)
        lost = (len(roster) - self.plan.dossiers_at_end) - missing
        if lost < 0:
            raise PlanError(f"{missing} members lack a dossier; the plan allows {lost + missing}")
        old = [x for x in roster if x.entry < date(1990, 1, 1) and x.dossier is not None]
        for life in _pick(rng, old, lambda _: 1.0, lost, "lost dossiers"):
            life.dossier = None

    # --- declared counts ----------------------------------------------------------------------

    def declared_counts(self) -> None:
        day = date(REPORT_YEAR, 12, 31)
        counts = {code: 0 for code, _, _, _ in self.committees}
        gone = {code: 0 for code, _, _, _ in self.committees}
        for life in self.lives:
            if life.on_roster(day):
                org, to_org = life.org_on(day)
                committee = self.committee_of[org]
                if to_org is None or self.committee_of[to_org] == committee:
                    counts[committee] += 1
            if life.exit_kind == "away" and life.exit_on and life.exit_on.year == REPORT_YEAR:
                gone[self.committee_of[life.org_on(life.exit_on - timedelta(days=1))[0]]] += 1
            for move in life.moves:
                if move.leaves.year == REPORT_YEAR:
                    org, _ = life.org_on(move.leaves - timedelta(days=1))
                    if self.committee_of[org] != self.committee_of[move.to_org]:
                        gone[self.committee_of[org]] += 1
        for code, count in counts.items():
            extra = gone[code] if code == UNDECLARED_COMMITTEE else 0
            self.declared.append((code, count + extra))
