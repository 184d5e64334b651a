"""The roster of an org's subtree as of a date, as known at a time (SPEC §4)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

from projections.reports.types import REPORT, IsoDate, KnownAt
from projections.store import knowledge

if TYPE_CHECKING:
    from projections.queries import ReadModels


class RosterEntry(TypedDict):
    """One member on the roster."""

    member: str
    org: str
    """The member's org (the source org while in transit)."""
    status: Literal["probationary", "official", "in_transit"]
    since: IsoDate
    """``on`` of the member's latest admission, probation, transfer-out or transfer-in."""


class Roster(BaseModel):
    """Members placed in an org of the subtree, plus those in transit inside it; by id."""

    model_config = REPORT

    org: str
    as_of: IsoDate
    known_at: KnownAt
    count: int
    members: list[RosterEntry]


def roster(models: ReadModels, org: str, as_of: date, moment: str, label: str) -> Roster:
    """The roster of the subtree of ``org`` on ``as_of`` as known at ``moment``."""
    models.fresh()
    path = models.org_path(org)
    low, high = models.subtree(org)
    day = as_of.isoformat()
    known, known_params = knowledge(moment)
    rows = models.store.fetchall(
        f"SELECT member, org, status, since FROM rm_spans{models.index_hint(path, moment)} "
        f"WHERE {known} AND valid_to > ? AND valid_from <= ? AND scope >= ? AND scope < ? "
        "ORDER BY member",
        (*known_params, day, day, low, high),
    )
    members: list[RosterEntry] = [
        {"member": m, "org": o, "status": status, "since": since} for m, o, status, since in rows
    ]
    return Roster.model_construct(
        org=org, as_of=day, known_at=label, count=len(members), members=members
    )
