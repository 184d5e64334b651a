"""The read side's façade: the read models caught up, and the queries the reports share.

Each report of SPEC §4 is a module of ``projections.reports``; ``ReadModels`` answers them.

``ReadModels`` catches the read models up with the event log before every answer, so a query
run right after an import sees it, whichever process imported.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ledger.errors import UnknownOrg
from projections.knowledge import EVERYTHING, OPEN_TIME, knowledge, utc_text
from projections.reports.annual import AnnualReport, YearFlow, annual_decade
from projections.reports.annual import annual as annual_of
from projections.reports.badges import BadgesDue
from projections.reports.badges import badges_due as badges_due_of
from projections.reports.diff import AnnualDiff
from projections.reports.diff import annual_diff as annual_diff_of
from projections.reports.directory import MemberSearch
from projections.reports.directory import names as names_of
from projections.reports.directory import search as search_of
from projections.reports.facts import FactLog, fact_log
from projections.reports.member import MemberView
from projections.reports.member import member as member_of
from projections.reports.names import Names
from projections.reports.orgs import OrgTree, org_tree
from projections.reports.quality import QualityReport
from projections.reports.quality import quality as quality_of
from projections.reports.roster import Roster, RosterEntry, roster_page
from projections.reports.roster import roster as roster_of
from projections.store import Store
from projections.tallies import (
    is_tallied,
    members_at_year_end,
    rewinding_pays,
    roster_at_year_ends,
    tallied_paths,
    year_ending,
)
from projections.text import search_key
from storage.event_log import EventLog

if TYPE_CHECKING:
    from projections.runner import ProjectionRunner

R = TypeVar("R")

ANSWERS_KEPT = 32
"""Report answers a ``ReadModels`` keeps (small reports: annual, quality, badges due)."""
ANALYZE_AFTER = 20_000
"""Refresh the planner's statistics after catching up this many events."""


def _known(moment: datetime | None) -> str:
    return utc_text(moment) if moment is not None else EVERYTHING


def _subtree(path: str) -> tuple[str, str]:
    """Bounds of the paths in the subtree at ``path``: '/hp/d01/' ≤ p < '/hp/d010'."""
    return path, path[:-1] + chr(ord("/") + 1)


@dataclass(frozen=True, slots=True)
class RosterCounts:
    """Roster counts per day; in transit and with a dossier on the days asked for."""

    members: dict[str, int]
    in_transit: dict[str, int]
    with_dossier: dict[str, int]


_CATCHING_UP = threading.Lock()
"""One reader at a time per process catches the read models up: concurrent readers would each
compute the same batch and all but one throw theirs away (the runner's position check), which
under a steady import kept every read waiting for tens of seconds (benchmarks/soak.py)."""


class ReadModels:
    """The read side: rosters, annual statistics and member views for any (as of, known at)."""

    def __init__(self, log: EventLog, store: Store | None = None) -> None:
        self.log = log
        self.store = store or Store(log.database)
        self._runner: ProjectionRunner | None = None
        self._answers: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._names: tuple[int, list[tuple[str, str, str, str | None]]] | None = None
        self._plain: dict[str, tuple[str, str, str]] = {}
        """member → (its name as stored, sealed; folded; decrypted), for ``decrypted_names``."""

    @property
    def runner(self) -> ProjectionRunner:
        """The projection runner, loaded on first use (with the derivation and the rules: a
        query on up-to-date read models needs none of them)."""
        if self._runner is None:
            from projections.runner import ProjectionRunner

            self._runner = ProjectionRunner(self.log, self.store)
        return self._runner

    def close(self) -> None:
        """Close the read models' connection."""
        self.store.close()

    def fresh(self, progress: Callable[[int], None] | None = None) -> None:
        """Apply whatever the log holds that the read models have not seen yet."""
        if not self.store.behind_log():
            return
        with _CATCHING_UP:  # the reader before this one may have caught up meanwhile
            if self.store.behind_log() and self.runner.catch_up(progress) >= ANALYZE_AFTER:
                self.store.analyze()

    def subtree(self, org: str) -> tuple[str, str]:
        """Bounds of the scopes in the subtree of ``org``."""
        return _subtree(self.org_path(org))

    @staticmethod
    def subtree_of_path(path: str) -> tuple[str, str]:
        """Bounds of the scopes in the subtree at ``path``."""
        return _subtree(path)

    def org_path(self, org: str) -> str:
        """The org's materialised path; UnknownOrg when it was never registered."""
        row = self.store.fetchone("SELECT path FROM rm_orgs WHERE org = ?", (org,))
        if row is None:
            raise UnknownOrg(f"org {org} is not registered")
        return str(row[0])

    # --- reports ----------------------------------------------------------------------------

    def roster(self, org: str, *, as_of: date, known_at: datetime | None, label: str) -> Roster:
        """The roster of SPEC §4 for the subtree of ``org``."""
        return roster_of(self, org, as_of, _known(known_at), label)

    def roster_page(
        self,
        org: str,
        *,
        as_of: date,
        known_at: datetime | None,
        offset: int,
        limit: int,
        members: list[str] | None = None,
        id_part: str | None = None,
    ) -> tuple[int, int, list[RosterEntry]]:
        """A page of the roster: its count, the count matching the filter (members listed, or
        an id containing ``id_part``), the page's entries (the dashboard's roster)."""
        return roster_page(self, org, as_of, _known(known_at), offset=offset, limit=limit,
                           members=members, id_part=id_part)  # fmt: skip

    def annual(self, org: str, *, year: int, known_at: datetime | None, label: str) -> AnnualReport:
        """The annual report of SPEC §4 for the subtree of ``org`` and ``year``."""
        moment = _known(known_at)
        report = self._kept(
            ("annual", org, year, moment), lambda: annual_of(self, org, year, moment, "")
        )
        previous = report.previous_year.model_copy(update={"known_at": label})
        return report.model_copy(update={"known_at": label, "previous_year": previous})

    def annual_decade(
        self, org: str, *, year: int, span: int, known_at: datetime | None, label: str
    ) -> tuple[AnnualReport, list[YearFlow]]:
        """The annual report of ``year`` and the admissions, exits and year-end members of the
        ``span`` years up to it (the dashboard's org page: one scan for both)."""
        moment = _known(known_at)
        report, flows = self._kept(
            ("decade", org, year, span, moment),
            lambda: annual_decade(self, org, year, span, moment, ""),
        )
        previous = report.previous_year.model_copy(update={"known_at": label})
        return report.model_copy(update={"known_at": label, "previous_year": previous}), flows

    def annual_diff(
        self,
        org: str,
        *,
        year: int,
        then: datetime,
        now: datetime | None,
        then_label: str,
        now_label: str,
    ) -> AnnualDiff:
        """The auditor's diff of SPEC §5: the annual report known ``then`` against ``now``."""
        return annual_diff_of(self, org, year, then, now, then_label, now_label)

    def member(
        self, member_id: str, *, as_of: date, known_at: datetime | None, label: str
    ) -> MemberView:
        """The member view of SPEC §4; a member the ledger never heard of is ``not_member``."""
        return member_of(self, member_id, as_of, _known(known_at), label)

    def recorders(self, member_id: str, *, known_at: datetime | None) -> dict[str, str]:
        """Who recorded each of the member's facts (beside the member view, not in it)."""
        from projections.reports.member import recorders

        self.fresh()
        return recorders(self, member_id, _known(known_at))

    def badges_due(self, org: str, *, on: date) -> BadgesDue:
        """The badges-due report of SPEC §4."""
        return self._kept(("badges", org, on), lambda: badges_due_of(self, org, on))

    def quality(
        self, org: str, *, as_of: date, known_at: datetime | None, label: str
    ) -> QualityReport:
        """The data-quality report of SPEC §4."""
        moment = _known(known_at)
        report = self._kept(
            ("quality", org, as_of, moment), lambda: quality_of(self, org, as_of, moment, "")
        )
        return report.model_copy(update={"known_at": label})

    def _kept(self, key: tuple[Any, ...], answer: Callable[[], R]) -> R:
        """``answer()``, or the same answer kept from an earlier call with the same question.

        A report is a function of the question and of the read models, which are a function of
        the log up to the position they have applied: an answer is kept under (question,
        position) — after catching up — so any new fact, whatever its recording time, asks
        again. Reports are values (immutable models); each call relabels its copy with its own
        ``known_at``. A long-lived process (the HTTP API) answers a repeated question without
        its queries; the command line asks once.
        """
        self.fresh()
        keyed = (*key, self.store.tracked_position())
        found = self._answers.get(keyed)
        if found is None:
            found = answer()
            self._answers[keyed] = found
            while len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(keyed)
        return cast(R, found)

    # --- the directory: names, the org tree, member search, the fact log -------------------

    def names(
        self, *, orgs: Iterable[str | None] = (), members: Iterable[str | None] = ()
    ) -> Names:
        """The names of the given orgs and members (None and unknown ids are skipped), in two
        queries, for text and spreadsheets."""
        return names_of(self, orgs, members)

    def orgs(
        self, org: str | None, *, as_of: date, known_at: datetime | None, label: str
    ) -> OrgTree:
        """The org tree under ``org`` (every tree when None) with roster counts on ``as_of``."""
        return org_tree(self, org, as_of, _known(known_at), label)

    def members(self, name: str, *, limit: int = 50) -> MemberSearch:
        """Members whose name contains ``name``, accents and case aside."""
        return search_of(self, name, limit)

    def decrypted_names(self) -> list[tuple[str, str, str, str | None]]:
        """Every named member of an encrypted ledger as (folded name, id, name, org), sorted:
        what a search scans. Kept in memory while the read models stay at one position; when
        they move, only the names whose stored ciphertext changed are decrypted again."""
        position = self.store.tracked_position()
        if self._names is None or self._names[0] != position:
            unseal = self.store.unseal
            before = self._plain
            plain: dict[str, tuple[str, str, str]] = {}
            folded: dict[str, str] = {}  # names repeat: fold each one once
            names = []
            for member, sealed, org in self.store.fetchall(
                "SELECT member, name, org FROM rm_members WHERE name IS NOT NULL"
            ):
                known = before.get(member)
                if known is None or known[0] != sealed:
                    text = unseal(sealed)
                    fold = folded.get(text)
                    if fold is None:
                        fold = folded[text] = search_key(text)
                    known = (sealed, fold, text)
                plain[member] = known
                names.append((known[1], member, known[2], org))
            names.sort()
            self._names, self._plain = (position, names), plain
        return self._names[1]

    def facts(
        self,
        *,
        member: str | None = None,
        org: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        types: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> FactLog:
        """The fact log of SPEC §5, filtered."""
        return fact_log(
            self, member=member, org=org, since=since, until=until, types=types, limit=limit
        )

    # --- the shared queries of the reports -------------------------------------------------

    def roster_counts(
        self,
        path: str,
        days: list[str],
        moment: str,
        *,
        details: tuple[str, ...] = (),
        tallied: bool = False,
    ) -> RosterCounts:
        """Members on the roster on each of ``days``; on the ``details`` days also the members
        in transit and those with a dossier recorded by then.

        One pass over the spans valid on any of the days (``valid_to`` after the first,
        ``valid_from`` on or before the last), with a filtered count per figure. Within that
        range a span is on the roster on the first day iff it started by then, and on the last
        day iff it ends after it, so most counts need a single comparison per row.
        ``tallied``: the caller found that the tallies answer (``tallies.answers``); on year
        ends they give the counts.
        """
        days = sorted(days)
        ends = {day: year for day in days if (year := year_ending(day)) is not None}
        if tallied and len(ends) == len(days):
            at = roster_at_year_ends(self.store, path, ends.values(), moment)
            return RosterCounts(
                {day: at[year][0] for day, year in ends.items()},
                {day: at[ends[day]][1] for day in details},
                {day: at[ends[day]][2] for day in details},
            )
        first, last = days[0], days[-1]
        low, high = _subtree(path)
        counts: list[str] = []
        params: list[str] = []

        def on_roster(day: str) -> tuple[str, list[str]]:
            if day == first:
                return "valid_from <= ?", [day]
            if day == last:
                return "valid_to > ?", [day]
            return "valid_from <= ? AND valid_to > ?", [day, day]

        for day in days:
            condition, bounds = on_roster(day)
            counts.append(f"count(*) FILTER (WHERE {condition})")
            params += bounds
        for day in details:
            condition, bounds = on_roster(day)
            counts.append(f"count(*) FILTER (WHERE {condition} AND status = 'in_transit')")
            counts.append(f"count(*) FILTER (WHERE {condition} AND dossier_on <= ?)")
            params += [*bounds, *bounds, day]
        hint = self.index_hint(path, moment, split=True)
        where = "valid_to > ? AND valid_from <= ? AND scope >= ? AND scope < ?"
        sql = f"SELECT {', '.join(counts)} FROM rm_spans{hint} WHERE "
        if self.whole_tree(path) and moment != EVERYTHING:
            # Known at an earlier time T, the whole tree: the rows still open and known by T,
            # plus those closed after T (few when T is recent). Each part is a range of the
            # index that starts with known_to, as known now is; one range over known_to > T
            # would walk every row known since, historical spans included.
            parts = [
                ("known_to = ? AND known_from <= ?", (OPEN_TIME, moment)),
                ("known_to > ? AND known_to < ? AND known_from <= ?", (moment, OPEN_TIME, moment)),
            ]
        else:
            parts = [knowledge(moment)]
        found = [
            self.store.fetchone(
                f"{sql}{known} AND {where}", (*params, *known_params, first, last, low, high)
            )
            for known, known_params in parts
        ]
        assert all(r is not None for r in found)
        row = tuple(sum(int(r[i] or 0) for r in found if r) for i in range(len(counts)))
        values = [int(v) for v in row]
        extra = values[len(days) :]
        return RosterCounts(
            dict(zip(days, values, strict=False)),
            {day: extra[2 * i] for i, day in enumerate(details)},
            {day: extra[2 * i + 1] for i, day in enumerate(details)},
        )

    def _scope_counts(self, path: str, day: str, moment: str) -> list[tuple[str, int]]:
        """The roster on ``day`` of the subtree at ``path`` (``/``: every tree), counted per
        scope, sorted by scope: one pass over the roster."""
        low, high = _subtree(path) if path != "/" else ("/", "0")
        known, known_params = knowledge(moment)
        rows = self.store.fetchall(
            f"SELECT scope, count(*) FROM rm_spans{self.index_hint(path, moment)} "
            f"WHERE {known} AND valid_to > ? AND valid_from <= ? AND scope >= ? AND scope < ? "
            "GROUP BY scope",
            (*known_params, day, day, low, high),
        )
        return sorted((str(scope), int(count)) for scope, count in rows)

    def counts_by_path(self, path: str, day: str, moment: str) -> dict[str, int]:
        """The roster count on ``day`` of each org of the subtree at ``path`` (``/`` for every
        tree) that has members, by the org's path: each scope's count added to the org it names
        and to each of its ancestors."""
        by_path: dict[str, int] = {}
        for scope, count in self._scope_counts(path, day, moment):
            parts = scope.strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                ancestor = "/" + "/".join(parts[:depth]) + "/"
                by_path[ancestor] = by_path.get(ancestor, 0) + count
        return by_path

    def counts_under(
        self, path: str, paths: Iterable[str], day: str, moment: str
    ) -> dict[str, int]:
        """The roster count on ``day`` of the subtree at each of ``paths`` (all within the
        subtree at ``path``): the same pass as ``counts_by_path``, summed only for those.
        On a year end, orgs at the top of the tree are counted from their tallies."""
        paths = list(paths)
        year = year_ending(day)
        if year is not None and all(is_tallied(p) for p in paths):
            root = tallied_paths(path)[0]
            if moment == EVERYTHING or rewinding_pays(self.store, root, moment):
                return members_at_year_end(self.store, paths, year, moment)
        rows = self._scope_counts(path, day, moment)
        scopes = [scope for scope, _ in rows]
        totals = [0, *itertools.accumulate(count for _, count in rows)]
        found = {}
        for wanted in paths:
            low, high = _subtree(wanted)
            found[wanted] = (
                totals[bisect.bisect_left(scopes, high)] - totals[bisect.bisect_left(scopes, low)]
            )
        return found

    @staticmethod
    def whole_tree(path: str) -> bool:
        """The path is a root's (or ``/``, every tree)."""
        return path.count("/") <= 2

    def index_hint(self, path: str, moment: str, *, split: bool = False) -> str:
        """SQLite's index choice for roster scans (PostgreSQL's planner has statistics).

        The whole tree as known now: the index that starts with ``known_to`` (rows still open
        on the date); also at an earlier time when the caller ``split`` the knowledge test into
        equalities and short ranges of known_to (``roster_counts``). A subtree, or an earlier
        knowledge time as one range: the index that starts with scope.
        """
        whole = self.whole_tree(path) and (moment == EVERYTHING or split)
        return self.store.indexed_by("rm_spans", "known_to, valid_to" if whole else "scope")

    def unreadable(self, member: str, *, known_at: datetime | None) -> tuple[str, str] | None:
        """The fact and reason that quarantine ``member`` as known at ``known_at``, if any."""
        self.fresh()
        known, known_params = knowledge(_known(known_at))
        row = self.store.fetchone(
            f"SELECT fact_id, detail FROM rm_unreadable WHERE member = ? AND {known}",
            (member, *known_params),
        )
        return (str(row[0]), self.store.unseal(str(row[1]))) if row else None


def member_report(
    log: EventLog,
    member: str,
    *,
    as_of: date,
    known_at: datetime | None,
    label: str,
) -> MemberView:
    """The member JSON of SPEC §4 folded from the member's own events (no read model).

    The reference the read model's ``ReadModels.member`` is checked against.
    """
    from ledger.events import FactEvent, member_uuid  # the library's: not for every query
    from projections.member_view import member_view

    events = [log.decode(item) for item in log.events_of([member_uuid(member)])]
    facts = [e.to_fact(i) for i, e in enumerate(e for e in events if isinstance(e, FactEvent))]
    return member_view(member, facts, as_of=as_of, known_at=known_at, known_at_label=label)
