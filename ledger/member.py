"""The member aggregate: its events are the member's facts, its state is their timeline."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import errors
from ledger import facts as ft
from ledger.events import FactEvent, create, member_uuid, trigger
from ledger.facts import Fact
from ledger.organization import OrgDirectory, check_active, check_stays
from ledger.timeline import (
    Replay,
    active_timeline,
    check_candidate,
    check_recording_order,
    check_retraction,
    replay,
)

ORG_FIELDS = {ft.ADMITTED: "org", ft.TRANSFERRED_IN: "org", ft.TRANSFERRED_OUT: "to_org"}
"""The field of each member fact type that names an org the fact places the member in."""


class Member(Aggregate):
    """One person's membership. Validation is a pure function of ``facts`` (see timeline)."""

    class Opened(Aggregate.Created):
        """A marker that opened a member's aggregate before its first fact, in logs written
        before the first fact itself became the opening event; such logs still load."""

        member: str

    class Recorded(FactEvent):
        """An accepted fact about the member."""

        def apply(self, aggregate: Any) -> None:
            aggregate.facts.append(self.to_fact(len(aggregate.facts)))
            aggregate.last_replay = None  # recomputed on demand; ``record`` keeps it fresh

    class Admitted(Recorded):
        fact_type = ft.ADMITTED

    class ProbationCompleted(Recorded):
        fact_type = ft.PROBATION_COMPLETED

    class TransferredOut(Recorded):
        fact_type = ft.TRANSFERRED_OUT

    class TransferredIn(Recorded):
        fact_type = ft.TRANSFERRED_IN

    class BadgeAwarded(Recorded):
        fact_type = ft.BADGE_AWARDED

    class Expelled(Recorded):
        fact_type = ft.EXPELLED

    class Removed(Recorded):
        fact_type = ft.REMOVED

    class Resigned(Recorded):
        fact_type = ft.RESIGNED

    class Died(Recorded):
        fact_type = ft.DIED

    class DossierRecorded(Recorded):
        fact_type = ft.DOSSIER_RECORDED

    class WentAway(Recorded):
        fact_type = ft.WENT_AWAY

    class Returned(Recorded):
        fact_type = ft.RETURNED

    class Exempted(Recorded):
        fact_type = ft.EXEMPTED

    class ExemptionEnded(Recorded):
        fact_type = ft.EXEMPTION_ENDED

    class CardIssued(Recorded):
        fact_type = ft.CARD_ISSUED

    class FactRetracted(Recorded):
        fact_type = ft.RETRACTED

    class FirstAdmitted(Admitted, Aggregate.Created):
        """An admission that opens the aggregate: the ledger first hears of the member."""

        member: str

    class FirstArrived(TransferredIn, Aggregate.Created):
        """An arrival from outside that opens the aggregate."""

        member: str

    def __init__(self, member: str) -> None:
        self.member = member
        self.facts: list[Fact] = []
        self.last_replay: Replay | None = None

    @staticmethod
    def create_id(member: str) -> UUID:
        """Members are found by their ledger id."""
        return member_uuid(member)

    @property
    def next_seq(self) -> int:
        """The recording position the next fact will take."""
        return len(self.facts)

    @classmethod
    def join(cls, member: str, fact: Fact, orgs: OrgDirectory) -> Member:
        """The aggregate of a member the ledger never heard of, opened by its first fact."""
        outcome = _validated([], None, fact, orgs)
        opening = cls.FirstAdmitted if fact.type == ft.ADMITTED else cls.FirstArrived
        aggregate = create(cls, opening, member_uuid(member), fact, member=member)
        aggregate.last_replay = outcome
        return aggregate

    def record(self, fact: Fact, orgs: OrgDirectory) -> Replay:
        """Validate ``fact`` against the timeline and the orgs, then record it."""
        outcome = _validated(self.facts, self.last_replay, fact, orgs)
        trigger(self, MEMBER_EVENTS[fact.type], fact)
        self.last_replay = outcome
        return outcome

    def retract(self, fact: Fact, orgs: OrgDirectory) -> Replay:
        """Retract one of the member's facts, if the timeline stays valid without it."""
        outcome = check_retraction(self.facts, fact)
        try:
            check_stays(orgs, outcome.stays, fact.id)
        except errors.LedgerError as err:
            raise errors.RetractionConflict(
                f"without {fact.target}: {err.message}", fact=fact.id
            ) from err
        trigger(self, self.FactRetracted, fact)
        self.last_replay = outcome
        return outcome

    def current(self) -> Replay:
        """The replay of everything known now."""
        if self.last_replay is None:
            self.last_replay = replay(active_timeline(self.facts), keep_steps=False)
        return self.last_replay


def _validated(facts: list[Fact], last: Replay | None, fact: Fact, orgs: OrgDirectory) -> Replay:
    check_recording_order(facts, fact)
    org_field = ORG_FIELDS.get(fact.type)
    org = fact.data.get(org_field) if org_field else None
    if org is not None:
        check_active(orgs, str(org), fact.on, fact.id)
    outcome = check_candidate(facts, fact, last)
    check_stays(orgs, outcome.stays, fact.id)
    return outcome


MEMBER_EVENTS: dict[str, type[FactEvent]] = {
    cls.fact_type: cls
    for cls in vars(Member).values()
    if isinstance(cls, type)
    and issubclass(cls, Member.Recorded)
    and not issubclass(cls, Aggregate.Created)
    and cls.fact_type
}
"""The event class of each member fact type, after the first fact."""
