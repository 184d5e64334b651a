"""The builder: decides the whole demo history before anything is emitted.

``_Builder`` combines the parts of the builder, one module each (they share ``BuilderBase``):
``population`` (who is in the city), ``movements`` (exits, deaths and transfers), ``problems``
(the seed's problems) and ``records`` (badges, dossiers, declared counts). ``build`` runs them in
a fixed order on one random generator, so the order of the random draws is that order.
"""

from __future__ import annotations

from datetime import date

from demo.builder.movements import Movements
from demo.builder.population import Population
from demo.builder.problems import Problems
from demo.builder.records import Records
from demo.members import id_digits
from demo.orgs import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES
from demo.plan import CITY, REPORT_YEAR, PlanError


class _Builder(Population, Movements, Problems, Records):
    """Decides the whole history (``lives`` and ``orgs``) before anything is emitted."""

    # --- checks -------------------------------------------------------------------------------

    def check(self) -> None:
        """The plan's city-level figures of 2021, as the generator sees its own history."""
        end = date(REPORT_YEAR, 12, 31)
        roster = sum(1 for life in self.lives if life.on_roster(end))
        if roster != self.plan.members_at_end:
            raise PlanError(f"{roster} members on 31-12-2021, {self.plan.members_at_end} planned")

    def build(self) -> None:
        self.build_orgs()
        self.initial_population()
        for year, yp in sorted(self.plan.years.items()):
            admitted = self.admissions(year, yp)
            self.returns(year, yp.returns)
            self.arrivals(year, yp.transferred_in - yp.returns)
            self.exits(year, yp, admitted)
        for year, yp in sorted(self.plan.years.items()):
            self.moves(year, yp.internal_moves)
        self.problems()
        self.badges()
        self.adjust_badges()
        self.dossiers()
        self.declared_counts()
        self.check()
        self.name_everyone()

    def name_everyone(self) -> None:
        rng = self.rng
        families = [name for name, _ in FAMILY_NAMES]
        family_weights = [w for _, w in FAMILY_NAMES]
        ordered = sorted(self.lives, key=lambda x: (x.admitted, x.entry, x.key))
        digits = id_digits(len(ordered))
        for number, life in enumerate(ordered, start=1):
            life.member = f"{CITY}-m{number:0{digits}d}"
            family = rng.choices(families, weights=family_weights)[0]
            middle = rng.choice(MIDDLE_NAMES[life.female])
            given = rng.choice(GIVEN_NAMES[life.female])
            life.name = f"{family} {middle} {given}"
        self.lives = ordered
