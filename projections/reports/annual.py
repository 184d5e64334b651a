"""The annual statistics of an org's subtree for a year, with the previous year (SPEC §4).

The roster counts come from one pass over the roster spans valid at the three year ends; the
year's figures from the counted facts grouped in SQL, one row per kind of contribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from projections.knowledge import knowledge
from projections.reports.types import REPORT, KnownAt
from projections.tallies import EVENT_FIGURES, answers, contributions, event_figures

if TYPE_CHECKING:
    from projections.queries import ReadModels, RosterCounts


class AdmittedBy(BaseModel):
    """The composition of the year's admissions."""

    model_config = REPORT

    female: int
    youth_union: int
    private_business_owner: int
    population_policy_violation: int
    occupation: dict[str, int]
    """Every occupation category, zeros included."""


class AnnualFigures(BaseModel):
    """One year's figures for the subtree (the members counted at Dec 31 of the year)."""

    model_config = REPORT

    org: str
    year: int
    known_at: KnownAt
    members_at_start: int
    members_at_end: int
    admitted: int
    readmitted: int
    admitted_by: AdmittedBy
    probation_completed: int
    transferred_in: int
    transferred_out: int
    internal_moves: int
    badges_awarded: int
    badges_by_years: dict[str, int]
    """Every milestone ("30", "40", …), zeros included."""
    expelled: int
    removed: int
    resigned: int
    died: int
    in_transit_at_end: int
    dossiers_recorded_at_end: int
    admitted_with_dossier: int
    balanced: bool
    """start + admitted + transferred in - transferred out - exits = end."""


class AnnualReport(AnnualFigures):
    """The year's figures and the previous year's, for comparison."""

    previous_year: AnnualFigures


def year_end(year: int) -> str:
    """December 31 of ``year`` as ISO text (zero-padded: year 21 is 0021)."""
    return f"{year:04d}-12-31"


def annual(
    models: ReadModels, org: str, year: int, moment: str, label: str, *, tallied: bool = True
) -> AnnualReport:
    """The annual report of the subtree of ``org`` for ``year`` as known at ``moment``.

    ``tallied=False`` counts it from the rows even for an org with tallies (the benchmarks
    measure that path against the tallies; both must give the same report)."""
    models.fresh()
    path = models.org_path(org)
    # Asked once per report: known at an earlier time, whether the tallies answer is a query.
    tallied = tallied and answers(models.store, path, moment)
    ends = [year_end(y) for y in (year - 2, year - 1, year)]
    counts = models.roster_counts(path, ends, moment, details=(ends[1], ends[2]), tallied=tallied)
    added = _event_figures(models, path, year - 1, year, moment, tallied)
    previous = _year(org, year - 1, label, counts, added.get(year - 1, {}))
    figures = _year(org, year, label, counts, added.get(year, {}))
    return AnnualReport.model_construct(**dict(figures), previous_year=previous)


EXITS = ("expelled", "removed", "resigned", "died")


@dataclass(frozen=True, slots=True)
class YearFlow:
    """One year of a decade's chart: members at its end, its admissions and its exits."""

    year: int
    members_at_end: int
    admitted: int
    exits: int
    """Expelled, removed, resigned and died: the exits of the annual report."""


def annual_decade(
    models: ReadModels, org: str, year: int, span: int, moment: str, label: str
) -> tuple[AnnualReport, list[YearFlow]]:
    """The annual report of ``year`` and the flows of the ``span`` years up to it (the
    dashboard's org page): the report as ``annual`` makes it, the year ends' members from the
    same roster count, and the admissions and exits from one narrow scan (``_flows``)."""
    models.fresh()
    path = models.org_path(org)
    tallied = answers(models.store, path, moment)
    first = min(year - span + 1, year - 1)
    ends = [year_end(y) for y in range(first - 1, year + 1)]
    counts = models.roster_counts(path, ends, moment, details=(ends[-2], ends[-1]), tallied=tallied)
    added = _event_figures(models, path, year - 1, year, moment, tallied)
    previous = _year(org, year - 1, label, counts, added.get(year - 1, {}))
    figures = _year(org, year, label, counts, added.get(year, {}))
    flows = _flows(models, path, year - span + 1, year, moment, tallied)
    return AnnualReport.model_construct(**dict(figures), previous_year=previous), [
        YearFlow(y, counts.members[year_end(y)], *flows.get(y, (0, 0)))
        for y in range(year - span + 1, year + 1)
    ]


def _flows(
    models: ReadModels, path: str, first: int, last: int, moment: str, tallied: bool
) -> dict[int, tuple[int, int]]:
    """Admissions and exits of each year, counted as ``contributions`` counts them (an
    admission when it placed the member inside the subtree, an exit when the member was inside
    before it), from the index alone: a tenth of the cost of the full grouping over a decade.
    ``tests/projections/test_dashboard_queries.py`` checks them against the annual reports.
    When the tallies answer (``tallied``: ``tallies.answers`` said so), from them."""
    if tallied:
        return {
            y: (added.get("admitted", 0), sum(added.get(name, 0) for name in EXITS))
            for y, added in event_figures(models.store, path, first, last, moment).items()
        }
    low, high = models.subtree_of_path(path)
    known, known_params = knowledge(moment)
    exits = ", ".join(f"'member.{name}'" for name in EXITS)
    rows = models.store.fetchall(
        "SELECT substr(on_day, 1, 4), type = 'member.admitted', count(*) FROM rm_events "
        f"WHERE on_day >= ? AND on_day <= ? AND {known} "
        f"AND type IN ('member.admitted', {exits}) "
        "AND CASE WHEN type = 'member.admitted' THEN scope_after >= ? AND scope_after < ? "
        "ELSE scope_before >= ? AND scope_before < ? END GROUP BY 1, 2",
        (f"{first:04d}-01-01", year_end(last), *known_params, low, high, low, high),
    )
    found: dict[int, list[int]] = {}
    for day_year, admitted, n in rows:
        found.setdefault(int(day_year), [0, 0])[0 if admitted else 1] += int(n)
    return {y: (pair[0], pair[1]) for y, pair in found.items()}


def _event_figures(
    models: ReadModels, path: str, first: int, last: int, moment: str, tallied: bool
) -> dict[int, dict[str, int]]:
    """What the counted facts of each year add to each figure: from the tallies when they
    answer (``tallied``: ``tallies.answers`` said so); otherwise the facts grouped in SQL (one
    row per kind of contribution), each group counted by ``contributions``."""
    if tallied:
        return event_figures(models.store, path, first, last, moment)
    added: dict[int, dict[str, int]] = {}
    for year, groups in _event_groups(models, path, first, last, moment).items():
        counts = added.setdefault(year, {})
        for kind, before, after, job, years, *sums in groups:
            for key, amount in contributions(kind, bool(before), bool(after), job, years, *sums):
                counts[key] = counts.get(key, 0) + amount
    return added


def _event_groups(
    models: ReadModels, path: str, first: int, last: int, moment: str
) -> dict[int, list[tuple[Any, ...]]]:
    """The counted facts of the years, grouped in SQL: one row per kind of contribution."""
    low, high = models.subtree_of_path(path)
    known, known_params = knowledge(moment)
    inside_before = "coalesce(scope_before >= ? AND scope_before < ?, FALSE)"
    inside_after = "coalesce(scope_after >= ? AND scope_after < ?, FALSE)"
    rows = models.store.fetchall(
        f"SELECT substr(on_day, 1, 4), type, {inside_before}, {inside_after}, occupation, "
        "years, count(*), sum(readmitted), sum(female), sum(youth_union), "
        "sum(private_business_owner), sum(population_policy_violation), "
        "sum(CASE WHEN dossier_on <= substr(on_day, 1, 4) || '-12-31' THEN 1 ELSE 0 END) "
        f"FROM rm_events WHERE on_day >= ? AND on_day <= ? AND {known} "
        "AND ((scope_before >= ? AND scope_before < ?) "
        "OR (scope_after >= ? AND scope_after < ?)) "
        "GROUP BY 1, 2, 3, 4, 5, 6",
        (low, high, low, high, f"{first:04d}-01-01", year_end(last), *known_params,
         low, high, low, high),
    )  # fmt: skip
    groups: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(int(row[0]), []).append(row[1:])
    return groups


def _year(
    org: str, year: int, label: str, counts_at: RosterCounts, added: dict[str, int]
) -> AnnualFigures:
    end = year_end(year)
    at_start = counts_at.members[year_end(year - 1)]
    at_end = counts_at.members[end]
    counts = dict.fromkeys(EVENT_FIGURES, 0)
    for key, amount in added.items():
        counts[key] = counts.get(key, 0) + amount
    occupations = _under(counts, "admitted_by.occupation.")
    badges = _under(counts, "badges_by_years.")
    balance = (
        at_start + counts["admitted"] + counts["transferred_in"] - counts["transferred_out"]
        - counts["expelled"] - counts["removed"] - counts["resigned"] - counts["died"]
    )  # fmt: skip
    return AnnualFigures.model_construct(
        org=org,
        year=year,
        known_at=label,
        members_at_start=at_start,
        members_at_end=at_end,
        admitted=counts["admitted"],
        readmitted=counts["readmitted"],
        admitted_by=AdmittedBy.model_construct(
            female=counts["admitted_by.female"],
            youth_union=counts["admitted_by.youth_union"],
            private_business_owner=counts["admitted_by.private_business_owner"],
            population_policy_violation=counts["admitted_by.population_policy_violation"],
            occupation=occupations,
        ),
        probation_completed=counts["probation_completed"],
        transferred_in=counts["transferred_in"],
        transferred_out=counts["transferred_out"],
        internal_moves=counts["internal_moves"],
        badges_awarded=counts["badges_awarded"],
        badges_by_years=badges,
        expelled=counts["expelled"],
        removed=counts["removed"],
        resigned=counts["resigned"],
        died=counts["died"],
        in_transit_at_end=counts_at.in_transit[end],
        dossiers_recorded_at_end=counts_at.with_dossier[end],
        admitted_with_dossier=counts["admitted_with_dossier"],
        balanced=balance == at_end,
    )


def _under(counts: dict[str, int], prefix: str) -> dict[str, int]:
    """The counts whose key starts with ``prefix``, without it (in the order of ``counts``)."""
    return {key[len(prefix) :]: n for key, n in counts.items() if key.startswith(prefix)}
