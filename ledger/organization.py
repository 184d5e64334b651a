"""The organisation aggregate: registration, renaming, dissolution and declared head counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from ledger import errors
from ledger.events import FactEvent, create, org_uuid, trigger
from ledger.facts import (
    ORG_COUNT_DECLARED,
    ORG_DISSOLVED,
    ORG_REGISTERED,
    ORG_RENAMED,
    RETRACTED,
    Fact,
)
from ledger.rules import retraction_target
from ledger.timeline import Stay


@dataclass(frozen=True, slots=True)
class OrgInfo:
    """What member rules need to know of an organisation."""

    org: str
    parent: str | None
    registered_on: date
    dissolved_on: date | None

    def active_on(self, day: date) -> bool:
        """True when registered on or before ``day`` and not dissolved on ``day``."""
        return self.registered_on <= day and (self.dissolved_on is None or day < self.dissolved_on)


OrgDirectory = Callable[[str], OrgInfo | None]
"""Looks an organisation up by id; None when it was never registered."""


def check_active(orgs: OrgDirectory, org: str, day: date, fact_id: str) -> OrgInfo:
    """Raise unknown_org / org_inactive unless ``org`` is registered and active on ``day``."""
    info = orgs(org)
    if info is None:
        raise errors.UnknownOrg(f"org {org} is not registered", fact=fact_id)
    if not info.active_on(day):
        if day < info.registered_on:
            why = f"registered only on {info.registered_on}"
        else:
            why = f"dissolved on {info.dissolved_on}"
        raise errors.OrgInactive(f"org {org} is not active on {day}: {why}", fact=fact_id)
    return info


def check_stays(orgs: OrgDirectory, stays: Iterable[Stay], fact_id: str) -> None:
    """Refuse a timeline that keeps a member in, or in transit to, an org past its dissolution."""
    for stay in stays:
        info = orgs(stay.org)
        if info is None or info.dissolved_on is None:
            continue
        if stay.end is None or stay.end > info.dissolved_on:
            where = "in" if stay.kind == "placed" else "in transit to"
            raise errors.OrgInactive(
                f"the member would be {where} {stay.org} after its dissolution on "
                f"{info.dissolved_on}",
                fact=fact_id,
            )


def check_dissolution(
    info: OrgInfo,
    fact: Fact,
    children: Iterable[OrgInfo],
    member_stays: Mapping[str, Iterable[Stay]],
) -> None:
    """An org is dissolved only without members, incoming transfers and active children."""
    for child in children:
        if child.dissolved_on is None or child.dissolved_on > fact.on:
            raise errors.Conflict(
                f"org {info.org} still has the active child org {child.org} on {fact.on}",
                fact=fact.id,
            )
    for member, stays in sorted(member_stays.items()):
        for stay in stays:
            if stay.org == info.org and (stay.end is None or stay.end > fact.on):
                what = "member" if stay.kind == "placed" else "member in transit towards it"
                raise errors.Conflict(
                    f"org {info.org} has the {what} {member} on or after {fact.on}",
                    fact=fact.id,
                )


class Organization(Aggregate):
    """An org of the tree. Its facts are its registration, renames, dissolution and counts."""

    class Registered(FactEvent, Aggregate.Created):
        """The org was registered (its first fact)."""

        fact_type = ORG_REGISTERED

    class Recorded(FactEvent):
        """A later fact about the org."""

        def apply(self, aggregate: Any) -> None:
            aggregate.add(self.to_fact(len(aggregate.facts)))

    class Renamed(Recorded):
        fact_type = ORG_RENAMED

    class Dissolved(Recorded):
        fact_type = ORG_DISSOLVED

    class CountDeclared(Recorded):
        fact_type = ORG_COUNT_DECLARED

    class Retracted(Recorded):
        fact_type = RETRACTED

    def __init__(
        self,
        fact_id: str,
        on: date,
        recorded_at: datetime,
        data: dict[str, Any],
        ref: str | None,
        note: str | None,
        recorded_by: str | None = None,
    ) -> None:
        self.org = str(data["org"])
        self.name = str(data["name"])
        self.parent: str | None = data.get("parent")
        self.registered_on = on
        self.dissolved_on: date | None = None
        self.facts: list[Fact] = [
            Fact(fact_id, ORG_REGISTERED, on, recorded_at, 0, data, ref, note, recorded_by)
        ]
        self.info = OrgInfo(self.org, self.parent, self.registered_on, self.dissolved_on)
        """The org as member rules see it (made again when it changes: every member fact
        asks for it)."""

    @classmethod
    def register(cls, fact: Fact, orgs: OrgDirectory) -> Organization:
        """Register a new org; its parent must be active on ``fact.on``."""
        org = str(fact.data["org"])
        if orgs(org) is not None:
            raise errors.Conflict(f"org {org} is already registered", fact=fact.id)
        parent = fact.data.get("parent")
        if parent is not None:
            info = check_active(orgs, str(parent), fact.on, fact.id)
            if info.dissolved_on is not None:
                # The child would stay active under a parent that no longer exists.
                raise errors.OrgInactive(
                    f"parent org {parent} is dissolved on {info.dissolved_on}", fact=fact.id
                )
        return create(cls, cls.Registered, org_uuid(org), fact)

    def add(self, fact: Fact) -> None:
        """Apply one of the org's later facts to its state."""
        self.facts.append(fact)
        if fact.type == ORG_RENAMED:
            self.name = str(fact.data["name"])
        elif fact.type == ORG_DISSOLVED:
            self.dissolved_on = fact.on
            self.info = OrgInfo(self.org, self.parent, self.registered_on, self.dissolved_on)

    def rename(self, fact: Fact) -> None:
        """Record a new name."""
        check_active(lambda _: self.info, self.org, fact.on, fact.id)
        trigger(self, self.Renamed, fact)

    def dissolve(
        self,
        fact: Fact,
        children: Iterable[OrgInfo],
        member_stays: Mapping[str, Iterable[Stay]],
    ) -> None:
        """Dissolve the org; see ``check_dissolution``."""
        if self.dissolved_on is not None:
            raise errors.Conflict(
                f"org {self.org} was already dissolved on {self.dissolved_on}", fact=fact.id
            )
        check_active(lambda _: self.info, self.org, fact.on, fact.id)
        check_dissolution(self.info, fact, children, member_stays)
        trigger(self, self.Dissolved, fact)

    def declare_count(self, fact: Fact) -> None:
        """Keep a head count reported by hand, for reconciliation."""
        check_active(lambda _: self.info, self.org, fact.on, fact.id)
        trigger(self, self.CountDeclared, fact)

    def retract(self, fact: Fact) -> None:
        """Retract one of the org's count declarations."""
        target = retraction_target(self.facts, fact, self.org, (ORG_COUNT_DECLARED,))
        if fact.recorded_at < target.recorded_at:
            raise errors.Conflict(
                f"recorded_at {fact.recorded_at.isoformat()} is before "
                f"{target.recorded_at.isoformat()} of fact {target.id}: a retraction cannot be "
                "recorded before the fact it retracts",
                fact=fact.id,
                conflicting=target.id,
            )
        trigger(self, self.Retracted, fact)


ORG_EVENTS: dict[str, type[FactEvent]] = {
    cls.fact_type: cls
    for cls in (
        Organization.Registered,
        Organization.Renamed,
        Organization.Dissolved,
        Organization.CountDeclared,
        Organization.Retracted,
    )
}
