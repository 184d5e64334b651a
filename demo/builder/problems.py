"""The seed's problems: members in transit or away for months, overdue probations, late deaths."""

from __future__ import annotations

from datetime import date, timedelta

from demo.builder.base import BuilderBase
from demo.members import Move, _day, _int, _pick
from demo.plan import END, REPORT_YEAR


class Problems(BuilderBase):
    """Plants the problems the seed complains about among members who are otherwise quiet."""

    # --- the seed's problems ------------------------------------------------------------------

    def problems(self) -> None:
        rng = self.rng
        plan = self.plan
        quiet = [
            life for life in self.lives
            if life.exit_on is None and not life.locked and life.entry < date(2020, 1, 1)
            and (life.probation is None or life.probation < date(2020, 1, 1))
            and all(m.leaves < date(2019, 6, 1) for m in life.moves)
        ]  # fmt: skip
        # Members in transit for months: the receiving org never recorded the arrival.
        for n, life in enumerate(_pick(rng, quiet, lambda _: 1.0, plan.stuck_in_transit, "stuck")):
            leaves = (
                _day(rng, date(2021, 9, 1), date(2021, 11, 30))
                if n < 2
                else _day(rng, date(2022, 3, 1), date(2022, 8, 31))
            )
            here, _ = life.org_on(leaves)
            committee = self.committee_of[here]
            target = rng.choice([c for c, _, _, _ in self.committees if c != committee])
            life.moves.append(Move(leaves, rng.choice(self.cells[target]).org, None))
            life.locked = True
        # Members working elsewhere without a transfer; some for more than 12 months.
        quiet = [life for life in quiet if not life.locked]
        away = _pick(rng, quiet, lambda _: 1.0, plan.away, "members away")
        for n, life in enumerate(away):
            if n < plan.away_for_good:
                life.extras.append((_day(rng, date(2020, 6, 1), date(2021, 11, 30)), "went_away"))
            else:
                went = _day(rng, date(2020, 1, 15), date(2022, 6, 30))
                back = min(END - timedelta(days=1), went + timedelta(days=_int(rng, 60, 300)))
                life.extras += [(went, "went_away"), (back, "returned")]
            life.locked = True
        # Probation decisions overdue: admitted in early 2021, never decided.
        admitted = [
            life for life in self.lives
            if life.entry.year == REPORT_YEAR and life.arrived_from is None
            and life.prior is None and life.exit_on is None
            and life.entry <= date(2021, 4, 30) and life.probation is not None
        ]  # fmt: skip
        for life in _pick(rng, admitted, lambda _: 1.0, plan.overdue_probations, "overdue"):
            life.probation = None
            life.locked = True
        # Deaths reported months late, after the cell exempted the member from activities.
        dead = [
            life for life in self.lives
            if life.exit_kind == "died" and date(2021, 1, 1) <= life.exit_on <= date(2022, 6, 30)  # type: ignore[operator]
            and life.official_on(life.exit_on)  # type: ignore[arg-type]
            and life.org_on(life.exit_on)[1] is None  # type: ignore[arg-type]
            and not life.extras
        ]  # fmt: skip
        for life in _pick(rng, dead, lambda _: 1.0, plan.anomalies, "anomalies"):
            assert life.exit_on is not None
            kind = rng.choice(("exempted", "card_issued"))
            life.anomaly = (life.exit_on + timedelta(days=_int(rng, 15, 45)), kind)
