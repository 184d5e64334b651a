"""The events the aggregates make directly (ledger.events.new_event, trigger, create) are the
library's: the same fields in the same order (hence the same stored state and hash chain), and
aggregates in the same state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import pytest
from eventsourcing.domain import Aggregate

from ledger import facts as ft
from ledger.events import FactEvent, create, event_fields, member_uuid, org_uuid, trigger
from ledger.facts import Fact
from ledger.member import MEMBER_EVENTS, Member
from ledger.organization import ORG_EVENTS, Organization

STAMP = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def fact(kind: str, seq: int = 0, **data: Any) -> Fact:
    return Fact(
        f"f-{kind}-{seq}", kind, date(2001, 2, 3), datetime(2001, 2, 4, tzinfo=UTC), seq,
        data, "ref", None, "cli:someone",
    )  # fmt: skip


def state(event: Any) -> list[tuple[str, Any]]:
    """The event's attributes in order: what the mapper encodes."""
    return list(vars(event).items())


def stamped() -> Any:
    return mock.patch.object(FactEvent, "create_timestamp", staticmethod(lambda: STAMP))


def test_a_member_opened_directly_is_the_one_the_library_opens() -> None:
    for opening, kind in (
        (Member.FirstAdmitted, ft.ADMITTED),
        (Member.FirstArrived, ft.TRANSFERRED_IN),
    ):
        first = fact(kind, member="m1", org="hp")
        with stamped():
            ours = create(Member, opening, member_uuid("m1"), first, member="m1")
            theirs = Member._create(
                opening, id=member_uuid("m1"), member="m1", **event_fields(first), timestamp=STAMP
            )
        assert ours == theirs  # every attribute: id, version, times, member, facts
        assert [state(e) for e in ours.pending_events] == [state(e) for e in theirs.pending_events]
        assert type(ours.pending_events[0]) is opening


@pytest.mark.parametrize("kind", sorted(MEMBER_EVENTS))
def test_every_later_member_event_is_the_one_trigger_event_makes(kind: str) -> None:
    first = fact(ft.ADMITTED, member="m1", org="hp")
    later = fact(kind, 1, member="m1")
    aggregates = []
    for direct in (True, False):
        with stamped():
            aggregate = create(Member, Member.FirstAdmitted, member_uuid("m1"), first, member="m1")
            if direct:
                trigger(aggregate, MEMBER_EVENTS[kind], later)
            else:
                aggregate.trigger_event(MEMBER_EVENTS[kind], **event_fields(later))
        aggregates.append(aggregate)
    ours, theirs = aggregates
    assert ours == theirs
    assert ours.version == 2
    assert [state(e) for e in ours.pending_events] == [state(e) for e in theirs.pending_events]


@pytest.mark.parametrize("kind", sorted(set(ORG_EVENTS) - {ft.ORG_REGISTERED}))
def test_every_org_event_is_the_one_the_library_makes(kind: str) -> None:
    registered = fact(ft.ORG_REGISTERED, org="hp", name="HP", parent=None)
    later = fact(kind, 1, org="hp", name="HP 2")
    aggregates = []
    for direct in (True, False):
        with stamped():
            if direct:
                aggregate = create(
                    Organization, Organization.Registered, org_uuid("hp"), registered
                )
                trigger(aggregate, ORG_EVENTS[kind], later)
            else:
                aggregate = Organization._create(
                    Organization.Registered, id=org_uuid("hp"), **event_fields(registered)
                )
                aggregate.trigger_event(ORG_EVENTS[kind], **event_fields(later))
        aggregates.append(aggregate)
    ours, theirs = aggregates
    assert ours == theirs
    assert [state(e) for e in ours.pending_events] == [state(e) for e in theirs.pending_events]


def test_an_event_with_a_field_too_many_or_too_few_is_refused() -> None:
    opening = fact(ft.ADMITTED, member="m1", org="hp")
    with pytest.raises(TypeError):
        create(Member, Member.FirstAdmitted, member_uuid("m1"), opening)  # no member
    with pytest.raises(TypeError):
        create(Member, Member.FirstAdmitted, member_uuid("m1"), opening, member="m1", extra=1)
    assert issubclass(Member.FirstAdmitted, Aggregate.Created)
