"""The roster of an org's subtree as of a date, as known at a time (SPEC §4)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

from projections.knowledge import knowledge
from projections.reports.types import REPORT, IsoDate, KnownAt

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


def roster_page(
    models: ReadModels,
    org: str,
    as_of: date,
    moment: str,
    *,
    offset: int,
    limit: int,
    members: list[str] | None = None,
    id_part: str | None = None,
) -> tuple[int, int, list[RosterEntry]]:
    """A page of the roster (by member id) without building the whole roster: the roster's
    count, the count of members matching the filter, and the page's entries.

    The filter (when either part is given) keeps the members listed in ``members`` (a name
    search's answer) or whose id contains ``id_part``.
    """
    models.fresh()
    path = models.org_path(org)
    low, high = models.subtree(org)
    known, known_params = knowledge(moment)
    where = (
        f"FROM rm_spans{models.index_hint(path, moment)} WHERE {known} AND valid_to > ? "
        "AND valid_from <= ? AND scope >= ? AND scope < ?"
    )
    params: tuple[object, ...] = (*known_params, as_of.isoformat(), as_of.isoformat(), low, high)
    total = _count(models, where, params)
    matched = total
    if members is not None or id_part:
        tests = []
        if members:
            tests.append(f"member IN ({', '.join('?' for _ in members)})")
            params = (*params, *members)
        if id_part:
            escaped = id_part.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            tests.append("lower(member) LIKE ? ESCAPE '\\'")
            params = (*params, f"%{escaped}%")
        where += f" AND ({' OR '.join(tests) or 'FALSE'})"
        matched = _count(models, where, params)
    rows = models.store.fetchall(
        f"SELECT member, org, status, since {where} ORDER BY member LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    entries: list[RosterEntry] = [
        {"member": m, "org": o, "status": status, "since": since} for m, o, status, since in rows
    ]
    return total, matched, entries


def _count(models: ReadModels, where: str, params: tuple[object, ...]) -> int:
    row = models.store.fetchone(f"SELECT count(*) {where}", params)
    assert row is not None
    return int(row[0])
