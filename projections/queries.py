"""Query functions that answer SPEC §4 for the interfaces."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from commands.application import LedgerApplication
from projections.member_view import member_view


def member_report(
    app: LedgerApplication,
    member: str,
    *,
    as_of: date,
    known_at: datetime | None,
    label: str,
) -> dict[str, Any]:
    """The member JSON of SPEC §4; a member the ledger never heard of is ``not_member``."""
    aggregate = app.member(member)
    facts = aggregate.facts if aggregate is not None else []
    return member_view(member, facts, as_of=as_of, known_at=known_at, known_at_label=label)
