"""Badges due: members of the roster on a day whose highest milestone reached by party age
is not awarded by then (SPEC §4)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import orjson
from pydantic import BaseModel
from typing_extensions import TypedDict

from ledger.dates import add_years, party_age_years
from ledger.facts import BADGE_MILESTONES
from projections.knowledge import OPEN_TIME
from projections.reports.types import REPORT, IsoDate
from projections.store import OPEN_DAY

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
    # A member is due when the highest milestone reached is not among the badges awarded:
    # milestone i is the highest reached when party age started (``party_from``) between
    # ``on`` minus the next milestone's years and ``on`` minus its own. Each bracket with its
    # bit of ``badge_mask`` unset is a range of the states' index (known now, open in valid
    # time — the current states — then those closed since ``on``, few when ``on`` is recent):
    # one SELECT per bracket and part, so that each reads its range only (an OR of the
    # brackets read every state known now), and of the index's columns only, so that the
    # bit is tested in the index (PostgreSQL read a heap page per state of the bracket
    # otherwise). The brackets are widened by a day (29 February), so a state can be in two:
    # UNION keeps one. The few states found are then read whole, and each member checked
    # exactly below.
    selects: list[str] = []
    params: list[object] = []
    for n, years in enumerate(BADGE_MILESTONES):
        bracket = [(add_years(on, -years) + timedelta(days=1)).isoformat()]
        test = "party_from <= ?"
        if n + 1 < len(BADGE_MILESTONES):
            test += " AND party_from >= ?"
            bracket.append(
                (add_years(on, -BADGE_MILESTONES[n + 1]) - timedelta(days=1)).isoformat()
            )
        for valid, valid_params in (
            ("valid_to = ?", [OPEN_DAY]),
            ("valid_to > ? AND valid_to < ?", [day, OPEN_DAY]),
        ):
            selects.append(
                f"SELECT member, valid_from FROM rm_states WHERE known_to = ? AND {valid} "
                f"AND {test} AND valid_from <= ? AND (badge_mask & {1 << n}) = 0"
            )
            params += [OPEN_TIME, *valid_params, *bracket, day]
    rows = models.store.fetchall(
        "SELECT st.member, st.first_admission, st.gap_days, st.frozen_on, st.badges "
        f"FROM ({' UNION '.join(selects)}) c JOIN rm_states st ON st.member = c.member "
        "AND st.valid_from = c.valid_from AND st.known_to = ? WHERE EXISTS (SELECT 1 "
        "FROM rm_spans s WHERE s.member = st.member AND s.known_to = ? AND s.valid_to > ? "
        "AND s.valid_from <= ? AND s.scope >= ? AND s.scope < ?) ORDER BY st.member",
        (*params, OPEN_TIME, OPEN_TIME, day, day, low, high),
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
