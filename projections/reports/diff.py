"""The auditor's diff (SPEC §5): the annual report known then against known now, and the facts
recorded or retracted in between that changed each figure that differs.

Computed from the read models, not by replaying members: the two annual reports give the
figures and their values; the bitemporal rows give the members whose contribution changed.
A row known at exactly one of the two times is a contribution that changed; a member's
contribution to a figure is the sum over its rows known then against the sum over its rows
known now, so the rows a re-derivation closes and reopens unchanged cancel out. The counted
facts (``rm_events``) are classified by ``tallies.contributions``, the annual report's own
rules; the roster figures come from the roster spans (``rm_spans``) valid on the year ends.
A figure's facts are the facts of those members (``rm_facts``) recorded after then and by now,
or retracted by a retraction recorded in that window (listed with ``retracted: true``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from typing_extensions import TypedDict

from projections.knowledge import EVERYTHING, OPEN_TIME, known_at_one, utc_text
from projections.reports.annual import AnnualReport, year_end
from projections.reports.types import REPORT, IsoDate, KnownAt
from projections.tallies import contributions

if TYPE_CHECKING:
    from projections.queries import ReadModels

NOT_FIGURES = ("org", "year", "known_at", "balanced")
"""Keys of the annual report that are not figures: its parameters, and the balance check
(true whenever the figures are derived from one history, which both reports are)."""
PREVIOUS = "previous_year."
MEMBERS_IN = 500
"""Members per ``IN (...)`` list when reading their facts."""


class DiffFact(TypedDict):
    """A fact recorded, or retracted, between then and now that changed a figure."""

    id: str
    type: str
    member: str
    org: str | None
    """The member's org at the fact (as known now; before the retraction, for a retracted fact)."""
    on: IsoDate
    recorded_at: str
    """When the ledger recorded the fact itself (ISO date-time with offset)."""
    retracted: bool
    """Retracted by a retraction known now; listed because that retraction came in between."""


class ChangedFigure(BaseModel):
    """One figure of the annual report whose value differs between then and now."""

    model_config = REPORT

    figure: str
    """The report's key, nested keys dotted: ``admitted_by.occupation.student``,
    ``badges_by_years.30``, ``previous_year.died``."""
    then: int
    now: int
    facts: list[DiffFact]
    """Sorted by (recorded_at, id)."""


class AnnualDiff(BaseModel):
    """The annual report of the subtree for the year known ``then`` against known ``now``."""

    model_config = REPORT

    org: str
    year: int
    then: KnownAt
    now: KnownAt
    figures: list[ChangedFigure]
    """In the order of the annual report's keys; figures that did not change are not listed."""


def flat_figures(report: AnnualReport) -> dict[str, int]:
    """The report's figures by dotted key, in the report's order (previous year's last)."""
    return dict(_flatten(report.model_dump(), ""))


def _flatten(data: dict[str, Any], prefix: str) -> Iterator[tuple[str, int]]:
    for key, value in data.items():
        if key in NOT_FIGURES:
            continue
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", int(value)


def annual_diff(
    models: ReadModels,
    org: str,
    year: int,
    then: datetime,
    now: datetime | None,
    then_label: str,
    now_label: str,
) -> AnnualDiff:
    """The diff of the annual report of ``org``'s subtree for ``year``, known then and now."""
    before = flat_figures(models.annual(org, year=year, known_at=then, label=then_label))
    after = flat_figures(models.annual(org, year=year, known_at=now, label=now_label))
    keys = list(after) + [key for key in before if key not in after]
    changed = [key for key in keys if before.get(key, 0) != after.get(key, 0)]
    figures: list[ChangedFigure] = []
    if changed:
        window = _Window(utc_text(then), EVERYTHING if now is None else utc_text(now))
        path = models.org_path(org)
        deltas = _event_deltas(models, path, year, window)
        deltas.update(_roster_deltas(models, path, year, window))
        members = {key: sorted(deltas.get(key, ())) for key in changed}
        facts = _facts(models, sorted({m for ms in members.values() for m in ms}), window)
        for key in changed:
            listed = [fact for member in members[key] for fact in facts.get(member, ())]
            listed.sort(key=lambda f: (utc_text(datetime.fromisoformat(f["recorded_at"])), f["id"]))
            figures.append(
                ChangedFigure.model_construct(
                    figure=key, then=before.get(key, 0), now=after.get(key, 0), facts=listed
                )
            )
    return AnnualDiff.model_construct(
        org=org, year=year, then=then_label, now=now_label, figures=figures
    )


class _Window:
    """Then and now as knowledge texts, and the SQL that picks the rows known at one only."""

    def __init__(self, then: str, now: str) -> None:
        self.then, self.now = then, now

    def changed_rows(self) -> list[tuple[str, tuple[str, ...]]]:
        """Conditions whose rows, together, are those known at exactly one of the two times
        (each a range of the index that starts with ``known_to, known_from``)."""
        return known_at_one(self.then, self.now)

    def known_now(self, known_from: str, known_to: str) -> bool:
        """The row is known at now."""
        if self.now == EVERYTHING:
            return known_to == OPEN_TIME
        return known_from <= self.now < known_to

    def known_then(self, known_from: str, known_to: str) -> bool:
        """The row is known at then."""
        return known_from <= self.then < known_to


Deltas = dict[str, dict[str, int]]
"""figure → member → its contribution known now minus known then (non-zero only)."""


def _add(deltas: Deltas, figure: str, member: str, amount: int) -> None:
    if not amount:
        return
    by_member = deltas.setdefault(figure, {})
    total = by_member.get(member, 0) + amount
    if total:
        by_member[member] = total
    else:
        del by_member[member]


def _event_deltas(models: ReadModels, path: str, year: int, window: _Window) -> Deltas:
    """The changed contributions of the counted facts of the year and the previous year."""
    low, high = models.subtree_of_path(path)
    rows = [
        row
        for changed, params in window.changed_rows()
        for row in models.store.fetchall(
            "SELECT member, known_from, known_to, substr(on_day, 1, 4), type, "
            "coalesce(scope_before >= ? AND scope_before < ?, FALSE), "
            "coalesce(scope_after >= ? AND scope_after < ?, FALSE), occupation, years, "
            "readmitted, female, youth_union, private_business_owner, "
            "population_policy_violation, "
            "CASE WHEN dossier_on <= substr(on_day, 1, 4) || '-12-31' THEN 1 ELSE 0 END "
            f"FROM rm_events WHERE on_day >= ? AND on_day <= ? AND {changed} "
            "AND ((scope_before >= ? AND scope_before < ?) "
            "OR (scope_after >= ? AND scope_after < ?))",
            (low, high, low, high, f"{year - 1:04d}-01-01", year_end(year), *params,
             low, high, low, high),
        )
    ]  # fmt: skip
    deltas: Deltas = {}
    for member, known_from, known_to, on_year, kind, before, after, *rest in rows:
        sign = 1 if window.known_now(known_from, known_to) else -1
        prefix = "" if int(on_year) == year else PREVIOUS
        for key, amount in contributions(kind, bool(before), bool(after), rest[0], rest[1], 1,
                                         *rest[2:]):  # fmt: skip
            _add(deltas, prefix + key, member, sign * amount)
    return deltas


def _roster_deltas(models: ReadModels, path: str, year: int, window: _Window) -> Deltas:
    """The changed contributions to the roster figures, from the spans valid on the year ends."""
    low, high = models.subtree_of_path(path)
    first, middle, last = (year_end(y) for y in (year - 2, year - 1, year))
    # The figures counted on each day: every member on the roster, those in transit, those
    # with a dossier recorded by then (as ``ReadModels.roster_counts`` counts them).
    figures = {
        first: ((PREVIOUS + "members_at_start",), (), ()),
        middle: (("members_at_start", PREVIOUS + "members_at_end"),
                 (PREVIOUS + "in_transit_at_end",), (PREVIOUS + "dossiers_recorded_at_end",)),
        last: (("members_at_end",), ("in_transit_at_end",), ("dossiers_recorded_at_end",)),
    }  # fmt: skip
    hint = models.store.indexed_by("rm_spans", "known_to, known_from")
    rows = [
        row
        for changed, params in window.changed_rows()
        for row in models.store.fetchall(
            "SELECT member, known_from, known_to, valid_from, valid_to, status, dossier_on "
            f"FROM rm_spans{hint} WHERE {changed} AND scope >= ? AND scope < ? "
            "AND valid_to > ? AND valid_from <= ?",
            (*params, low, high, first, last),
        )
    ]
    deltas: Deltas = {}
    for member, known_from, known_to, valid_from, valid_to, status, dossier_on in rows:
        sign = 1 if window.known_now(known_from, known_to) else -1
        for day, (members, in_transit, dossiers) in figures.items():
            if not valid_from <= day < valid_to:
                continue
            counted = list(members)
            if status == "in_transit":
                counted += in_transit
            if dossier_on <= day:
                counted += dossiers
            for key in counted:
                _add(deltas, key, member, sign)
    return deltas


def _facts(models: ReadModels, members: list[str], window: _Window) -> dict[str, list[DiffFact]]:
    """Each member's facts recorded in the window, or retracted by a retraction recorded in it."""
    found: dict[str, list[DiffFact]] = defaultdict(list)
    for start in range(0, len(members), MEMBERS_IN):
        chunk = members[start : start + MEMBERS_IN]
        marks = ", ".join("?" * len(chunk))
        rows = models.store.fetchall(
            "SELECT member, fact_id, type, org, on_day, recorded_at, retracted, known_from, "
            f"known_to FROM rm_facts WHERE member IN ({marks}) AND known_to > ? "
            "ORDER BY member, seq",
            (*chunk, window.then),
        )
        then: dict[tuple[str, str], tuple[bool, str | None]] = {}
        now: dict[tuple[str, str], tuple[Any, ...]] = {}
        for member, fact, kind, org, on, recorded_at, retracted, known_from, known_to in rows:
            if window.known_then(known_from, known_to):
                then[(member, fact)] = (bool(retracted), org)
            if window.known_now(known_from, known_to):
                now[(member, fact)] = (kind, org, on, recorded_at, bool(retracted))
        for (member, fact), (kind, org, on, recorded_at, retracted) in now.items():
            was_retracted, org_then = then.get((member, fact), (False, None))
            recorded_between = utc_text(datetime.fromisoformat(recorded_at)) > window.then
            if recorded_between or (retracted and not was_retracted):
                found[member].append(
                    {"id": fact, "type": kind, "member": member, "org": org or org_then,
                     "on": on, "recorded_at": recorded_at, "retracted": retracted}
                )  # fmt: skip
    return found
