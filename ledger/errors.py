"""The ledger's refusals: one exception class per stable error code of SPEC §3."""

from __future__ import annotations


class LedgerError(Exception):
    """A fact was refused; ``code`` is the stable error code of the spec."""

    code = "ledger_error"

    def __init__(self, message: str, *, fact: str | None = None, conflicting: str | None = None):
        super().__init__(message)
        self.message = message
        self.fact = fact
        self.conflicting = conflicting

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidFact(LedgerError):
    """The fact is malformed: not JSON, unknown or missing fields, wrong types or values."""

    code = "invalid_fact"


class FutureDate(LedgerError):
    """`on` is after the date of `recorded_at`, or `recorded_at` is after now."""

    code = "future_date"


class Conflict(LedgerError):
    """The fact contradicts the state it would apply to (generic conflict)."""

    code = "conflict"


class UnknownOrg(LedgerError):
    """A referenced organisation was never registered."""

    code = "unknown_org"


class OrgInactive(LedgerError):
    """A referenced organisation is not active (not yet registered, or dissolved) on `on`."""

    code = "org_inactive"


class AlreadyMember(LedgerError):
    """The member is already a member (or already placed) on `on`."""

    code = "already_member"


class NotEligible(LedgerError):
    """The member does not meet the conditions (re-admission delay, badge party age)."""

    code = "not_eligible"


class ReadmissionLimit(LedgerError):
    """The member was already re-admitted once."""

    code = "readmission_limit"


class UnderAge(LedgerError):
    """The person is younger than 18 on the admission date."""

    code = "under_age"


class TooEarly(LedgerError):
    """Probation cannot be completed before 12 months."""

    code = "too_early"


class InTransit(LedgerError):
    """The member is in transit between two organisations."""

    code = "in_transit"


class NotMember(LedgerError):
    """The member is not a member (never admitted, exited, dead or transferred away) on `on`."""

    code = "not_member"


class WrongDestination(LedgerError):
    """A transfer-in does not match the pending transfer-out."""

    code = "wrong_destination"


class NotOfficial(LedgerError):
    """The fact needs an official (not probationary) member."""

    code = "not_official"


class DuplicateBadge(LedgerError):
    """The badge milestone was already awarded to the member."""

    code = "duplicate_badge"


class UnknownFact(LedgerError):
    """A retraction names a fact id the ledger does not hold."""

    code = "unknown_fact"


class RetractionConflict(LedgerError):
    """Without the retracted fact, the member's timeline would no longer be valid."""

    code = "retraction_conflict"


class DuplicateFact(LedgerError):
    """The fact id is already used by a fact with other content."""

    code = "duplicate_fact"


ERRORS: dict[str, type[LedgerError]] = {
    cls.code: cls
    for cls in (
        InvalidFact,
        FutureDate,
        Conflict,
        UnknownOrg,
        OrgInactive,
        AlreadyMember,
        NotEligible,
        ReadmissionLimit,
        UnderAge,
        TooEarly,
        InTransit,
        NotMember,
        WrongDestination,
        NotOfficial,
        DuplicateBadge,
        UnknownFact,
        RetractionConflict,
        DuplicateFact,
    )
}
"""Every stable error code, mapped to its exception class."""
