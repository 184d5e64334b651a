"""The member view as of a date, as known at a time (SPEC §4), from the read models.

``projections.member_view`` folds the same model from the member's own facts: the reference
the read model is checked against.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

import orjson
from pydantic import BaseModel
from typing_extensions import TypedDict

from ledger.dates import party_age_years
from projections.knowledge import knowledge
from projections.reports.types import REPORT, IsoDate, KnownAt

if TYPE_CHECKING:
    from projections.queries import ReadModels

Status = Literal[
    "not_member", "probationary", "official", "in_transit", "transferred_away", "expelled",
    "removed", "resigned", "died",
]  # fmt: skip


class MemberFact(TypedDict):
    """One of the member's facts with ``on`` up to the date, in timeline order."""

    id: str
    type: str
    on: IsoDate
    recorded_at: str
    """When the ledger recorded it (ISO date-time with offset)."""
    retracted: bool
    """Retracted by a later fact (the retraction itself is not listed)."""
    anomaly: bool
    """Made inert by an earlier death: it changes nothing."""


class MemberView(BaseModel):
    """A member's status, org, party age, badges and facts as of a date."""

    model_config = REPORT

    member: str
    as_of: IsoDate
    known_at: KnownAt
    status: Status
    standing: Literal["probationary", "official"] | None
    """While a member (also in transit or away); null otherwise."""
    org: str | None
    """The current org; the source while in transit; the last org after an exit."""
    to_org: str | None
    """Only while in transit to an org."""
    party_age_years: int | None
    badges: list[int]
    exempt: bool
    away: bool
    facts: list[MemberFact]


def recorders(models: ReadModels, member_id: str, moment: str) -> dict[str, str]:
    """Who recorded each of the member's facts known at ``moment`` (fact id → ``cli:…``,
    ``token:…``; facts recorded before the ledger kept it are left out). Beside the member view
    of SPEC §4, not in its JSON."""
    known, known_params = knowledge(moment)
    rows = models.store.fetchall(
        f"SELECT fact_id, recorded_by FROM rm_facts WHERE member = ? AND {known} "
        "AND recorded_by IS NOT NULL",
        (member_id, *known_params),
    )
    return {str(fact_id): str(by) for fact_id, by in rows}


NOT_MEMBER = ("not_member", None, None, None, None, 0, None, "[]", 0, 0)
"""The state of a member the ledger never heard of (or not yet admitted on the date)."""


def member(models: ReadModels, member_id: str, as_of: date, moment: str, label: str) -> MemberView:
    """The member view of ``member_id`` on ``as_of`` as known at ``moment``."""
    models.fresh()
    day = as_of.isoformat()
    known, known_params = knowledge(moment)
    state = models.store.fetchone(
        "SELECT status, standing, org, to_org, first_admission, gap_days, frozen_on, badges, "
        "exempt, away FROM rm_states WHERE member = ? AND valid_from <= ? AND valid_to > ? "
        f"AND {known}",
        (member_id, day, day, *known_params),
    )
    rows = models.store.fetchall(
        "SELECT fact_id, type, on_day, recorded_at, retracted, anomaly FROM rm_facts "
        f"WHERE member = ? AND on_day <= ? AND {known} ORDER BY on_day, seq",
        (member_id, day, *known_params),
    )
    status, standing, org, to_org, first, gap, frozen, badges, exempt, away = state or NOT_MEMBER
    age = None
    if first is not None:
        frozen_on = date.fromisoformat(frozen) if frozen else None
        age = party_age_years(date.fromisoformat(first), int(gap), as_of, frozen_on)
    facts: list[MemberFact] = [
        {"id": fid, "type": kind, "on": on, "recorded_at": recorded,
         "retracted": bool(retracted), "anomaly": bool(anomaly)}
        for fid, kind, on, recorded, retracted, anomaly in rows
    ]  # fmt: skip
    return MemberView.model_construct(
        member=member_id,
        as_of=day,
        known_at=label,
        status=status,
        standing=standing,
        org=org,
        to_org=to_org,
        party_age_years=age,
        badges=orjson.loads(badges),
        exempt=bool(exempt),
        away=bool(away),
        facts=facts,
    )
