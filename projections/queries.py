"""Query functions that answer SPEC §4 from the read models (indexed range queries).

``ReadModels`` catches the read models up with the event log before every answer, so a query
run right after an import sees it, whichever process imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import orjson

from ledger.dates import party_age_years
from ledger.errors import UnknownOrg
from ledger.facts import BADGE_MILESTONES, OCCUPATIONS
from projections import quality
from projections.store import EVERYTHING, Store, knowledge, utc_text
from storage.event_log import EventLog

if TYPE_CHECKING:
    from projections.runner import ProjectionRunner

ANALYZE_AFTER = 20_000
"""Refresh the planner's statistics after catching up this many events."""


def _known(moment: datetime | None) -> str:
    return utc_text(moment) if moment is not None else EVERYTHING


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def year_end(year: int) -> str:
    """December 31 of ``year`` as ISO text (zero-padded: year 21 is 0021)."""
    return f"{year:04d}-12-31"


def _subtree(path: str) -> tuple[str, str]:
    """Bounds of the paths in the subtree at ``path``: '/hp/d01/' ≤ p < '/hp/d010'."""
    return path, path[:-1] + chr(ord("/") + 1)


@dataclass(frozen=True, slots=True)
class RosterCounts:
    """Roster counts per day; in transit and with a dossier on the days asked for."""

    members: dict[str, int]
    in_transit: dict[str, int]
    with_dossier: dict[str, int]


class ReadModels:
    """The read side: rosters, annual statistics and member views for any (as of, known at)."""

    def __init__(self, log: EventLog, store: Store | None = None) -> None:
        self.log = log
        self.store = store or Store(log.database)
        self._runner: ProjectionRunner | None = None

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
        if self.store.behind_log() and self.runner.catch_up(progress) >= ANALYZE_AFTER:
            self.store.analyze()

    def subtree(self, org: str) -> tuple[str, str]:
        """Bounds of the scopes in the subtree of ``org``."""
        return _subtree(self.org_path(org))

    def badges_due(self, org: str, *, on: date) -> dict[str, Any]:
        """The badges-due report of SPEC §4."""
        return quality.badges_due(self, org, on)

    def quality(
        self, org: str, *, as_of: date, known_at: datetime | None, label: str
    ) -> dict[str, Any]:
        """The data-quality report of SPEC §4."""
        return quality.quality(self, org, as_of, _known(known_at), label)

    def org_path(self, org: str) -> str:
        """The org's materialised path; UnknownOrg when it was never registered."""
        row = self.store.fetchone("SELECT path FROM rm_orgs WHERE org = ?", (org,))
        if row is None:
            raise UnknownOrg(f"org {org} is not registered")
        return str(row[0])

    # --- roster -----------------------------------------------------------------------------

    def roster(
        self, org: str, *, as_of: date, known_at: datetime | None, label: str
    ) -> dict[str, Any]:
        """The roster of SPEC §4 for the subtree of ``org``."""
        self.fresh()
        path = self.org_path(org)
        low, high = _subtree(path)
        day, moment = as_of.isoformat(), _known(known_at)
        known, known_params = knowledge(moment)
        rows = self.store.fetchall(
            f"SELECT member, org, status, since FROM rm_spans{self._hint(path, moment)} "
            f"WHERE {known} AND valid_to > ? AND valid_from <= ? AND scope >= ? AND scope < ? "
            "ORDER BY member",
            (*known_params, day, day, low, high),
        )
        return {
            "org": org,
            "as_of": day,
            "known_at": label,
            "count": len(rows),
            "members": [
                {"member": m, "org": o, "status": status, "since": since}
                for m, o, status, since in rows
            ],
        }

    def roster_counts(
        self, path: str, days: list[str], moment: str, *, details: tuple[str, ...] = ()
    ) -> RosterCounts:
        """Members on the roster on each of ``days``; on the ``details`` days also the members
        in transit and those with a dossier recorded by then.

        One pass over the spans valid on any of the days (``valid_to`` after the first,
        ``valid_from`` on or before the last), with a filtered count per figure. Within that
        range a span is on the roster on the first day iff it started by then, and on the last
        day iff it ends after it, so most counts need a single comparison per row.
        """
        days = sorted(days)
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
        known, known_params = knowledge(moment)
        row = self.store.fetchone(
            f"SELECT {', '.join(counts)} FROM rm_spans{self._hint(path, moment)} "
            f"WHERE {known} AND valid_to > ? AND valid_from <= ? AND scope >= ? AND scope < ?",
            (*params, *known_params, first, last, low, high),
        )
        assert row is not None
        values = [int(v) for v in row]
        extra = values[len(days) :]
        return RosterCounts(
            dict(zip(days, values, strict=False)),
            {day: extra[2 * i] for i, day in enumerate(details)},
            {day: extra[2 * i + 1] for i, day in enumerate(details)},
        )

    def _hint(self, path: str, moment: str) -> str:
        """SQLite's index choice for roster scans (PostgreSQL's planner has statistics).

        The whole tree as known now: the index that starts with ``known_to`` (rows still open
        on the date). A subtree, or an earlier knowledge time: the index that starts with scope.
        """
        if self.store.is_postgres:
            return ""
        whole = path.count("/") <= 2 and moment == EVERYTHING
        # Looked up each time: a rebuild in any process renames the indexes.
        name = self.store.index_on("rm_spans", "known_to" if whole else "scope")
        return f" INDEXED BY {name}" if name else ""

    # --- annual statistics ------------------------------------------------------------------

    def annual(
        self, org: str, *, year: int, known_at: datetime | None, label: str
    ) -> dict[str, Any]:
        """The annual report of SPEC §4 for the subtree of ``org`` and ``year``."""
        self.fresh()
        path = self.org_path(org)
        moment = _known(known_at)
        ends = [year_end(y) for y in (year - 2, year - 1, year)]
        counts = self.roster_counts(path, ends, moment, details=(ends[1], ends[2]))
        groups = self._event_groups(path, year - 1, year, moment)
        report = self._year(org, year, label, counts, groups.get(year, []))
        report["previous_year"] = self._year(org, year - 1, label, counts, groups.get(year - 1, []))
        return report

    def _event_groups(
        self, path: str, first: int, last: int, moment: str
    ) -> dict[int, list[tuple[Any, ...]]]:
        """The counted facts of the years, grouped in SQL: one row per kind of contribution."""
        low, high = _subtree(path)
        known, known_params = knowledge(moment)
        inside_before = "coalesce(scope_before >= ? AND scope_before < ?, FALSE)"
        inside_after = "coalesce(scope_after >= ? AND scope_after < ?, FALSE)"
        rows = self.store.fetchall(
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
        self,
        org: str,
        year: int,
        label: str,
        counts_at: RosterCounts,
        groups: list[tuple[Any, ...]],
    ) -> dict[str, Any]:
        end = year_end(year)
        at_start = counts_at.members[year_end(year - 1)]
        at_end = counts_at.members[end]
        in_transit, with_dossier = counts_at.in_transit[end], counts_at.with_dossier[end]
        counts = dict.fromkeys(
            ("admitted", "readmitted", "probation_completed", "transferred_in", "transferred_out",
             "internal_moves", "badges_awarded", "expelled", "removed", "resigned", "died",
             "admitted_with_dossier"),
            0,
        )  # fmt: skip
        by = {"female": 0, "youth_union": 0, "private_business_owner": 0,
              "population_policy_violation": 0}  # fmt: skip
        occupations = dict.fromkeys(OCCUPATIONS, 0)
        badges = {str(years): 0 for years in BADGE_MILESTONES}
        for (
            kind,
            before,
            after,
            job,
            years,
            n,
            readmitted,
            female,
            youth,
            owner,
            violation,
            dossier,
        ) in groups:
            inside_before, inside_after = bool(before), bool(after)
            name = kind.split(".", 1)[1]
            if name == "admitted":
                if not inside_after:
                    continue
                counts["admitted"] += n
                counts["readmitted"] += readmitted
                by["female"] += female
                by["youth_union"] += youth
                by["private_business_owner"] += owner
                by["population_policy_violation"] += violation
                occupations[job] = occupations.get(job, 0) + n
                counts["admitted_with_dossier"] += dossier
            elif name == "transferred_in":
                counts["transferred_in"] += n if inside_after and not inside_before else 0
            elif name == "transferred_out":
                if inside_before:
                    counts["internal_moves" if inside_after else "transferred_out"] += n
            elif inside_before:
                if name == "badge_awarded":
                    counts["badges_awarded"] += n
                    badges[str(years)] += n
                else:
                    counts[name] += n
        balance = (
            at_start + counts["admitted"] + counts["transferred_in"] - counts["transferred_out"]
            - counts["expelled"] - counts["removed"] - counts["resigned"] - counts["died"]
        )  # fmt: skip
        return {
            "org": org,
            "year": year,
            "known_at": label,
            "members_at_start": at_start,
            "members_at_end": at_end,
            "admitted": counts["admitted"],
            "readmitted": counts["readmitted"],
            "admitted_by": {**by, "occupation": occupations},
            "probation_completed": counts["probation_completed"],
            "transferred_in": counts["transferred_in"],
            "transferred_out": counts["transferred_out"],
            "internal_moves": counts["internal_moves"],
            "badges_awarded": counts["badges_awarded"],
            "badges_by_years": badges,
            "expelled": counts["expelled"],
            "removed": counts["removed"],
            "resigned": counts["resigned"],
            "died": counts["died"],
            "in_transit_at_end": in_transit,
            "dossiers_recorded_at_end": with_dossier,
            "admitted_with_dossier": counts["admitted_with_dossier"],
            "balanced": balance == at_end,
        }

    # --- member view ------------------------------------------------------------------------

    def member(
        self, member: str, *, as_of: date, known_at: datetime | None, label: str
    ) -> dict[str, Any]:
        """The member view of SPEC §4; a member the ledger never heard of is ``not_member``."""
        self.fresh()
        day, moment = as_of.isoformat(), _known(known_at)
        known, known_params = knowledge(moment)
        state = self.store.fetchone(
            "SELECT status, standing, org, to_org, first_admission, gap_days, frozen_on, badges, "
            "exempt, away FROM rm_states WHERE member = ? AND valid_from <= ? AND valid_to > ? "
            f"AND {known}",
            (member, day, day, *known_params),
        )
        facts = self.store.fetchall(
            "SELECT fact_id, type, on_day, recorded_at, retracted, anomaly FROM rm_facts "
            f"WHERE member = ? AND on_day <= ? AND {known} ORDER BY on_day, seq",
            (member, day, *known_params),
        )
        status, standing, org, to_org, first, gap, frozen, badges, exempt, away = state or (
            "not_member", None, None, None, None, 0, None, "[]", 0, 0,
        )  # fmt: skip
        age = None
        if first is not None:
            age = party_age_years(date.fromisoformat(first), int(gap), as_of, _day(frozen))
        return {
            "member": member,
            "as_of": day,
            "known_at": label,
            "status": status,
            "standing": standing,
            "org": org,
            "to_org": to_org,
            "party_age_years": age,
            "badges": orjson.loads(badges),
            "exempt": bool(exempt),
            "away": bool(away),
            "facts": [
                {"id": fid, "type": kind, "on": on, "recorded_at": recorded,
                 "retracted": bool(retracted), "anomaly": bool(anomaly)}
                for fid, kind, on, recorded, retracted, anomaly in facts
            ],
        }  # fmt: skip

    def unreadable(self, member: str, *, known_at: datetime | None) -> tuple[str, str] | None:
        """The fact and reason that quarantine ``member`` as known at ``known_at``, if any."""
        self.fresh()
        known, known_params = knowledge(_known(known_at))
        row = self.store.fetchone(
            f"SELECT fact_id, detail FROM rm_unreadable WHERE member = ? AND {known}",
            (member, *known_params),
        )
        return (str(row[0]), str(row[1])) if row else None


def member_report(
    log: EventLog,
    member: str,
    *,
    as_of: date,
    known_at: datetime | None,
    label: str,
) -> dict[str, Any]:
    """The member JSON of SPEC §4 folded from the member's own events (no read model).

    The reference the read model's ``ReadModels.member`` is checked against.
    """
    from ledger.events import FactEvent, member_uuid  # the library's: not for every query
    from projections.member_view import member_view

    events = [log.decode(item) for item in log.events_of([member_uuid(member)])]
    facts = [e.to_fact(i) for i, e in enumerate(e for e in events if isinstance(e, FactEvent))]
    return member_view(member, facts, as_of=as_of, known_at=known_at, known_at_label=label)
