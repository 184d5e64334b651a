"""Year-end tallies: the annual report's figures as known now, kept by the projection for the
top of the org tree (each root and its children: a city and its committees).

The annual report counts the roster on three year ends and groups the year's counted facts;
from the rows, that reads every span and fact of the subtree (four times a full scan of the
roster spans for a whole city). For the orgs whose reports are asked the most, the projection
keeps the answer's parts instead, as each batch changes what is known now:

- ``rm_tally_roster``: per org and year, how the members on the roster at the year's end (and
  those in transit, and those with a dossier by then) differ from the year before's. A span
  valid from F until T adds one from F's year end on and takes it away from T's year end on,
  so the count at a year end is a sum over the org's years up to it (a few dozen rows).
- ``rm_tally_events``: per org, year and figure, what the year's counted facts add to the
  figure, by the annual report's own counting rules (``contributions``, here: the one place
  of those rules).

The runner diffs each member's rows before and after a batch: a span or fact that stops being
known now takes its part away, a new one adds it. Known at an earlier time, the tallies are
rewound by the rows whose knowledge changed since (``_rewound_spans``, ``_rewound_events``).
Orgs deeper in the tree are counted from the rows; ``tests/projections`` compares both with a
plain fold of the log, and a rebuild's tallies with the incrementally kept ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ledger.facts import BADGE_MILESTONES, OCCUPATIONS
from projections.knowledge import EVERYTHING, OPEN_TIME, known_at_one
from projections.store import OPEN_DAY, TABLES

if TYPE_CHECKING:
    from projections.derive import Row
    from projections.store import Store

TALLY_DEPTH = 2
"""Orgs this close to their root (1: a root) have tallies: a city and its committees."""

EVENT_FIGURES = (
    "admitted", "readmitted", "probation_completed", "transferred_in", "transferred_out",
    "internal_moves", "badges_awarded", "expelled", "removed", "resigned", "died",
    "admitted_with_dossier",
    "admitted_by.female", "admitted_by.youth_union", "admitted_by.private_business_owner",
    "admitted_by.population_policy_violation",
    *(f"admitted_by.occupation.{job}" for job in OCCUPATIONS),
    *(f"badges_by_years.{years}" for years in BADGE_MILESTONES),
)  # fmt: skip
"""The figures the year's counted facts add to (dotted keys of the report), zeros included."""


def contributions(
    kind: str,
    inside_before: bool,
    inside_after: bool,
    job: str | None,
    years: int | None,
    n: int,
    readmitted: int,
    female: int,
    youth: int,
    owner: int,
    violation: int,
    dossier: int,
) -> list[tuple[str, int]]:
    """What ``n`` counted facts of one kind add to each figure (dotted keys), for a subtree.

    The one place of the counting rules: ``inside_before`` / ``inside_after`` say whether the
    member was in the subtree's roster just before / after the fact (before a death, for a
    posthumous badge); the flags are sums over the ``n`` facts (each 0 or 1 for one fact).
    """
    name = kind.split(".", 1)[1]
    if name == "admitted":
        if not inside_after:
            return []
        return [
            ("admitted", n),
            ("readmitted", readmitted),
            ("admitted_by.female", female),
            ("admitted_by.youth_union", youth),
            ("admitted_by.private_business_owner", owner),
            ("admitted_by.population_policy_violation", violation),
            (f"admitted_by.occupation.{job}", n),
            ("admitted_with_dossier", dossier),
        ]
    if name == "transferred_in":
        return [("transferred_in", n)] if inside_after and not inside_before else []
    if name == "transferred_out":
        if not inside_before:
            return []
        return [("internal_moves" if inside_after else "transferred_out", n)]
    if not inside_before:
        return []
    if name == "badge_awarded":
        return [("badges_awarded", n), (f"badges_by_years.{years}", n)]
    return [(name, n)]


def is_tallied(path: str) -> bool:
    """Whether the org at ``path`` has tallies."""
    return 1 <= path.count("/") - 1 <= TALLY_DEPTH


def answers(store: Store, path: str, moment: str) -> bool:
    """Whether the tallies answer a question about the subtree at ``path`` known at ``moment``:
    known now, for an org at the top of the tree; known at an earlier time, for a root whose
    tallies are rewound in less time than its rows are counted (``rewinding_pays``). A
    committee counts its own rows in less time than it takes to pick its part of the whole
    tree's changes."""
    if not is_tallied(path):
        return False
    return moment == EVERYTHING or (path.count("/") == 2 and rewinding_pays(store, path, moment))


FACTS_PER_MEMBER = 0.25
"""Rewinding pays while the facts recorded since the knowledge time are fewer than this many per
member on the root's roster: measured on the demo city, a fact recorded since costs the rewind
about what four members cost the count from the rows (docs/decisions.md)."""


def rewinding_pays(store: Store, root: str, moment: str) -> bool:
    """Whether the tallies of the root at ``root`` rewound to ``moment`` cost less than counting
    the rows: few enough facts recorded since (counted up to the limit, on the fact log's index
    of recording times) for the members on its roster now."""
    row = store.fetchone("SELECT sum(members) FROM rm_tally_roster WHERE path = ?", (root,))
    members = int(row[0] or 0) if row else 0
    limit = int(min(members * FACTS_PER_MEMBER, 2**62)) if members > 0 else 0
    found = store.fetchone(
        "SELECT count(*) FROM (SELECT 1 FROM rm_log WHERE recorded_utc > ? LIMIT ?) since",
        (moment, limit + 1),
    )
    return found is not None and int(found[0]) <= limit


def year_ending(day: str) -> int | None:
    """The year whose December 31 ``day`` is (ISO text), or None for any other day."""
    return _year(day) if day.endswith("-12-31") else None


@lru_cache(maxsize=65_536)
def tallied_paths(scope: str | None) -> tuple[str, ...]:
    """The tallied orgs whose subtree holds ``scope``: its ancestors (itself included) down to
    ``TALLY_DEPTH``."""
    if not scope:
        return ()
    parts = scope.strip("/").split("/")[:TALLY_DEPTH]
    return tuple("/" + "/".join(parts[: depth + 1]) + "/" for depth in range(len(parts)))


def _positions(table: str, *names: str) -> tuple[int, ...]:
    """Where the named columns are in a derived row of ``table`` (its columns without member
    and row key, nor the knowledge times)."""
    columns = [c.split()[0] for c in TABLES[table].split(", ")][2:-2]
    return tuple(columns.index(name) for name in names)


SPAN_COLUMNS = ("scope", "status", "dossier_on", "valid_from", "valid_to")
"""What the tallies read of a roster span (``Tallies.span``)."""
EVENT_COLUMNS = (
    "scope_before", "scope_after", "type", "on_day", "occupation", "years", "readmitted",
    "female", "youth_union", "private_business_owner", "population_policy_violation",
    "dossier_on",
)  # fmt: skip
"""What the tallies read of a counted fact (``Tallies.event``)."""
_SPAN = _positions("rm_spans", *SPAN_COLUMNS)
_EVENT = _positions("rm_events", *EVENT_COLUMNS)


def _year(day: str) -> int:
    return int(day[:-6])


@lru_cache(maxsize=65_536)
def _sides(before: str | None, after: str | None) -> tuple[tuple[str, bool, bool], ...]:
    """The tallied orgs a fact moving a member from ``before`` to ``after`` concerns, each
    with whether the member was inside its subtree before and after."""
    paths = dict.fromkeys((*tallied_paths(before), *tallied_paths(after)))
    return tuple(
        (path, bool(before and before.startswith(path)), bool(after and after.startswith(path)))
        for path in paths
    )


@lru_cache(maxsize=65_536)
def _one_fact(
    inside_before: bool,
    inside_after: bool,
    kind: str,
    job: str | None,
    years: int | None,
    *flags: int,
) -> tuple[tuple[str, int], ...]:
    """``contributions`` of one fact (its flags and whether it has a dossier by the year end)."""
    return tuple(contributions(kind, inside_before, inside_after, job, years, 1, *flags))


@dataclass
class Tallies:
    """The changes of one batch to the tallies: summed per scope (and per kind of fact) as the
    rows come, spread over the tallied orgs when written."""

    spans: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    """(scope, year) -> changes of members, in transit, with a dossier, from that year end on."""
    events: dict[tuple[Any, ...], int] = field(default_factory=dict)
    """(scope before, scope after, year, type, occupation, years, flags..., dossier) -> facts."""

    def member(
        self,
        spans_before: frozenset[Row],
        spans_after: frozenset[Row],
        events_before: frozenset[Row],
        events_after: frozenset[Row],
    ) -> None:
        """A member's spans and counted facts that stop or start being known now (its derived
        rows before and after a batch)."""
        for row in spans_before - spans_after:
            self.add_span(row, -1)
        for row in spans_after - spans_before:
            self.add_span(row, 1)
        for row in events_before - events_after:
            self.add_event(row, -1)
        for row in events_after - events_before:
            self.add_event(row, 1)

    def add_span(self, row: Sequence[Any], sign: int) -> None:
        """Count (``sign`` 1) or uncount (-1) a span of the roster known now (a derived row)."""
        self.span([row[i] for i in _SPAN], sign)

    def span(self, values: Sequence[Any], sign: int) -> None:
        """Count (``sign`` 1) or uncount (-1) a span of the roster (``SPAN_COLUMNS``)."""
        scope, status, dossier_on, valid_from, valid_to = values
        first = _year(valid_from)
        end = None if valid_to == OPEN_DAY else _year(valid_to)
        if end is not None and end <= first:
            return  # on no year end's roster
        transit = sign if status == "in_transit" else 0
        self._span(scope, first, sign, transit, 0)
        if end is not None:
            self._span(scope, end, -sign, -transit, 0)
        if dossier_on != OPEN_DAY:
            dossier = max(first, _year(dossier_on))
            if end is None or dossier < end:
                self._span(scope, dossier, 0, 0, sign)
                if end is not None:
                    self._span(scope, end, 0, 0, -sign)

    def _span(self, scope: str, year: int, members: int, transit: int, dossier: int) -> None:
        deltas = self.spans.get((scope, year))
        if deltas is None:
            self.spans[(scope, year)] = [members, transit, dossier]
        else:
            deltas[0] += members
            deltas[1] += transit
            deltas[2] += dossier

    def add_event(self, row: Sequence[Any], sign: int) -> None:
        """Count (``sign`` 1) or uncount (-1) a counted fact known now (a derived row)."""
        self.event([row[i] for i in _EVENT], sign)

    def event(self, values: Sequence[Any], sign: int) -> None:
        """Count (``sign`` 1) or uncount (-1) a counted fact (``EVENT_COLUMNS``)."""
        before, after, kind, on_day, *details, dossier_on = values  # details: job, years, flags
        year = on_day[:-6]
        dossier = int(dossier_on <= f"{year}-12-31")
        key = (before, after, int(year), kind, *details, dossier)
        self.events[key] = self.events.get(key, 0) + sign

    def totals(
        self, paths: Iterable[str] | None = None
    ) -> tuple[dict[tuple[str, int], list[int]], dict[tuple[str, int, str], int]]:
        """The changes spread over the tallied orgs (only ``paths``, when given): per org and
        year, of members, in transit and with a dossier; per org, year and figure."""
        wanted = None if paths is None else set(paths)
        by_year: dict[tuple[str, int], list[int]] = {}
        for (scope, year), deltas in self.spans.items():
            for path in tallied_paths(scope):
                if wanted is not None and path not in wanted:
                    continue
                total = by_year.setdefault((path, year), [0, 0, 0])
                for i in range(3):
                    total[i] += deltas[i]
        by_figure: dict[tuple[str, int, str], int] = {}
        for (before, after, year, *kind), n in self.events.items():
            for path, inside_before, inside_after in _sides(before, after):
                if wanted is not None and path not in wanted:
                    continue
                for figure, amount in _one_fact(inside_before, inside_after, *kind):
                    at = (path, year, figure)
                    by_figure[at] = by_figure.get(at, 0) + amount * n
        return by_year, by_figure

    def write(
        self, executemany: Callable[[str, Sequence[Sequence[Any]]], None], suffix: str
    ) -> None:
        """Add the batch's changes to the tables (``NAME + suffix``); a row back to zero goes,
        so the tables do not depend on where batches were cut (a rebuild's equal them)."""
        by_year, by_figure = self.totals()
        roster, events = f"rm_tally_roster{suffix}", f"rm_tally_events{suffix}"
        changed = [(p, y, *d) for (p, y), d in by_year.items() if any(d)]
        executemany(
            f"INSERT INTO {roster} (path, year, members, in_transit, with_dossier) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (path, year) DO UPDATE SET "
            f"members = {roster}.members + excluded.members, "
            f"in_transit = {roster}.in_transit + excluded.in_transit, "
            f"with_dossier = {roster}.with_dossier + excluded.with_dossier",
            changed,
        )
        executemany(
            f"DELETE FROM {roster} WHERE path = ? AND year = ? "
            "AND members = 0 AND in_transit = 0 AND with_dossier = 0",
            # (A year's differences can be negative: any change can bring them back to zero.)
            [row[:2] for row in changed],
        )
        figures = [(*key, n) for key, n in by_figure.items() if n]
        executemany(
            f"INSERT INTO {events} (path, year, figure, n) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT (path, year, figure) DO UPDATE SET n = {events}.n + excluded.n",
            figures,
        )
        executemany(
            f"DELETE FROM {events} WHERE path = ? AND year = ? AND figure = ? AND n = 0",
            [row[:3] for row in figures if row[3] < 0],  # (counts: only a fall ends at zero)
        )


def roster_at_year_ends(
    store: Store, path: str, years: Iterable[int], moment: str = EVERYTHING
) -> dict[int, tuple[int, int, int]]:
    """Members, members in transit and members with a dossier on the roster of the subtree at
    ``path`` (a tallied org) on December 31 of each of ``years``, as known at ``moment``."""
    wanted = sorted(set(years))
    changes: dict[int, list[int]] = {}
    for year, *counts in store.fetchall(
        "SELECT year, members, in_transit, with_dossier FROM rm_tally_roster "
        "WHERE path = ? AND year <= ?",
        (path, wanted[-1]),
    ):
        changes[int(year)] = [int(n) for n in counts]
    if moment != EVERYTHING:
        by_year, _ = _rewound_spans(store, moment, wanted[0], wanted[-1], [path]).totals([path])
        for (_, year), deltas in by_year.items():
            total = changes.setdefault(year, [0, 0, 0])
            for i in range(3):
                total[i] += deltas[i]
    found: dict[int, tuple[int, int, int]] = {}
    totals = [0, 0, 0]
    ordered = sorted(changes.items())
    index = 0
    for year in wanted:
        while index < len(ordered) and ordered[index][0] <= year:
            for i in range(3):
                totals[i] += ordered[index][1][i]
            index += 1
        found[year] = (totals[0], totals[1], totals[2])
    return found


def members_at_year_end(
    store: Store, paths: Sequence[str], year: int, moment: str = EVERYTHING
) -> dict[str, int]:
    """Members on the roster of the subtree at each of ``paths`` (tallied orgs) on December 31
    of ``year``, as known at ``moment``."""
    found = dict.fromkeys(paths, 0)
    if paths:
        rows = store.fetchall(
            "SELECT path, sum(members) FROM rm_tally_roster "
            f"WHERE path IN ({', '.join('?' * len(paths))}) AND year <= ? GROUP BY path",
            (*paths, year),
        )
        found.update((str(path), int(n)) for path, n in rows)
        if moment != EVERYTHING:
            by_year, _ = _rewound_spans(store, moment, year, year, paths).totals(paths)
            for (path, changed), deltas in by_year.items():
                if changed <= year:
                    found[path] += deltas[0]
    return found


def event_figures(
    store: Store, path: str, first: int, last: int, moment: str = EVERYTHING
) -> dict[int, dict[str, int]]:
    """What the counted facts of each year from ``first`` to ``last`` add to each figure, for
    the subtree at ``path`` (a tallied org), as known at ``moment``; only the figures they add
    to (a figure rewound to zero may be listed with 0)."""
    found: dict[int, dict[str, int]] = {}
    for year, figure, n in store.fetchall(
        "SELECT year, figure, n FROM rm_tally_events WHERE path = ? AND year >= ? AND year <= ?",
        (path, first, last),
    ):
        found.setdefault(int(year), {})[str(figure)] = int(n)
    if moment != EVERYTHING:
        _, by_figure = _rewound_events(store, moment, first, last, path).totals([path])
        for (_, year, figure), n in by_figure.items():
            added = found.setdefault(year, {})
            added[figure] = added.get(figure, 0) + n
    return found


# Known at an earlier time T, the tallies are rewound: the rows known at T but not now are
# counted back in, those known now but not at T taken out, by the same ``Tallies`` that keeps
# them. Those rows are the ones changed since T, a few ranges of the index that starts with
# (known_to, known_from): few when T is recent, as an auditor's question usually is.


def _within(paths: Sequence[str]) -> tuple[str, str]:
    """Bounds of the scopes in the subtrees at ``paths`` (and in any between them)."""
    return min(paths), max(paths)[:-1] + chr(ord("/") + 1)


def _rewound_spans(
    store: Store, moment: str, first: int, last: int, paths: Sequence[str]
) -> Tallies:
    """The roster spans in the subtrees at ``paths`` on some year end from ``first`` to
    ``last`` whose knowledge changed since ``moment``, counted as they take the tallies back
    to ``moment``."""
    tallies = Tallies()
    columns = ", ".join(SPAN_COLUMNS)
    hint = store.indexed_by("rm_spans", "known_to, known_from")
    for condition, params in known_at_one(moment, EVERYTHING):
        for *row, known_to in store.fetchall(
            f"SELECT {columns}, known_to FROM rm_spans{hint} WHERE {condition} "
            "AND valid_to > ? AND valid_from <= ? AND scope >= ? AND scope < ?",
            (*params, f"{first:04d}-12-31", f"{last:04d}-12-31", *_within(paths)),
        ):
            tallies.span(row, -1 if known_to == OPEN_TIME else 1)
    return tallies


def _rewound_events(store: Store, moment: str, first: int, last: int, path: str) -> Tallies:
    """The counted facts of the years from ``first`` to ``last`` in or out of the subtree at
    ``path`` whose knowledge changed since ``moment``, counted as they take the tallies back
    to ``moment``."""
    tallies = Tallies()
    columns = ", ".join(EVENT_COLUMNS)
    for condition, params in known_at_one(moment, EVERYTHING):
        for *row, known_to in store.fetchall(
            f"SELECT {columns}, known_to FROM rm_events "
            f"WHERE on_day >= ? AND on_day <= ? AND {condition} "
            "AND ((scope_before >= ? AND scope_before < ?) "
            "OR (scope_after >= ? AND scope_after < ?))",
            (f"{first:04d}-01-01", f"{last:04d}-12-31", *params, *_within([path]) * 2),
        ):
            tallies.event(row, -1 if known_to == OPEN_TIME else 1)
    return tallies
