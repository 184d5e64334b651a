"""The base of every stored fact event: the common fields of a fact, kept verbatim."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.facts import Fact


class FactEvent(Aggregate.Event):
    """An accepted fact. Subclasses fix ``fact_type``; ``data`` holds the type's own fields."""

    fact_type: ClassVar[str] = ""
    fact_id: str
    on: date
    recorded_at: datetime
    data: dict[str, Any]
    ref: str | None
    note: str | None
    recorded_by: str | None
    """Who recorded the fact (events stored before this field existed have none: read it with
    ``getattr(event, "recorded_by", None)``, as ``to_fact`` does)."""

    def to_fact(self, seq: int) -> Fact:
        """The fact as the rules see it, at position ``seq`` of its subject's recording order."""
        return Fact(
            id=self.fact_id,
            type=self.fact_type,
            on=self.on,
            recorded_at=self.recorded_at,
            seq=seq,
            data=self.data,
            ref=self.ref,
            note=self.note,
            recorded_by=getattr(self, "recorded_by", None),
        )


def event_fields(fact: Fact) -> dict[str, Any]:
    """Keyword arguments that turn ``fact`` into a ``FactEvent``."""
    return {
        "fact_id": fact.id,
        "on": fact.on,
        "recorded_at": fact.recorded_at,
        "data": dict(fact.data),
        "ref": fact.ref,
        "note": fact.note,
        "recorded_by": fact.recorded_by,
    }


@lru_cache(maxsize=65_536)
def member_uuid(member: str) -> UUID:
    """The aggregate id of a member: stable, derived from the ledger id."""
    return uuid5(NAMESPACE_URL, f"/members/{member}")


@lru_cache(maxsize=65_536)
def org_uuid(org: str) -> UUID:
    """The aggregate id of an organisation."""
    return uuid5(NAMESPACE_URL, f"/orgs/{org}")
