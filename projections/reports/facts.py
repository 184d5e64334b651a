"""The fact log (``ledger facts``, SPEC §5): the stored facts in recording order, as submitted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel
from typing_extensions import TypedDict

from ledger import facts as ft
from projections.knowledge import OPEN_TIME, utc_text
from projections.reports.types import REPORT, IsoDate

if TYPE_CHECKING:
    from projections.queries import ReadModels

EVENTS_IN_BATCH = 500
"""Aggregates whose stored events are read back in one query."""


class LoggedFact(TypedDict):
    """One stored fact."""

    id: str
    type: str
    member: str | None
    """The member of a member fact (or of the fact a retraction retracts); None for org facts."""
    org: str | None
    """The org the fact names; for a member fact that names none, the org an admission or
    arrival last placed the member in; for a retraction, the retracted fact's org."""
    on: IsoDate
    recorded_at: str
    retracted: bool
    """A retraction of the fact is recorded (as known now)."""
    anomaly: bool
    """The fact is made inert by a death that counted before it (as known now)."""
    fact: dict[str, Any] | None
    """The fact as submitted: common fields, then the type's own (None if its stored event
    can no longer be decoded)."""


class FactLog(BaseModel):
    """Stored facts in recording order (``recorded_at``, then commit order)."""

    model_config = REPORT

    facts: list[LoggedFact]


def fact_log(
    models: ReadModels,
    *,
    member: str | None,
    org: str | None,
    since: datetime | None,
    until: datetime | None,
    types: Iterable[str] | None,
    limit: int | None,
) -> FactLog:
    """The facts of ``member`` and/or of ``org``'s subtree recorded between ``since`` and
    ``until`` (both inclusive), of the given ``types``, the first ``limit`` of them.

    UnknownOrg for an org never registered; ValueError for an unknown type or a limit below 1.
    """
    conditions: list[str] = []
    params: list[Any] = []
    kinds = sorted(set(types or ()))
    unknown = [k for k in kinds if k not in ft.FACT_TYPES]
    if unknown:
        raise ValueError(
            f"unknown fact type {', '.join(unknown)} (one of {', '.join(ft.FACT_TYPES)})"
        )
    if limit is not None and limit < 1:
        raise ValueError(f"the limit must be at least 1, not {limit}")
    models.fresh()
    if member is not None:
        conditions.append("l.member = ?")
        params.append(member)
    if org is not None:
        low, high = models.subtree(org)
        conditions.append("((l.path_a >= ? AND l.path_a < ?) OR (l.path_b >= ? AND l.path_b < ?))")
        params += [low, high, low, high]
    if since is not None:
        conditions.append("l.recorded_utc >= ?")
        params.append(utc_text(since))
    if until is not None:
        conditions.append("l.recorded_utc <= ?")
        params.append(utc_text(until))
    if kinds:
        conditions.append(f"l.type IN ({', '.join('?' * len(kinds))})")
        params += kinds
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    tail = "LIMIT ?" if limit is not None else ""
    rows = models.store.fetchall(
        "SELECT l.originator, l.version, l.fact_id, l.type, l.member, l.org, l.on_day, "
        "l.recorded_at, l.retracted, (SELECT max(f.anomaly) FROM rm_facts f "
        f"WHERE f.member = l.member AND f.known_to = '{OPEN_TIME}' AND f.fact_id = l.fact_id) "
        f"FROM rm_log l {where}ORDER BY l.recorded_utc, l.position {tail}",
        (*params, limit) if limit is not None else params,
    )
    submitted = _submitted(models, {(str(r[0]), int(r[1])) for r in rows})
    facts: list[LoggedFact] = [
        {
            "id": fact_id,
            "type": kind,
            "member": who,
            "org": where_,
            "on": on,
            "recorded_at": recorded_at,
            "retracted": bool(retracted),
            "anomaly": bool(anomaly),
            "fact": submitted.get((str(originator), int(version))),
        }
        for (originator, version, fact_id, kind, who, where_, on, recorded_at, retracted,
             anomaly) in rows
    ]  # fmt: skip
    return FactLog.model_construct(facts=facts)


def _submitted(models: ReadModels, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """The facts held by the given stored events (aggregate id, version), as submitted."""
    originators = sorted({o for o, _ in wanted})
    found: dict[tuple[str, int], Any] = {}
    for start in range(0, len(originators), EVENTS_IN_BATCH):
        chunk = [UUID(o) for o in originators[start : start + EVENTS_IN_BATCH]]
        for item in models.log.events_of(chunk):
            key = (str(item.originator_id), item.originator_version)
            if key not in wanted:
                continue
            try:
                found[key] = as_submitted(models.log.decode(item))
            except Exception:  # the read side never raises on what the log holds
                continue
    return found


def as_submitted(event: Any) -> dict[str, Any] | None:
    """The interchange JSON of a stored fact event: ``id``, ``type``, ``on``, ``recorded_at``,
    the type's own fields as submitted, then ``ref`` and ``note`` when given."""
    from ledger.events import FactEvent  # the library's: loaded only when facts are read back

    if not isinstance(event, FactEvent):
        return None
    fact: dict[str, Any] = {
        "id": event.fact_id,
        "type": event.fact_type,
        "on": event.on.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
    }
    fact.update(event.data)
    if event.ref is not None:
        fact["ref"] = event.ref
    if event.note is not None:
        fact["note"] = event.note
    return fact
