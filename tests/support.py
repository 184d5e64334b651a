"""Helpers that let a test state a history in a few lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from commands.application import LedgerApplication
from commands.record import Outcome, record_fact
from ledger.dates import add_months  # noqa: F401  (re-exported for tests)
from ledger.errors import LedgerError
from projections.queries import member_report


@dataclass
class Clock:
    """A settable clock: ``now`` until a test changes it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


class LedgerHarness:
    """Record facts with defaults filled in; ask for member views."""

    def __init__(self, app: LedgerApplication, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    def record(self, fact: dict[str, Any]) -> Outcome:
        """Record a fact; with no ``recorded_at`` the clock's now is used."""
        return record_fact(self.app, fact)

    def refusal(self, fact: dict[str, Any]) -> LedgerError:
        """Record a fact that must be refused; return the error."""
        try:
            outcome = record_fact(self.app, fact)
        except LedgerError as err:
            return err
        raise AssertionError(f"fact was not refused but {outcome}: {fact}")

    def code(self, fact: dict[str, Any]) -> str:
        """The error code a refused fact gets."""
        return self.refusal(fact).code

    def org(
        self, org: str, parent: str | None = None, on: str = "1930-01-01", **extra: Any
    ) -> None:
        """Register an org (active since 1930 unless told otherwise)."""
        self.record(
            {
                "type": "organization.registered",
                "on": on,
                "org": org,
                "name": org.upper(),
                "parent": parent,
                "recorded_at": f"{on}T00:00:00+07:00",
                **extra,
            }
        )

    def tree(self) -> None:
        """The usual tree: city hp; committees d1, d2; cells c1, c2 (in d1) and c3 (in d2)."""
        self.org("hp")
        self.org("d1", "hp")
        self.org("d2", "hp")
        self.org("c1", "d1")
        self.org("c2", "d1")
        self.org("c3", "d2")

    def view(
        self, member: str, as_of: str = "2025-12-31", known_at: datetime | None = None
    ) -> dict[str, Any]:
        """The member view of SPEC §4."""
        from datetime import date

        return member_report(
            self.app.event_log,
            member,
            as_of=date.fromisoformat(as_of),
            known_at=known_at,
            label=(known_at or self.clock.now).isoformat(),
        ).model_dump()


def at(day: str, hour: int = 9) -> str:
    """A recorded_at on ``day`` at ``hour`` o'clock, Hanoi time."""
    return f"{day}T{hour:02d}:00:00+07:00"


def admitted(
    member: str, org: str, on: str, recorded: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A member.admitted fact with plausible person fields."""
    fact: dict[str, Any] = {
        "type": "member.admitted",
        "on": on,
        "member": member,
        "org": org,
        "person": {"name": f"Person {member}", "gender": "female", "birth_date": "1960-05-01"},
        "youth_union": False,
        "occupation": "other",
        "recorded_at": recorded or at(on),
    }
    fact.update(extra)
    return fact


def fact(
    kind: str, member: str, on: str, recorded: str | None = None, **fields: Any
) -> dict[str, Any]:
    """Any member fact: ``fact("died", "m1", "2021-03-01")``."""
    return {
        "type": f"member.{kind}",
        "on": on,
        "member": member,
        "recorded_at": recorded or at(on),
        **fields,
    }


def later(moment: datetime, **delta: float) -> datetime:
    """``moment`` moved on."""
    return moment + timedelta(**delta)
