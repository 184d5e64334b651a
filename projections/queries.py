"""Query functions that answer SPEC §4 from the read models (indexed range queries).

``ReadModels`` catches the read models up with the event log before every answer, so a query
run right after an import sees it, whichever process imported.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from commands.application import LedgerApplication
from ledger.dates import party_age_years
from ledger.errors import UnknownOrg
from ledger.facts import BADGE_MILESTONES, OCCUPATIONS
from projections.member_view import member_view
from projections.runner import ProjectionRunner
from projections.store import OPEN_TIME, Store, utc_text

EVERYTHING = "9999-12-30T00:00:00.000000"
"""The knowledge time that sees every row still open: 'known at' now."""


def _known(moment: datetime | None) -> str:
    return utc_text(moment) if moment is not None else EVERYTHING


def _subtree(path: str) -> tuple[str, str]:
    """Bounds of the paths in the subtree at ``path``: '/hp/d01/' ≤ p < '/hp/d010'."""
    return path, path[:-1] + chr(ord("/") + 1)


class ReadModels:
    """The read side: rosters, annual statistics and member views for any (as of, known at)."""

    def __init__(self, app: LedgerApplication, store: Store | None = None) -> None:
        self.app = app
        self.store = store or Store(app.database)
        self.runner = ProjectionRunner(app, self.store)

    def close(self) -> None:
        """Close the read models' connection."""
        self.store.close()

    def fresh(self) -> None:
        """Apply whatever the log holds that the read models have not seen yet."""
        if self.runner.behind():
            self.runner.catch_up()

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
        low, high = _subtree(self.org_path(org))
        day, moment = as_of.isoformat(), _known(known_at)
        rows = self.store.fetchall(
            "SELECT member, org, status, since FROM rm_spans "
            "WHERE scope >= ? AND scope < ? AND valid_from <= ? AND valid_to > ? "
            "AND known_from <= ? AND known_to > ? ORDER BY member",
            (low, high, day, day, moment, moment),
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

    def roster_counts(self, path: str, day: str, moment: str) -> tuple[int, int, int]:
        """(members, in transit, with a dossier recorded by ``day``) on the roster."""
        low, high = _subtree(path)
        row = self.store.fetchone(
            "SELECT count(*), "
            "coalesce(sum(CASE WHEN status = 'in_transit' THEN 1 ELSE 0 END), 0), "
            "coalesce(sum(CASE WHEN dossier_on <= ? THEN 1 ELSE 0 END), 0) FROM rm_spans "
            "WHERE scope >= ? AND scope < ? AND valid_from <= ? AND valid_to > ? "
            "AND known_from <= ? AND known_to > ?",
            (day, low, high, day, day, moment, moment),
        )
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    # --- annual statistics ------------------------------------------------------------------

    def annual(
        self, org: str, *, year: int, known_at: datetime | None, label: str
    ) -> dict[str, Any]:
        """The annual report of SPEC §4 for the subtree of ``org`` and ``year``."""
        self.fresh()
        path = self.org_path(org)
        report = self._year(org, path, year, _known(known_at), label)
        report["previous_year"] = self._year(org, path, year - 1, _known(known_at), label)
        return report

    def _year(self, org: str, path: str, year: int, moment: str, label: str) -> dict[str, Any]:
        start_day, end_day = f"{year - 1}-12-31", f"{year}-12-31"
        at_start, _, _ = self.roster_counts(path, start_day, moment)
        at_end, in_transit, with_dossier = self.roster_counts(path, end_day, moment)
        low, high = _subtree(path)
        rows = self.store.fetchall(
            "SELECT type, scope_before, scope_after, readmitted, female, youth_union, "
            "private_business_owner, population_policy_violation, occupation, years, dossier_on "
            "FROM rm_events WHERE on_day >= ? AND on_day <= ? "
            "AND known_from <= ? AND known_to > ? "
            "AND ((scope_before >= ? AND scope_before < ?) "
            "OR (scope_after >= ? AND scope_after < ?))",
            (f"{year}-01-01", end_day, moment, moment, low, high, low, high),
        )
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
            readmitted,
            female,
            youth,
            owner,
            violation,
            job,
            years,
            dossier,
        ) in rows:
            inside_before = before is not None and low <= before < high
            inside_after = after is not None and low <= after < high
            name = kind.split(".", 1)[1]
            if name == "admitted":
                if not inside_after:
                    continue
                counts["admitted"] += 1
                counts["readmitted"] += readmitted
                by["female"] += female
                by["youth_union"] += youth
                by["private_business_owner"] += owner
                by["population_policy_violation"] += violation
                occupations[job] = occupations.get(job, 0) + 1
                counts["admitted_with_dossier"] += int(dossier <= end_day)
            elif name == "transferred_in":
                counts["transferred_in"] += int(inside_after and not inside_before)
            elif name == "transferred_out":
                if inside_before:
                    counts["internal_moves" if inside_after else "transferred_out"] += 1
            elif inside_before:
                if name == "badge_awarded":
                    counts["badges_awarded"] += 1
                    badges[str(years)] += 1
                else:
                    counts[name] += 1
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
        state = self.store.fetchone(
            "SELECT status, standing, org, to_org, first_admission, gap_days, frozen_on, badges, "
            "exempt, away FROM rm_states WHERE member = ? AND valid_from <= ? AND valid_to > ? "
            "AND known_from <= ? AND known_to > ?",
            (member, day, day, moment, moment),
        )
        facts = self.store.fetchall(
            "SELECT fact_id, type, on_day, recorded_at, retracted, anomaly FROM rm_facts "
            "WHERE member = ? AND on_day <= ? AND known_from <= ? AND known_to > ? "
            "ORDER BY on_day, seq",
            (member, day, moment, moment),
        )
        status, standing, org, to_org, first, gap, frozen, badges, exempt, away = state or (
            "not_member", None, None, None, None, 0, None, "[]", 0, 0,
        )  # fmt: skip
        age = None
        if first is not None:
            end = min(as_of, date.fromisoformat(frozen)) if frozen else as_of
            age = party_age_years(date.fromisoformat(first), int(gap), end)
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


def member_report(
    app: LedgerApplication,
    member: str,
    *,
    as_of: date,
    known_at: datetime | None,
    label: str,
) -> dict[str, Any]:
    """The member JSON of SPEC §4 folded from the member's own events (no read model).

    The reference the read model's ``ReadModels.member`` is checked against.
    """
    aggregate = app.member(member)
    facts = aggregate.facts if aggregate is not None else []
    return member_view(member, facts, as_of=as_of, known_at=known_at, known_at_label=label)


assert OPEN_TIME > EVERYTHING
