"""Badges due: members of the roster on a day whose highest milestone reached by party age
is not awarded by then (SPEC §4)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import orjson
from pydantic import BaseModel
from typing_extensions import TypedDict

from ledger.dates import party_age_years
from ledger.facts import BADGE_MILESTONES
from projections.reports.types import REPORT, IsoDate
from projections.store import OPEN_TIME

if TYPE_CHECKING:
    from projections.queries import ReadModels


class BadgeDue(TypedDict):
    """A member due a badge."""

    member: str
    years: int
    """The highest milestone reached and not awarded."""
    party_age_years: int


class BadgesDue(BaseModel):
    """Members due a badge on a day, by id (as known now)."""

    model_config = REPORT

    org: str
    on: IsoDate
    due: list[BadgeDue]


def badges_due(models: ReadModels, org: str, on: date) -> BadgesDue:
    """Members of the roster on ``on`` whose highest milestone reached is not awarded by then."""
    models.fresh()
    low, high = models.subtree(org)
    day = on.isoformat()
    rows = models.store.fetchall(
        "SELECT s.member, st.first_admission, st.gap_days, st.frozen_on, st.badges "
        "FROM rm_spans s JOIN rm_states st ON st.member = s.member "
        "AND st.valid_from <= ? AND st.valid_to > ? AND st.known_to = ? "
        "WHERE s.known_to = ? AND s.valid_to > ? AND s.valid_from <= ? "
        "AND s.scope >= ? AND s.scope < ? ORDER BY s.member",
        (day, day, OPEN_TIME, OPEN_TIME, day, day, low, high),
    )
    due: list[BadgeDue] = []
    for member, first, gap, frozen, badges in rows:
        if first is None:
            continue
        frozen_on = date.fromisoformat(frozen) if frozen else None
        age = party_age_years(date.fromisoformat(first), int(gap), on, frozen_on)
        reached = [m for m in BADGE_MILESTONES if m <= age]
        if reached and reached[-1] not in orjson.loads(badges):
            due.append({"member": member, "years": reached[-1], "party_age_years": age})
    return BadgesDue.model_construct(org=org, on=day, due=due)
