"""The data-quality report of SPEC §4, from the read models.

Each quality finding is one of the problems the 2021 Hải Phòng report complains about: transfers
never completed, members away for months without a transfer, probation decisions not taken,
facts reported late (deaths above all), dossiers missing, facts made inert by a late death, and
head counts kept by hand that no longer match the register.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

from ledger.dates import add_months
from ledger.facts import DIED
from projections.reports.types import REPORT, IsoDate, KnownAt
from projections.store import knowledge

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
LATE_DAYS = 30
PROBATION_GRACE_DAYS = 30
LATE_WINDOW_DAYS = 365

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
    """The quality report: every finding kind of SPEC §4 for the subtree of ``org``."""
    models.fresh()
    low, high = models.subtree(org)
    day = as_of.isoformat()
    findings: list[Finding] = []
    add = findings.append
    known, known_params = knowledge(moment)
    known_s, _ = knowledge(moment, "s")
    known_st, _ = knowledge(moment, "st")

    # Transfers out of an org of S not completed within 90 days (whatever the destination).
    for member, source, since, fact_id, to_org in models.store.fetchall(
        "SELECT s.member, s.org, s.since, st.transfer_fact, s.to_org FROM rm_spans s "
        "JOIN rm_orgs o ON o.org = s.org "
        "JOIN rm_states st ON st.member = s.member AND st.valid_from <= ? AND st.valid_to > ? "
        f"AND {known_st} "
        f"WHERE s.status = 'in_transit' AND {known_s} AND s.valid_from <= ? AND s.valid_to > ? "
        "AND o.path >= ? AND o.path < ?",
        (day, day, *known_params, *known_params, day, day, low, high),
    ):
        days = (as_of - date.fromisoformat(since)).days
        if days > TRANSIT_DAYS:
            add(
                _finding(
                    "transfer_overdue",
                    member,
                    source,
                    fact_id,
                    f"transferred out to {to_org} on {since}; in transit for {days} days",
                )
            )

    roster = models.store.fetchall(
        "SELECT s.member, s.org, s.status, s.dossier_on, st.probation_start, st.entry_fact, "
        "st.away_since, st.away_fact FROM rm_spans s "
        "JOIN rm_states st ON st.member = s.member AND st.valid_from <= ? AND st.valid_to > ? "
        f"AND {known_st} "
        f"WHERE {known_s} AND s.valid_from <= ? AND s.valid_to > ? "
        "AND s.scope >= ? AND s.scope < ?",
        (day, day, *known_params, *known_params, day, day, low, high),
    )
    for member, member_org, status, dossier_on, probation, entry, away_since, away_fact in roster:
        if away_since and add_months(date.fromisoformat(away_since), 12) <= as_of:
            add(
                _finding(
                    "away_over_12_months",
                    member,
                    member_org,
                    away_fact,
                    f"away since {away_since} without an official transfer",
                )
            )
        if status == "probationary" and probation:
            deadline = add_months(date.fromisoformat(probation), 12)
            if as_of > deadline + timedelta(days=PROBATION_GRACE_DAYS):
                add(
                    _finding(
                        "probation_overdue",
                        member,
                        member_org,
                        entry,
                        f"probation started {probation}; decision due {deadline}",
                    )
                )
        if dossier_on > day:
            add(
                _finding(
                    "missing_dossier",
                    member,
                    member_org,
                    None,
                    "no dossier recorded in the database",
                )
            )

    # Facts recorded more than 30 days late, in the 365 days up to D.
    window = (as_of - timedelta(days=LATE_WINDOW_DAYS)).isoformat()
    for (
        member,
        fact_id,
        kind,
        on_day,
        recorded_on,
        fact_org,
        before,
        after,
    ) in models.store.fetchall(
        "SELECT member, fact_id, type, on_day, recorded_on, org, scope_before, scope_after "
        f"FROM rm_facts WHERE on_day > ? AND on_day <= ? AND {known} AND retracted = 0",
        (window, day, *known_params),
    ):
        delay = (date.fromisoformat(recorded_on) - date.fromisoformat(on_day)).days
        if delay > LATE_DAYS and (_inside(before, low, high) or _inside(after, low, high)):
            add(
                _finding(
                    "late_report",
                    member,
                    fact_org,
                    fact_id,
                    f"{kind} of {on_day} recorded {delay} days later",
                )
            )

    # Facts made inert by a death that counted for S.
    for member, fact_id, kind, fact_org, died_on in models.store.fetchall(
        "SELECT f.member, f.fact_id, f.type, f.org, e.on_day FROM rm_facts f "
        "JOIN rm_events e ON e.member = f.member AND e.type = ? "
        f"AND {knowledge(moment, 'e')[0]} "
        f"WHERE f.anomaly = 1 AND f.retracted = 0 AND f.on_day <= ? "
        f"AND {knowledge(moment, 'f')[0]} "
        "AND e.scope_before >= ? AND e.scope_before < ?",
        (DIED, *known_params, day, *known_params, low, high),
    ):
        add(
            _finding(
                "anomaly",
                member,
                fact_org,
                fact_id,
                f"{kind} dated after the death on {died_on}; it changes nothing",
            )
        )

    # Head counts declared by hand that differ from the register on their date.
    for count_org, path, fact_id, declared_on, declared in _latest_counts(
        models, low, high, day, moment
    ):
        actual = models.roster_counts(path, [declared_on], moment).members[declared_on]
        if actual != declared:
            add(
                _finding(
                    "count_mismatch",
                    None,
                    count_org,
                    fact_id,
                    f"declared {declared} on {declared_on}; the register holds {actual} "
                    f"({declared - actual:+d})",
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
