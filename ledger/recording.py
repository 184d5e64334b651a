"""The recording decisions of SPEC §2 and §3 that come before a fact reaches its aggregate: its
identity (a duplicate, or a clash), its dates against the clock, and whether the ledger knows
the subject it names. Pure functions of the fact and what was looked up for it."""

from __future__ import annotations

from datetime import date, datetime

from ledger import errors
from ledger.facts import ADMITTED, TRANSFERRED_IN


def is_duplicate(fact_id: str, digest: str, stored_digest: str | None, stored_type: str) -> bool:
    """True when the id is stored with the same content (a no-op); ``duplicate_fact`` when it
    is stored with other content; False when the id is new (``stored_digest`` None)."""
    if stored_digest is None:
        return False
    if stored_digest == digest:
        return True
    raise errors.DuplicateFact(
        f"fact id {fact_id} is already used by a different {stored_type} fact", fact=fact_id
    )


def check_future(fact_id: str, recorded_at: datetime, now: datetime) -> None:
    """``recorded_at`` must not be after now (``future_date``)."""
    if recorded_at > now:
        raise errors.FutureDate(
            f"recorded_at {recorded_at.isoformat()} is in the future", fact=fact_id
        )


def check_dates(fact_id: str, on: date, recorded_at: datetime) -> None:
    """``on`` must not be after the date of ``recorded_at``, in its own offset (``future_date``)."""
    if on > recorded_at.date():
        raise errors.FutureDate(
            f"on {on} is after the recording date {recorded_at.date()}", fact=fact_id
        )


def check_member_known(fact_id: str, member: str, fact_type: str, known: bool) -> None:
    """Only an admission or an arrival may name a member the ledger never heard of
    (``not_member``)."""
    if not known and fact_type not in (ADMITTED, TRANSFERRED_IN):
        raise errors.NotMember(f"member {member} is unknown to the ledger", fact=fact_id)


def check_org_known(fact_id: str, org: str, known: bool) -> None:
    """An org fact other than a registration needs a registered org (``unknown_org``)."""
    if not known:
        raise errors.UnknownOrg(f"org {org} is not registered", fact=fact_id)


def check_target_known(fact_id: str, target: str, known: bool) -> None:
    """A retraction names a fact the ledger holds (``unknown_fact``)."""
    if not known:
        raise errors.UnknownFact(f"no fact with id {target} in the ledger", fact=fact_id)
