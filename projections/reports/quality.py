"""The data-quality report of SPEC §4, from the read models.

Each quality finding is one of the problems the 2021 Hải Phòng report complains about: transfers
never completed, members away for months without a transfer, probation decisions not taken,
facts reported late (deaths above all), dossiers missing, facts made inert by a late death, and
head counts kept by hand that no longer match the register.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

from ledger.dates import add_months
from ledger.facts import DIED
from projections.knowledge import knowledge
from projections.reports.types import REPORT, IsoDate, KnownAt
from projections.store import LATE_DAYS

if TYPE_CHECKING:
    from projections.queries import ReadModels

KINDS = (
    "transfer_overdue",
    "away_over_12_months",
    "probation_overdue",
    "late_report",
    "missing_dossier",
    "anomaly",
    "count_mismatch",
    "unreadable_history",
)
TRANSIT_DAYS = 90
PROBATION_GRACE_DAYS = 30
LATE_WINDOW_DAYS = 365
MEMBERS_PER_QUERY = 500

Kind = Literal[
    "transfer_overdue", "away_over_12_months", "probation_overdue", "late_report",
    "missing_dossier", "anomaly", "count_mismatch", "unreadable_history",
]  # fmt: skip


class Finding(TypedDict):
    """One problem found in the register."""

    kind: Kind
    member: str | None
    """Null for a finding about an org (``count_mismatch``)."""
    org: str | None
    fact: str | None
    """The id of the fact the finding is about; null for ``missing_dossier``."""
    detail: str


class QualityReport(BaseModel):
    """Every finding for the subtree on a day, sorted by (kind, org, member, fact)."""

    model_config = REPORT

    org: str
    as_of: IsoDate
    known_at: KnownAt
    counts: dict[str, int]
    """Every kind, zeros included."""
    findings: list[Finding]


def _inside(path: str | None, low: str, high: str) -> bool:
    return path is not None and low <= path < high


def quality(models: ReadModels, org: str, as_of: date, moment: str, label: str) -> QualityReport:
    """The quality report: every finding kind of SPEC §4 for the subtree of ``org``.

    Each kind reads only the rows that can be a finding (in transit, away, on probation,
    without a dossier, late, inert), each set through its own partial or leading index
    (``projections.store.INDEXES``), and looks up the few members found in the roster: never
    the whole roster joined to every state. Only the declared head counts count the roster.
    """
    models.fresh()
    low, high = models.subtree(org)
    day = as_of.isoformat()
    findings: list[Finding] = []
    add = findings.append
    known, known_params = knowledge(moment)
    known_s, _ = knowledge(moment, "s")
    known_st, _ = knowledge(moment, "st")
    known_e, _ = knowledge(moment, "e")
    # "s is on the roster of S on D": the condition and its parameters.
    on_roster = (
        f"{known_s} AND s.valid_from <= ? AND s.valid_to > ? AND s.scope >= ? AND s.scope < ?"
    )
    roster_params = (*known_params, day, day, low, high)
    state_on_day = f"st.valid_from <= ? AND st.valid_to > ? AND {known_st}"
    state_params = (day, day, *known_params)

    def states(columns: str, members: Iterable[str]) -> dict[str, list[tuple[Any, ...]]]:
        """``columns`` of the given members' states on D."""
        found: dict[str, list[tuple[Any, ...]]] = {}
        sql = f"SELECT st.member, {columns} FROM rm_states st WHERE {state_on_day}"
        for member, *values in _of_members(models, sql, state_params, members, table="st"):
            found.setdefault(member, []).append(tuple(values))
        return found

    # Members in transit out of an org of S for more than 90 days (whatever the
    # destination), then the transfer-out behind each.
    transit = [
        (member, source, since, to_org, days)
        for member, source, since, to_org in models.store.fetchall(
            "SELECT s.member, s.org, s.since, s.to_org FROM rm_spans s "
            "JOIN rm_orgs o ON o.org = s.org "
            f"WHERE s.status = 'in_transit' AND {known_s} AND s.valid_from <= ? "
            "AND s.valid_to > ? AND o.path >= ? AND o.path < ?",
            (*known_params, day, day, low, high),
        )
        if (days := (as_of - date.fromisoformat(since)).days) > TRANSIT_DAYS
    ]
    transfers = states("st.transfer_fact", (row[0] for row in transit))
    for member, source, since, to_org, days in transit:
        for (fact_id,) in transfers.get(member, ()):
            add(
                _finding(
                    "transfer_overdue",
                    member,
                    source,
                    fact_id,
                    f"transferred out to {to_org} on {since}; in transit for {days} days",
                )
            )

    # Members away (the states of an absence), then those of them on the roster of S.
    away = {
        member: (since, fact)
        for member, since, fact in models.store.fetchall(
            "SELECT st.member, st.away_since, st.away_fact FROM rm_states st "
            f"WHERE st.away_since IS NOT NULL AND {state_on_day}",
            state_params,
        )
        if add_months(date.fromisoformat(since), 12) <= as_of
    }
    for member, member_org in _of_members(
        models, f"SELECT s.member, s.org FROM rm_spans s WHERE {on_roster}", roster_params, away
    ):
        away_since, away_fact = away[member]
        add(
            _finding(
                "away_over_12_months",
                member,
                member_org,
                away_fact,
                f"away since {away_since} without an official transfer",
            )
        )

    # Members on probation past its deadline (the states of a probation, on a roster: a member
    # who left during probation keeps a probationary standing in every later state), then those
    # of them on the roster of S as probationary members (not in transit).
    overdue: dict[str, tuple[str, str, date]] = {}
    for member, probation, entry in models.store.fetchall(
        "SELECT st.member, st.probation_start, st.entry_fact FROM rm_states st "
        f"WHERE st.probation_start IS NOT NULL AND st.status = 'probationary' AND {state_on_day}",
        state_params,
    ):
        deadline = add_months(date.fromisoformat(probation), 12)
        if as_of > deadline + timedelta(days=PROBATION_GRACE_DAYS):
            overdue[member] = (probation, entry, deadline)
    for member, member_org in _of_members(
        models,
        f"SELECT s.member, s.org FROM rm_spans s WHERE s.status = 'probationary' AND {on_roster}",
        roster_params,
        overdue,
    ):
        probation, entry, deadline = overdue[member]
        add(
            _finding(
                "probation_overdue",
                member,
                member_org,
                entry,
                f"probation started {probation}; decision due {deadline}",
            )
        )

    # Members of the roster whose dossier was not recorded by D.
    for member, member_org in models.store.fetchall(
        f"SELECT s.member, s.org FROM rm_spans s WHERE s.dossier_on > ? AND {on_roster}",
        (day, *roster_params),
    ):
        add(
            _finding(
                "missing_dossier", member, member_org, None, "no dossier recorded in the database"
            )
        )

    # Facts recorded more than 30 days late, in the 365 days up to D.
    window = (as_of - timedelta(days=LATE_WINDOW_DAYS)).isoformat()
    for member, fact_id, kind, on_day, fact_org, before, after, delay in models.store.fetchall(
        "SELECT member, fact_id, type, on_day, org, scope_before, scope_after, delay "
        f"FROM rm_facts WHERE delay > {LATE_DAYS} AND on_day > ? AND on_day <= ? AND {known} "
        "AND retracted = 0",
        (window, day, *known_params),
    ):
        if _inside(before, low, high) or _inside(after, low, high):
            add(
                _finding(
                    "late_report",
                    member,
                    fact_org,
                    fact_id,
                    f"{kind} of {on_day} recorded {delay} days later",
                )
            )

    # Facts made inert by a death that counted for S: the inert facts, then their deaths.
    inert = models.store.fetchall(
        "SELECT member, fact_id, type, org FROM rm_facts "
        f"WHERE anomaly = 1 AND retracted = 0 AND on_day <= ? AND {known}",
        (day, *known_params),
    )
    deaths: dict[str, list[str]] = {}
    for member, died_on in _of_members(
        models,
        f"SELECT e.member, e.on_day FROM rm_events e WHERE e.type = ? AND {known_e} "
        "AND e.scope_before >= ? AND e.scope_before < ?",
        (DIED, *known_params, low, high),
        {row[0] for row in inert},
        table="e",
    ):
        deaths.setdefault(member, []).append(died_on)
    for member, fact_id, kind, fact_org in inert:
        for died_on in deaths.get(member, ()):
            add(
                _finding(
                    "anomaly",
                    member,
                    fact_org,
                    fact_id,
                    f"{kind} dated after the death on {died_on}; it changes nothing",
                )
            )

    # Head counts declared by hand that differ from the register on their date: the roster
    # counted once per date declared, per org.
    declared = _latest_counts(models, low, high, day, moment)
    counted = {
        on: models.counts_under(
            models.org_path(org), [d[1] for d in declared if d[3] == on], on, moment
        )
        for on in {d[3] for d in declared}
    }
    for count_org, path, fact_id, declared_on, number in declared:
        actual = counted[declared_on].get(path, 0)
        if actual != number:
            add(
                _finding(
                    "count_mismatch",
                    None,
                    count_org,
                    fact_id,
                    f"declared {number} on {declared_on}; the register holds {actual} "
                    f"({number - actual:+d})",
                )
            )

    # Histories (and org facts) the read models cannot derive: left out of every report.
    # Those that name no known org are listed under the tree's roots.
    root = models.store.fetchone("SELECT parent IS NULL FROM rm_orgs WHERE org = ?", (org,))
    for member, fact_id, fact_org, detail in models.store.fetchall(
        f"SELECT member, fact_id, org, detail FROM rm_unreadable WHERE {known} "
        "AND ((scope >= ? AND scope < ?) OR (scope IS NULL AND ?))",
        (*known_params, low, high, bool(root and root[0])),
    ):
        detail = models.store.unseal(detail)
        add(_finding("unreadable_history", member or None, fact_org, fact_id, detail))

    findings.sort(key=lambda f: (f["kind"], f["org"] or "", f["member"] or "", f["fact"] or ""))
    counts = dict.fromkeys(KINDS, 0)
    for finding in findings:
        counts[finding["kind"]] += 1
    return QualityReport.model_construct(
        org=org, as_of=day, known_at=label, counts=counts, findings=findings
    )


def _of_members(
    models: ReadModels,
    sql: str,
    params: tuple[object, ...],
    members: Iterable[str],
    *,
    table: str = "s",
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (a query on ``table``) for the given members only, asked in chunks.

    The members are few (away, or with an inert fact): looked up one by one through the
    member index instead of a join that the planner might start from the larger side.
    """
    wanted = sorted(members)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), MEMBERS_PER_QUERY):
        chunk = wanted[start : start + MEMBERS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        rows += models.store.fetchall(f"{sql} AND {table}.member IN ({marks})", (*params, *chunk))
    return rows


def _latest_counts(
    models: ReadModels, low: str, high: str, day: str, moment: str
) -> list[tuple[str, str, str, str, int]]:
    known, params = knowledge(moment, "c")
    rows = models.store.fetchall(
        "SELECT c.org, o.path, c.fact_id, c.on_day, c.count FROM rm_counts c "
        "JOIN rm_orgs o ON o.org = c.org "
        f"WHERE c.on_day <= ? AND {known} "
        "AND o.path >= ? AND o.path < ? ORDER BY c.org, c.on_day, c.known_from",
        (day, *params, low, high),
    )
    latest: dict[str, tuple[str, str, str, str, int]] = {}
    for org, path, fact_id, on_day, count in rows:
        latest[org] = (org, path, fact_id, on_day, int(count))
    return list(latest.values())


def _finding(
    kind: Kind, member: str | None, org: str | None, fact: str | None, detail: str
) -> Finding:
    return {"kind": kind, "member": member, "org": org, "fact": fact, "detail": detail}
