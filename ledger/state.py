"""Where a member stands after some prefix of the timeline: phases, stays and the state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from ledger.dates import party_age_years

NONE = "none"
PLACED = "placed"
IN_TRANSIT = "in_transit"
AWAY = "transferred_away"
EXITED = "exited"
DEAD = "dead"

READMISSION_DELAY_MONTHS = 36
PROBATION_MONTHS = 12
MINIMUM_AGE = 18


class Stay(NamedTuple):
    """An interval during which a member occupies an org: placed in it, or in transit to it."""

    org: str
    kind: str  # "placed" or "incoming"
    start: date
    end: date | None  # exclusive; None while still open


@dataclass
class MemberState:
    """Where a member stands after some prefix of the timeline."""

    phase: str = NONE
    standing: str | None = None
    org: str | None = None
    to_org: str | None = None
    exit_status: str | None = None
    exit_on: date | None = None
    died_on: date | None = None
    first_admission: date | None = None
    gap_days: int = 0
    probation_start: date | None = None
    entry_fact: str | None = None
    admissions: int = 0
    readmissions: int = 0
    badges: dict[int, date] = field(default_factory=dict)
    away_since: date | None = None
    away_fact: str | None = None
    exempt: bool = False
    dossier_on: date | None = None
    since: date | None = None
    transfer_fact: str | None = None
    transfer_on: date | None = None

    @property
    def status(self) -> str:
        """The member status of SPEC §4 (not_member, probationary, official, in_transit…)."""
        if self.phase == NONE:
            return "not_member"
        if self.phase == PLACED:
            return self.standing or "not_member"
        if self.phase == IN_TRANSIT:
            return "in_transit"
        if self.phase == AWAY:
            return AWAY
        if self.phase == DEAD:
            return "died"
        return self.exit_status or "not_member"

    @property
    def is_member(self) -> bool:
        """True while placed in an org of the ledger or in transit between two of them."""
        return self.phase in (PLACED, IN_TRANSIT)

    @property
    def ever_member(self) -> bool:
        """True once the member has been admitted or has arrived."""
        return self.first_admission is not None

    def view(self) -> tuple[str, str | None, str | None, str | None]:
        """The member view's (status, standing, org, to_org) of SPEC §4.

        ``standing`` while a member (also in transit or away); ``org`` the current org, the
        source while in transit, the last one after an exit; ``to_org`` only in transit.
        """
        member = self.phase not in (NONE, EXITED, DEAD)
        return (
            self.status,
            self.standing if member else None,
            self.org if self.phase != NONE else None,
            self.to_org if self.phase == IN_TRANSIT else None,
        )

    def party_age(self, day: date) -> int | None:
        """Party age in whole years at ``day``; frozen at the exit date after an exit."""
        if self.first_admission is None:
            return None
        frozen = self.died_on if self.phase == DEAD else self.exit_on
        if self.phase not in (EXITED, DEAD):
            frozen = None
        return party_age_years(self.first_admission, self.gap_days, day, frozen)

    def unfrozen_party_age(self, day: date) -> int | None:
        """Party age at ``day`` as if no exit had happened (for posthumous badges)."""
        if self.first_admission is None:
            return None
        return party_age_years(self.first_admission, self.gap_days, day)


def copy_state(state: MemberState) -> MemberState:
    # A plain __dict__ copy: replays copy the state once per fact, so this is a hot path.
    copy = object.__new__(MemberState)
    copy.__dict__ = state.__dict__.copy()
    copy.badges = dict(state.badges)
    return copy
