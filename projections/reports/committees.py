"""The subordinate committees of an org in a year, and how many of them recorded facts in it.

The 2021 Hải Phòng report states that the membership database is in use in "35/35 đảng bộ
trực thuộc": every directly-subordinate committee. Here a committee *records* in year Y when a
fact about its subtree dated in Y is known at the time asked: a member fact whose member was in
the committee's subtree just before or just after it, or a head count declared for one of its
orgs. The committees are the direct children of the org registered by Dec 31 of Y and not
dissolved by then (the org tree as known now: ``rm_orgs`` keeps no knowledge time). Not part of
the annual JSON of SPEC §4: the text and the spreadsheets print it beside the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from projections.knowledge import EVERYTHING, knowledge, utc_text
from projections.reports.annual import year_end

if TYPE_CHECKING:
    from projections.queries import ReadModels


@dataclass(frozen=True, slots=True)
class Committees:
    """The direct children of an org at a year's end, and those that recorded facts in it."""

    year: int
    committees: tuple[str, ...]
    """The children's ids, sorted."""
    recording: tuple[str, ...]
    """The children with at least one fact dated in the year, sorted."""


def committees(
    models: ReadModels, org: str, year: int, known_at: datetime | None = None
) -> Committees:
    """The subordinate committees of ``org`` at the end of ``year`` and those recording in it,
    as known at ``known_at`` (None: now); UnknownOrg when ``org`` was never registered."""
    models.fresh()
    moment = utc_text(known_at) if known_at is not None else EVERYTHING
    path = models.org_path(org)
    end = year_end(year)
    children = {
        str(child_path): str(child)
        for child, child_path in models.store.fetchall(
            "SELECT org, path FROM rm_orgs WHERE parent = ? AND registered_on <= ? "
            "AND (dissolved_on IS NULL OR dissolved_on > ?)",
            (org, end, end),
        )
    }
    if not children:
        return Committees(year, (), ())
    low, high = models.subtree_of_path(path)
    first = f"{year:04d}-01-01"
    known, params = knowledge(moment)
    known_c, _ = knowledge(moment, "c")
    scopes = models.store.fetchall(
        f"SELECT DISTINCT scope_before FROM rm_facts WHERE on_day >= ? AND on_day <= ? AND {known} "
        "AND scope_before > ? AND scope_before < ? "
        f"UNION SELECT DISTINCT scope_after FROM rm_facts WHERE on_day >= ? AND on_day <= ? "
        f"AND {known} AND scope_after > ? AND scope_after < ? "
        "UNION SELECT DISTINCT o.path FROM rm_counts c JOIN rm_orgs o ON o.org = c.org "
        f"WHERE c.on_day >= ? AND c.on_day <= ? AND {known_c} AND o.path > ? AND o.path < ?",
        (first, end, *params, low, high, first, end, *params, low, high,
         first, end, *params, low, high),
    )  # fmt: skip
    recording = set()
    for (scope,) in scopes:
        # The child of ``org`` whose subtree holds the scope: the path one level below.
        child_path = path + str(scope)[len(path) :].split("/", 1)[0] + "/"
        if child_path in children:
            recording.add(children[child_path])
    return Committees(year, tuple(sorted(children.values())), tuple(sorted(recording)))
