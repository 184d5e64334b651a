"""The base of every stored fact event: the common fields of a fact, kept verbatim."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, ClassVar, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import (  # type: ignore[attr-defined]  # its re-export of utils.get_topic
    Aggregate,
    get_topic,
)

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


# --- events made directly ----------------------------------------------------------------------
# The library's ``trigger_event`` and ``_create`` copy their keyword arguments twice, look the
# aggregate's ``__init__`` parameters up by signature for every new aggregate and check topics
# the ledger never registers: a fifth of an import's time. These make the very same event
# objects (the same fields in the same order, hence the same stored state) and apply them the
# library's way (``mutate``, ``apply``, pending events); tests/ledger/test_events.py compares
# both, field by field, on every event class.

Agg = TypeVar("Agg", bound=Aggregate)


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _init_names(cls: type) -> tuple[str, ...]:
    parameters = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    if "id" in parameters:
        raise TypeError(f"{cls.__name__}.__init__ takes the id: build it with the library")
    return tuple(name for name in parameters if name != "self")


def new_event(
    cls: type[FactEvent], originator_id: UUID, version: int, fact: Fact, **extra: Any
) -> Any:
    """The event ``cls`` of ``fact``, number ``version`` of its aggregate, stamped now: what
    ``cls(originator_id=…, originator_version=…, timestamp=…, **event_fields(fact))`` makes."""
    values = {
        "originator_id": originator_id,
        "originator_version": version,
        "timestamp": cls.create_timestamp(),
        **event_fields(fact),
        **extra,
    }
    names = _field_names(cls)
    event = object.__new__(cls)
    # Frozen: the fields are set in the instance's dict, in the dataclass's order, as its
    # ``__init__`` sets them (an opening event's ``originator_topic`` comes before the fact's).
    if tuple(values) == names:
        event.__dict__.update(values)
    elif len(values) == len(names):
        event.__dict__.update({name: values[name] for name in names})
    else:
        raise TypeError(f"{cls.__qualname__} has the fields {names}, not {sorted(values)}")
    return event


def trigger(aggregate: Aggregate, cls: type[FactEvent], fact: Fact) -> None:
    """``aggregate.trigger_event(cls, **event_fields(fact))``: the next event, applied."""
    event = new_event(cls, aggregate.id, aggregate.version + 1, fact)
    event.mutate(aggregate)
    aggregate.pending_events.append(event)


def create(
    aggregate_cls: type[Agg], cls: type[FactEvent], originator_id: UUID, fact: Fact, **extra: Any
) -> Agg:
    """``aggregate_cls._create(cls, id=originator_id, **event_fields(fact), **extra)``: the
    opening event, and the aggregate made from it as the library's ``CanInitAggregate.mutate``
    makes it."""
    event = new_event(
        cls,
        originator_id,
        aggregate_cls.INITIAL_VERSION,
        fact,
        originator_topic=get_topic(aggregate_cls),
        **extra,
    )
    aggregate = aggregate_cls.__new__(aggregate_cls)
    aggregate.__base_init__(originator_id, event.originator_version, event.timestamp)
    state = event.__dict__
    aggregate.__init__(**{name: state[name] for name in _init_names(aggregate_cls)})  # type: ignore[misc]
    event.apply(aggregate)
    aggregate.pending_events.append(event)
    return aggregate


@lru_cache(maxsize=65_536)
def member_uuid(member: str) -> UUID:
    """The aggregate id of a member: stable, derived from the ledger id."""
    return uuid5(NAMESPACE_URL, f"/members/{member}")


@lru_cache(maxsize=65_536)
def org_uuid(org: str) -> UUID:
    """The aggregate id of an organisation."""
    return uuid5(NAMESPACE_URL, f"/orgs/{org}")
