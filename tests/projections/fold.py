"""A plain fold of the event log into the reports of SPEC §4 (roster, annual, member view,
badges due, and the quality findings about members).

Written from SPEC.md §1-§4 and docs/decisions.md only, without the read side (projections/).
It answers every question by replaying each member's facts from scratch: the facts known at T
(``recorded_at <= T``), without the facts retracted by a retraction known at T, in timeline
order (``on``, recording order). A member's state after each fact comes from
``ledger.timeline.replay`` (the lifecycle rules are tested elsewhere); everything the read side
adds on top of it is re-derived here: who is in the roster of a subtree, which facts count for
it, the yearly figures and the member view. It is meant to be read, not to be fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from commands.application import LedgerApplication
from ledger import facts as ft
from ledger.dates import add_months, party_age_years
from ledger.facts import Fact
from ledger.timeline import (
    AWAY,
    DEAD,
    EXITED,
    IN_TRANSIT,
    NONE,
    PLACED,
    MemberState,
    Step,
    active_timeline,
    replay,
)

EXITS = {
    ft.EXPELLED: "expelled",
    ft.REMOVED: "removed",
    ft.RESIGNED: "resigned",
    ft.DIED: "died",
}
"""Exit facts and the annual key each one is counted under."""

SINCE_TYPES = (ft.ADMITTED, ft.PROBATION_COMPLETED, ft.TRANSFERRED_OUT, ft.TRANSFERRED_IN)
"""The facts whose ``on`` is a roster line's ``since`` (SPEC §4)."""


@dataclass(frozen=True)
class EventLog:
    """What the fold reads: the org tree and every member's stored facts (retractions too)."""

    parents: dict[str, str | None]
    facts: dict[str, list[Fact]]

    @classmethod
    def load(cls, app: LedgerApplication, orgs: Iterable[str], members: Iterable[str]) -> EventLog:
        """Read the facts of ``members`` and the parents of ``orgs`` from the event store."""
        parents: dict[str, str | None] = {}
        for org in orgs:
            aggregate = app.organization(org)
            if aggregate is not None:
                parents[org] = aggregate.parent
        facts: dict[str, list[Fact]] = {}
        for member in members:
            subject = app.member(member)
            facts[member] = list(subject.facts) if subject is not None else []
        return cls(parents, facts)

    def subtree(self, org: str) -> set[str]:
        """S(org): the org and all its descendants."""
        found = {org}
        changed = True
        while changed:
            changed = False
            for child, parent in self.parents.items():
                if parent in found and child not in found:
                    found.add(child)
                    changed = True
        return found


def in_roster(state: MemberState, subtree: set[str]) -> bool:
    """Placed in an org of S, or in transit with both source and destination in S."""
    if state.phase == PLACED:
        return state.org in subtree
    if state.phase == IN_TRANSIT:
        return state.org in subtree and state.to_org in subtree
    return False


def status_of(state: MemberState) -> str:
    """The member status of SPEC §4."""
    if state.phase == NONE:
        return "not_member"
    if state.phase == PLACED:
        assert state.standing in ("probationary", "official")
        return state.standing
    if state.phase == IN_TRANSIT:
        return "in_transit"
    if state.phase == AWAY:
        return "transferred_away"
    if state.phase == DEAD:
        return "died"
    assert state.phase == EXITED and state.exit_status is not None
    return state.exit_status


def dec31(year: int) -> date:
    """The last day of ``year``."""
    return date(year, 12, 31)


class Fold:
    """The reports of SPEC §4, folded from an ``EventLog``."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self._steps: dict[tuple[str, datetime | None], list[Step]] = {}

    # --- one member at a time ---------------------------------------------------------------

    def known(self, member: str, known_at: datetime | None) -> list[Fact]:
        """The member's facts recorded by ``known_at`` (retractions included)."""
        return [
            f
            for f in self.log.facts.get(member, [])
            if known_at is None or f.recorded_at <= known_at
        ]

    def steps(self, member: str, known_at: datetime | None) -> list[Step]:
        """Each fact in force known at T, in timeline order, with the state before and after."""
        key = (member, known_at)
        if key not in self._steps:
            self._steps[key] = replay(active_timeline(self.known(member, known_at))).steps
        return self._steps[key]

    def state(self, member: str, as_of: date, known_at: datetime | None) -> MemberState:
        """The member's state after every fact in force with ``on <= as_of``."""
        state = MemberState()
        for step in self.steps(member, known_at):
            if step.fact.on > as_of:
                break
            state = step.after
        return state

    def since(self, member: str, as_of: date, known_at: datetime | None) -> date:
        """``on`` of the latest admission, probation, transfer-out or transfer-in by D."""
        days = [
            step.fact.on
            for step in self.steps(member, known_at)
            if step.fact.on <= as_of and not step.inert and step.fact.type in SINCE_TYPES
        ]
        return max(days)

    # --- roster -----------------------------------------------------------------------------

    def roster_lines(
        self, subtree: set[str], as_of: date, known_at: datetime | None
    ) -> list[tuple[str, MemberState]]:
        """(member, state) of everyone in the roster of S as of D, sorted by member."""
        lines = []
        for member in sorted(self.log.facts):
            state = self.state(member, as_of, known_at)
            if in_roster(state, subtree):
                lines.append((member, state))
        return lines

    def fold_roster(
        self, org: str, as_of: date, known_at: datetime | None, label: str = ""
    ) -> dict[str, Any]:
        """The roster JSON of SPEC §4."""
        lines = self.roster_lines(self.log.subtree(org), as_of, known_at)
        members = [
            {
                "member": member,
                "org": state.org,
                "status": status_of(state),
                "since": self.since(member, as_of, known_at).isoformat(),
            }
            for member, state in lines
        ]
        return {
            "org": org,
            "as_of": as_of.isoformat(),
            "known_at": label,
            "count": len(members),
            "members": members,
        }

    # --- annual report ----------------------------------------------------------------------

    def year_figures(
        self, org: str, year: int, known_at: datetime | None, label: str
    ) -> dict[str, Any]:
        """One year of the annual report (without ``previous_year``)."""
        subtree = self.log.subtree(org)
        start = self.roster_lines(subtree, dec31(year - 1), known_at)
        end = self.roster_lines(subtree, dec31(year), known_at)
        counts = {
            key: 0
            for key in (
                "admitted",
                "readmitted",
                "probation_completed",
                "transferred_in",
                "transferred_out",
                "internal_moves",
                "badges_awarded",
                "expelled",
                "removed",
                "resigned",
                "died",
                "admitted_with_dossier",
            )
        }
        by = dict.fromkeys(
            ("female", "youth_union", "private_business_owner", "population_policy_violation"), 0
        )
        occupations = dict.fromkeys(ft.OCCUPATIONS, 0)
        badges = {str(years): 0 for years in ft.BADGE_MILESTONES}
        for member in sorted(self.log.facts):
            steps = self.steps(member, known_at)
            dossier = self.state(member, dec31(year), known_at).dossier_on is not None
            roster_before_death = False
            for step in steps:
                if step.inert:  # made inert by a death: changes no state and no count
                    continue
                before = in_roster(step.before, subtree)
                after = in_roster(step.after, subtree)
                kind = step.fact.type
                if kind == ft.DIED:
                    roster_before_death = before
                if step.fact.on.year != year:
                    continue
                data = step.fact.data
                if kind == ft.ADMITTED and not before and after:
                    counts["admitted"] += 1
                    if step.before.phase == EXITED:
                        counts["readmitted"] += 1
                    person = data["person"]
                    by["female"] += person["gender"] == "female"
                    by["youth_union"] += bool(data["youth_union"])
                    by["private_business_owner"] += bool(data.get("private_business_owner"))
                    by["population_policy_violation"] += bool(
                        data.get("population_policy_violation")
                    )
                    occupations[data["occupation"]] += 1
                    counts["admitted_with_dossier"] += dossier
                elif kind == ft.TRANSFERRED_IN and not before and after:
                    counts["transferred_in"] += 1
                elif kind == ft.TRANSFERRED_OUT and before:
                    counts["internal_moves" if after else "transferred_out"] += 1
                elif kind in EXITS and before:
                    counts[EXITS[kind]] += 1
                elif kind == ft.PROBATION_COMPLETED and before:
                    counts["probation_completed"] += 1
                elif kind == ft.BADGE_AWARDED:
                    posthumous = step.before.phase == DEAD
                    if roster_before_death if posthumous else before:
                        counts["badges_awarded"] += 1
                        badges[str(data["years"])] += 1
        at_start, at_end = len(start), len(end)
        balanced = at_end == (
            at_start
            + counts["admitted"]
            + counts["transferred_in"]
            - counts["transferred_out"]
            - counts["expelled"]
            - counts["removed"]
            - counts["resigned"]
            - counts["died"]
        )
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
            "in_transit_at_end": sum(state.phase == IN_TRANSIT for _, state in end),
            "dossiers_recorded_at_end": sum(state.dossier_on is not None for _, state in end),
            "admitted_with_dossier": counts["admitted_with_dossier"],
            "balanced": balanced,
        }

    def fold_annual(
        self, org: str, year: int, known_at: datetime | None, label: str = ""
    ) -> dict[str, Any]:
        """The annual JSON of SPEC §4, with the previous year."""
        report = self.year_figures(org, year, known_at, label)
        report["previous_year"] = self.year_figures(org, year - 1, known_at, label)
        return report

    # --- member view ------------------------------------------------------------------------

    def fold_member(
        self, member: str, as_of: date, known_at: datetime | None, label: str = ""
    ) -> dict[str, Any]:
        """The member JSON of SPEC §4."""
        known = self.known(member, known_at)
        retracted = {f.target for f in known if f.type == ft.RETRACTED}
        steps = [s for s in self.steps(member, known_at) if s.fact.on <= as_of]
        inert = {s.fact.id for s in steps if s.inert}
        state = steps[-1].after if steps else MemberState()
        listed = sorted(
            (f for f in known if f.type != ft.RETRACTED and f.on <= as_of),
            key=lambda f: (f.on, f.seq),
        )
        member_now = state.phase in (PLACED, IN_TRANSIT, AWAY)
        return {
            "member": member,
            "as_of": as_of.isoformat(),
            "known_at": label,
            "status": status_of(state),
            "standing": state.standing if member_now else None,
            "org": state.org if state.phase != NONE else None,
            "to_org": state.to_org if state.phase == IN_TRANSIT else None,
            "party_age_years": party_age(state, as_of),
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

    # --- badges due -------------------------------------------------------------------------

    def fold_badges_due(self, org: str, on: date) -> dict[str, Any]:
        """The badges-due JSON of SPEC §4 (as known now)."""
        due = []
        for member, state in self.roster_lines(self.log.subtree(org), on, None):
            age = party_age(state, on)
            reached = [m for m in ft.BADGE_MILESTONES if age is not None and m <= age]
            if reached and reached[-1] not in state.badges:
                due.append({"member": member, "years": reached[-1], "party_age_years": age})
        return {"org": org, "on": on.isoformat(), "due": due}

    # --- quality: the findings about members -------------------------------------------------

    def fold_member_findings(
        self, org: str, as_of: date, known_at: datetime | None
    ) -> list[tuple[str, str | None, str, str | None]]:
        """(kind, org, member, fact) of every finding of SPEC §4's table that is about a
        member, sorted as the report sorts them."""
        subtree = self.log.subtree(org)
        found: list[tuple[str, str | None, str, str | None]] = []
        for member in sorted(self.log.facts):
            state = self.state(member, as_of, known_at)
            if state.phase == IN_TRANSIT and state.org in subtree:
                assert state.transfer_on is not None
                if (as_of - state.transfer_on).days > 90:
                    found.append(("transfer_overdue", state.org, member, state.transfer_fact))
            if in_roster(state, subtree):
                if state.away_since and add_months(state.away_since, 12) <= as_of:
                    found.append(("away_over_12_months", state.org, member, state.away_fact))
                if state.phase == PLACED and state.standing == "probationary":
                    assert state.probation_start is not None
                    deadline = add_months(state.probation_start, 12) + timedelta(days=30)
                    if as_of > deadline:
                        found.append(("probation_overdue", state.org, member, state.entry_fact))
                if state.dossier_on is None or state.dossier_on > as_of:
                    found.append(("missing_dossier", state.org, member, None))
            steps = self.steps(member, known_at)
            death = next((s for s in steps if s.fact.type == ft.DIED and not s.inert), None)
            for step in steps:
                fact = step.fact
                where = step.after.org or step.before.org
                around = in_roster(step.before, subtree) or in_roster(step.after, subtree)
                late = (fact.recorded_at.date() - fact.on).days > 30
                if as_of - timedelta(days=365) < fact.on <= as_of and late and around:
                    found.append(("late_report", where, member, fact.id))
                inert = step.inert and fact.on <= as_of and death is not None
                if inert and in_roster(death.before, subtree):  # type: ignore[union-attr]
                    found.append(("anomaly", where, member, fact.id))
        return sorted(found, key=lambda f: (f[0], f[1] or "", f[2], f[3] or ""))


def party_age(state: MemberState, day: date) -> int | None:
    """Party age at ``day``: from the first admission plus the gap days; frozen at an exit."""
    if state.first_admission is None:
        return None
    end = day
    if state.phase == EXITED and state.exit_on is not None:
        end = min(end, state.exit_on)
    if state.phase == DEAD and state.died_on is not None:
        end = min(end, state.died_on)
    return party_age_years(state.first_admission, state.gap_days, end)


def without_label(report: dict[str, Any]) -> dict[str, Any]:
    """A report without its ``known_at`` label (also inside ``previous_year``)."""
    copy = {k: v for k, v in report.items() if k != "known_at"}
    if isinstance(copy.get("previous_year"), dict):
        copy["previous_year"] = without_label(copy["previous_year"])
    return copy


def roster_ids(report: dict[str, Any]) -> Sequence[str]:
    """The member ids of a roster report."""
    return [line["member"] for line in report["members"]]
