"""The rows of the fact log (``rm_log``) and of the member names (``rm_members``), computed by
the projection runner from the facts of each batch, in notification (commit) order.

``rm_log`` holds one row per stored fact: where it is in the log (notification id, and the
aggregate's event that holds it, to read the submitted fact back), what it is, whom and which
orgs it concerns, and whether it has been retracted. The fact itself stays in the event log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification

from ledger import facts as ft
from ledger.facts import Fact
from projections.derive import UNDECODABLE, readable_text
from projections.knowledge import utc_text
from projections.text import search_key

LOG_COLUMNS = (
    "position",
    "originator",
    "version",
    "fact_id",
    "type",
    "member",
    "org",
    "path_a",
    "path_b",
    "on_day",
    "recorded_utc",
    "recorded_at",
    "retracted",
    "target",
)
NAMED = (ft.ADMITTED, ft.TRANSFERRED_IN)
"""The member facts that may name the person (``person.name``) and that place the member."""


@dataclass
class LogChanges:
    """A batch's rows for ``rm_log`` and ``rm_members``, and the facts it retracts."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    members: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)
    """member → (name, search key, org), None where the batch says nothing new."""

    def add_org_fact(self, notification: Notification, event: Any, path: Path) -> None:
        """The row of an org fact (or of the retraction of one: its org comes from its target).

        The read side never raises on what the log holds: a fact whose fields do not have
        their types is left out of the log (the quality report names it).
        """
        try:
            kind, data = event.fact_type, event.data
            org = data.get("org") if kind != ft.RETRACTED else None
            org = org if isinstance(org, str) else None
            where = path(org)
            on, recorded_at = event.on.isoformat(), event.recorded_at
            utc_text(recorded_at)
            recorded_at.isoformat()
            if not isinstance(event.fact_id, str):
                return
        except Exception:
            return
        source = (notification.id, str(notification.originator_id), notification.originator_version)
        self._add(*source, event.fact_id, kind, None, org, where, where, on, recorded_at, data)

    def add_member_facts(
        self,
        member: str,
        facts: Sequence[Fact],
        first: int,
        sources: Sequence[tuple[int, str, int]],
        path: Path,
    ) -> None:
        """The rows of ``facts[first:]`` (a member's new facts), ``sources`` giving each one's
        notification id, aggregate id and version; and the member's name and org as last given.
        """
        org: str | None = None
        for fact in reversed(facts[:first]):
            named = _named_org(fact)
            if named is not None:
                org = named
                break
        name: str | None = None
        placed: str | None = None
        for fact, (position, originator, version) in zip(facts[first:], sources, strict=True):
            if fact.type == UNDECODABLE:
                continue  # an undecodable event: the quality report names it, the log cannot
            named = _named_org(fact)
            if named is not None:
                org = placed = named
            person = fact.data.get("person") if fact.type in NAMED else None
            given = person.get("name") if isinstance(person, dict) else None
            if isinstance(given, str) and given:
                name = readable_text(given)
            to_org = fact.data.get("to_org") if fact.type == ft.TRANSFERRED_OUT else None
            fact_org = None if fact.type == ft.RETRACTED else org
            path_b = path(to_org) if isinstance(to_org, str) else path(fact_org)
            self._add(position, originator, version, fact.id, fact.type, member, fact_org,
                      path(fact_org), path_b, fact.on.isoformat(), fact.recorded_at,
                      fact.data)  # fmt: skip
        if name is not None or placed is not None:
            before = self.members.get(member, (None, None, None))
            self.members[member] = (
                name if name is not None else before[0],
                search_key(name) if name is not None else before[1],
                placed if placed is not None else before[2],
            )

    def _add(
        self,
        position: int,
        originator: str,
        version: int,
        fact_id: str,
        kind: str,
        member: str | None,
        org: str | None,
        path_a: str | None,
        path_b: str | None,
        on: str,
        recorded_at: Any,
        data: Any,
    ) -> None:
        target = data.get("fact") if kind == ft.RETRACTED and isinstance(data, dict) else None
        target = target if isinstance(target, str) else None
        if target is not None:
            self.targets.append(target)
        # path_b only where it differs from path_a (a transfer out): a subtree's query looks
        # for either path, so a repeated one would only cost room, in the row and its index.
        self.rows.append((
            position, originator, version, fact_id, kind, member, org, path_a,
            None if path_b == path_a else path_b, on, utc_text(recorded_at),
            recorded_at.isoformat(), 0, target,
        ))  # fmt: skip

    def write(
        self, executemany: ExecuteMany, suffix: str, seal: Callable[[str], str] | None = None
    ) -> None:
        """Insert the log rows, mark what they retract, and upsert the member names.

        With ``seal`` (an encrypted ledger), names are stored sealed and without a search key:
        a search decrypts them (``projections.reports.directory``).
        """
        log, members = f"rm_log{suffix}", f"rm_members{suffix}"
        marks = ", ".join("?" * len(LOG_COLUMNS))
        executemany(f"INSERT INTO {log} ({', '.join(LOG_COLUMNS)}) VALUES ({marks})", self.rows)
        executemany(
            f"UPDATE {log} SET retracted = 1 WHERE fact_id = ?", [(t,) for t in self.targets]
        )
        # A retraction concerns the orgs of the fact it retracts (fact ids are unique; the
        # LIMIT keeps a damaged log from failing the batch).
        target = f"SELECT t.{{}} FROM {log} t WHERE t.fact_id = ? ORDER BY t.position LIMIT 1"
        executemany(
            f"UPDATE {log} SET org = ({target.format('org')}), "
            f"path_a = ({target.format('path_a')}), path_b = ({target.format('path_b')}) "
            "WHERE position = ?",
            [(row[13], row[13], row[13], row[0]) for row in self.rows if row[13] is not None],
        )
        executemany(
            f"INSERT INTO {members} (member, name, search_key, org) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT (member) DO UPDATE SET name = coalesce(excluded.name, {members}.name), "
            f"search_key = coalesce(excluded.search_key, {members}.search_key), "
            f"org = coalesce(excluded.org, {members}.org)",
            [
                (member, *values)
                if seal is None
                else (member, None if values[0] is None else seal(values[0]), None, values[2])
                for member, values in self.members.items()
            ],
        )


def _named_org(fact: Fact) -> str | None:
    if fact.type in NAMED and isinstance(fact.data, dict):
        org = fact.data.get("org")
        return org if isinstance(org, str) else None
    return None


Path = Callable[[str | None], str | None]
ExecuteMany = Callable[[str, Sequence[Sequence[Any]]], None]
