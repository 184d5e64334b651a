"""The member view of SPEC §4, folded from the member's own facts for any (as of, known at)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ledger.facts import RETRACTED, Fact
from ledger.timeline import active_timeline, replay
from projections.reports.member import MemberView


def member_view(
    member: str,
    facts: Sequence[Fact],
    *,
    as_of: date,
    known_at: datetime | None,
    known_at_label: str,
) -> MemberView:
    """The member JSON of SPEC §4 as of ``as_of``, using what was known at ``known_at``."""
    outcome = replay(active_timeline(facts, known_at=known_at, as_of=as_of))
    state = outcome.state
    inert = outcome.inert_ids
    known = [f for f in facts if known_at is None or f.recorded_at <= known_at]
    retracted = {f.target for f in known if f.type == RETRACTED}
    listed = sorted(
        (f for f in known if f.type != RETRACTED and f.on <= as_of), key=lambda f: (f.on, f.seq)
    )
    status, standing, org, to_org = state.view()
    return MemberView.model_validate(
        {
            "member": member,
            "as_of": as_of.isoformat(),
            "known_at": known_at_label,
            "status": status,
            "standing": standing,
            "org": org,
            "to_org": to_org,
            "party_age_years": state.party_age(as_of),
            "badges": sorted(state.badges),
            "exempt": state.exempt,
            "away": state.away_since is not None,
            "facts": [
                {
                    "id": f.id,
                    "type": f.type,
                    "on": f.on.isoformat(),
                    "recorded_at": f.recorded_at.isoformat(),
                    "retracted": f.id in retracted,
                    "anomaly": f.id in inert,
                }
                for f in listed
            ],
        }
    )
