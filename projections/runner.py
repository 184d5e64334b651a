"""Feeds the read models from the application's notification log, in batches, exactly once.

Each batch runs in one read-model transaction: read the tracking position (locked), select
the next notifications, write the rows, move the position. A crash anywhere rolls the whole
batch back, and the next run starts again from the last committed position. SQLite has no
subscriptions in eventsourcing 9.5, so the runner polls (``catch_up``) on both backends;
every query catches up first, which gives read-your-writes across processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.events import FactEvent  # the library: the runner is loaded only when behind
from ledger.facts import (
    FIRST_DAY,
    MAX_COUNT,
    ORG_COUNT_DECLARED,
    ORG_DISSOLVED,
    ORG_REGISTERED,
    ORG_RENAMED,
    RETRACTED,
    Fact,
)
from projections.derive import (
    DETAIL_CHARS,
    EMPTY,
    UNDECODABLE,
    Derived,
    Row,
    derive,
    derive_versions,
    readable_text,
    row_key,
)
from projections.knowledge import EARLIEST_TIME, OPEN_TIME, utc_text
from projections.logrows import LogChanges
from projections.store import TABLES, TRACKED, Store
from projections.tallies import Tallies
from storage.cache import LRUCache
from storage.event_log import EventLog

if TYPE_CHECKING:
    from eventsourcing.persistence import Notification, StoredEvent

NAME = TRACKED
BATCH_SIZE = 10_000
DERIVATIONS_KEPT = 50_000
"""Members whose latest derivation a runner keeps in memory for its next batches."""
MEMBER_TOPIC = "ledger.member:"
ORG_TOPIC = "ledger.organization:"

TABLE_OF = {
    "spans": "rm_spans",
    "events": "rm_events",
    "states": "rm_states",
    "facts": "rm_facts",
    "unreadable": "rm_unreadable",
}
COLUMNS = {
    table: [c.split()[0] for c in TABLES[table].split(", ") if c.split()[0]]
    for table in TABLE_OF.values()
}


@dataclass(frozen=True, slots=True)
class _Derivation:
    """A member's facts up to an event version, and the rows derived from them.

    Events never change once stored, so this stays true whatever else happens: a runner keeps
    the latest one per member and goes on from it in its next batch.
    """

    member: str | None
    version: int
    facts: list[Fact]
    derived: Derived


@dataclass
class Changes:
    """The statements of one batch, computed before the write transaction."""

    org_statements: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    closes: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {t: [] for t in TABLE_OF.values()}
    )
    inserts: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {t: [] for t in TABLE_OF.values()}
    )
    log: LogChanges = field(default_factory=LogChanges)
    tallies: Tallies = field(default_factory=Tallies)


class ProjectionRunner:
    """Applies notifications to the read-model tables named ``NAME + suffix``."""

    def __init__(
        self,
        log: EventLog,
        store: Store,
        *,
        suffix: str = "",
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.log = log
        self.store = store
        self.suffix = suffix
        self.batch_size = batch_size
        self.name = NAME + suffix
        self._paths: dict[str, str] = {}
        self._derived: LRUCache[UUID, _Derivation] = LRUCache(DERIVATIONS_KEPT)
        self._inserts = {
            table: (
                f"INSERT INTO {table}{suffix} ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})"
            )
            for table, cols in COLUMNS.items()
        }
        if self._tracked() is None:  # a reader finds it there: it need not write to read
            store.execute(
                "INSERT INTO rm_tracking (name, position) VALUES (?, 0) ON CONFLICT DO NOTHING",
                (self.name,),
            )

    # --- position ---------------------------------------------------------------------------

    def position(self) -> int:
        """The last notification applied."""
        return self._tracked() or 0

    def _tracked(self) -> int | None:
        row = self.store.fetchone("SELECT position FROM rm_tracking WHERE name = ?", (self.name,))
        return int(row[0]) if row else None

    def behind(self) -> bool:
        """True when the log holds notifications not yet applied (``Store.behind_log``)."""
        return self.store.behind_log(self.name)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply every pending notification; return how many were applied."""
        done = 0
        while True:
            applied = self.run_batch()
            if applied is None:
                continue  # another worker moved the position meanwhile: read it again
            if not applied:
                return done
            done += applied
            if progress is not None:
                progress(applied)

    def run_batch(self) -> int | None:
        """Apply the next batch; return its size, 0 when up to date, None when overtaken.

        The rows are computed outside any transaction; the write transaction only checks
        that the position is still the one they were computed from, writes, and moves it.
        Concurrent workers therefore never wait on each other's computing, and a batch is
        applied exactly once.
        """
        position = self.position()
        batch = self.log.notifications(position, self.batch_size)
        if not batch:
            return 0
        changes = self.prepare(batch)
        with self.store.transaction():
            if self._locked_position() != position:
                return None
            self.write(changes, batch[-1].id)
        return len(batch)

    def step(self) -> int:
        """Apply the next batch inside the caller's transaction; return its size."""
        position = self._locked_position()
        batch = self.log.notifications(position, self.batch_size)
        if not batch:
            return 0
        self.write(self.prepare(batch), batch[-1].id)
        return len(batch)

    def _locked_position(self) -> int:
        lock = " FOR UPDATE" if self.store.is_postgres else ""
        row = self.store.fetchone(
            f"SELECT position FROM rm_tracking WHERE name = ?{lock}", (self.name,)
        )
        return int(row[0]) if row else 0

    # --- applying ---------------------------------------------------------------------------

    def prepare(self, batch: Sequence[Notification]) -> Changes:
        """Compute the statements of a batch (no write)."""
        changes = Changes()
        in_batch: dict[UUID, list[Notification]] = {}
        for notification in batch:
            if notification.topic.startswith(ORG_TOPIC):
                self._org_change(notification, changes)
            elif notification.topic.startswith(MEMBER_TOPIC):
                in_batch.setdefault(_uuid(notification.originator_id), []).append(notification)
        # A member's batch continues what this runner derived last time (the usual case), or
        # starts with its first event; otherwise its earlier events are read, for all such
        # members in one query, and decoded straight into facts.
        bases: dict[UUID, _Derivation] = {}
        unknown: dict[UUID, int] = {}
        for key, notes in in_batch.items():
            first = notes[0].originator_version
            known = self._derived.get(key)
            if first == 1:
                bases[key] = _Derivation(None, 0, [], EMPTY)
            elif known is not None and known.version == first - 1:
                bases[key] = known
            else:
                unknown[key] = first - 1
        if unknown:
            earlier: dict[UUID, list[StoredEvent]] = {}
            for item in self.log.events_of(list(unknown)):
                key = _uuid(item.originator_id)
                if item.originator_version <= unknown[key]:
                    earlier.setdefault(key, []).append(item)
            for key, items in earlier.items():
                member, facts = self._member_facts(items, [])
                bases[key] = _Derivation(member, unknown[key], facts, derive(facts, self.path_of))
        for key, notes in in_batch.items():
            # (A member whose earlier events are missing from the log goes on from nothing.)
            base = bases.get(key) or _Derivation(None, 0, [], EMPTY)
            sources: list[tuple[int, str, int]] = []
            member, facts = self._member_facts(notes, base.facts, sources)
            member = base.member or member or key.hex
            changes.log.add_member_facts(member, facts, len(base.facts), sources, self._path)
            derived = self._member_changes(member, facts, base, changes)
            self._derived.remember(
                key, _Derivation(member, notes[-1].originator_version, facts, derived)
            )
        return changes

    def _member_facts(
        self,
        items: Sequence[StoredEvent],
        before: list[Fact],
        sources: list[tuple[int, str, int]] | None = None,
    ) -> tuple[str | None, list[Fact]]:
        """``before`` followed by the facts of a member's stored events, and the member's id
        when an opening event among them names it; ``sources`` gets each new fact's
        notification id, aggregate id and version (``items`` being notifications then).

        An event that cannot be decoded into a fact becomes a placeholder that the derivation
        quarantines, instead of failing the batch.
        """

        facts = list(before)
        member: str | None = None
        for item in items:
            try:
                event: Any = self.log.decode(item)
                if member is None:
                    member = getattr(event, "member", None)
                if not isinstance(event, FactEvent):
                    continue  # an old log's ``Opened`` marker
                fact = event.to_fact(len(facts))
                _check_shape(fact)
            except Exception as err:  # the read side never raises on what the log holds
                fact = _undecodable(item, err, len(facts), facts[-1] if facts else None)
            facts.append(fact)
            if sources is not None:
                note: Any = item
                sources.append((note.id, str(item.originator_id), item.originator_version))
        return member, facts

    def write(self, changes: Changes, position: int) -> None:
        """Write a batch's statements and move the position (inside the caller's transaction)."""
        for sql, params in changes.org_statements:
            if sql.startswith(f"INSERT INTO rm_unreadable{self.suffix} "):
                params = _sealed_detail(params, self.store.seal, first=4)
            self.store.execute(sql, params)
        for table, rows in changes.closes.items():
            # A row opened at the very instant it is closed was never visible: drop it, so the
            # tables do not depend on where the batches happened to be cut.
            self.store.executemany(
                f"DELETE FROM {table}{self.suffix} WHERE member = ? AND row_key = ? "
                f"AND known_to = '{OPEN_TIME}' AND known_from = ?",
                [(member, key, moment) for moment, member, key in rows],
            )
            self.store.executemany(
                f"UPDATE {table}{self.suffix} SET known_to = ? "
                f"WHERE member = ? AND row_key = ? AND known_to = '{OPEN_TIME}'",
                rows,
            )
        for table, rows in changes.inserts.items():
            if table == "rm_unreadable" and self.store.cipher is not None:
                rows = [_sealed_detail(row, self.store.seal) for row in rows]
            self.store.executemany(self._inserts[table], rows)
        seal = self.store.seal if self.store.cipher is not None else None
        changes.log.write(self.store.executemany, self.suffix, seal)
        changes.tallies.write(self.store.executemany, self.suffix)
        self.store.execute(
            "UPDATE rm_tracking SET position = ? WHERE name = ?", (position, self.name)
        )

    def _member_changes(
        self, member: str, facts: list[Fact], base: _Derivation, changes: Changes
    ) -> Derived:
        """Diff each new knowledge version of a member; return the last version's rows.

        Facts recorded at the same instant are one knowledge version: only the last of them
        is derived.
        """
        first_seq = len(base.facts)
        start = base.derived
        ends = [
            seq + 1
            for seq in range(first_seq, len(facts))
            if seq + 1 == len(facts) or facts[seq + 1].recorded_at != facts[seq].recorded_at
        ]
        versions = [
            (utc_text(facts[end - 1].recorded_at), derived)
            for end, derived in zip(ends, derive_versions(facts, ends, self.path_of), strict=True)
        ]
        for part in fields(Derived):
            table = TABLE_OF[part.name]
            previous: frozenset[Row] = getattr(start, part.name)
            open_since: dict[Row, str | None] = dict.fromkeys(previous)
            for moment, derived in versions:
                current: frozenset[Row] = getattr(derived, part.name)
                for row in previous - current:
                    since = open_since.pop(row)
                    if since is None:
                        changes.closes[table].append((moment, member, row_key(row)))
                    elif since != moment:
                        changes.inserts[table].append((member, row_key(row), *row, since, moment))
                for row in current - previous:
                    open_since[row] = moment
                previous = current
            for row, since in open_since.items():
                if since is not None:
                    changes.inserts[table].append((member, row_key(row), *row, since, OPEN_TIME))
        if versions:
            final = versions[-1][1]
            changes.tallies.member(start.spans, final.spans, start.events, final.events)
        return versions[-1][1] if versions else start

    def _org_change(self, notification: Notification, changes: Changes) -> None:
        """Add the statements of an org fact; one that cannot be applied is noted instead."""
        event: Any = None
        try:
            event = self.log.decode(notification)
            changes.org_statements.extend(self._org_statements(event, notification.id))
        except Exception as err:  # the read side never raises on what the log holds
            changes.org_statements.append(self._org_unreadable(notification, event, err))
        if isinstance(event, FactEvent):  # in the fact log even when it cannot be applied
            changes.log.add_org_fact(notification, event, self._path)

    def _org_statements(self, event: Any, position: int) -> list[tuple[str, tuple[Any, ...]]]:
        kind = event.fact_type
        data = event.data
        org = str(data["org"]) if kind != RETRACTED else ""
        suffix = self.suffix
        if kind == ORG_REGISTERED:
            parent = data.get("parent")
            path = self._path(org) or (
                (self.path_of(parent) if parent else "/") + path_segment(position) + "/"
            )
            self._paths[org] = path
            return [(
                f"INSERT INTO rm_orgs{suffix} VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                (org, parent, path, readable_text(str(data["name"])), event.on.isoformat()),
            )]  # fmt: skip
        if kind == ORG_RENAMED:
            name = readable_text(str(data["name"]))
            return [(f"UPDATE rm_orgs{suffix} SET name = ? WHERE org = ?", (name, org))]
        if kind == ORG_DISSOLVED:
            return [(
                f"UPDATE rm_orgs{suffix} SET dissolved_on = ? WHERE org = ?",
                (event.on.isoformat(), org),
            )]  # fmt: skip
        if kind == ORG_COUNT_DECLARED:
            count = data["count"]
            if type(count) is not int or not 0 <= count <= MAX_COUNT:
                raise ValueError(f"count {count!r} is outside 0 to {MAX_COUNT:,}")
            return [(
                f"INSERT INTO rm_counts{suffix} VALUES (?, ?, ?, ?, ?, ?)",
                (org, event.fact_id, event.on.isoformat(), count,
                 utc_text(event.recorded_at), OPEN_TIME),
            )]  # fmt: skip
        # A retraction of a count declaration (which may have been one that could not be
        # applied: the retraction mends it).
        moment, target = utc_text(event.recorded_at), str(data["fact"])
        return [
            (f"UPDATE {table}{suffix} SET known_to = ? "
             f"WHERE fact_id = ? AND known_to = '{OPEN_TIME}'{extra}", (moment, target))
            for table, extra in (("rm_counts", ""), ("rm_unreadable", " AND member = ''"))
        ]  # fmt: skip

    def _org_unreadable(
        self, notification: Notification, event: Any, err: Exception
    ) -> tuple[str, tuple[Any, ...]]:
        """The row that notes an org fact the read models cannot apply."""
        fact_id = getattr(event, "fact_id", None)
        data = getattr(event, "data", None)
        org = data.get("org") if isinstance(data, dict) else None
        org = org if isinstance(org, str) else None
        scope = self._paths.get(org) if org else None
        try:
            since = utc_text(event.recorded_at)
        except Exception:
            since = EARLIEST_TIME
        if event is None:
            reason = f"the stored event {notification.id} cannot be decoded: "
        else:
            reason = "the org fact cannot be applied: "
        detail = readable_text(reason + f"{type(err).__name__}: {err}")[:DETAIL_CHARS]
        fact_id = fact_id if isinstance(fact_id, str) else None
        row = (fact_id, org, scope, detail)
        return (
            f"INSERT INTO rm_unreadable{self.suffix} VALUES ('', ?, ?, ?, ?, ?, ?, ?)",
            (row_key(row), *row, since, OPEN_TIME),
        )

    def _path(self, org: str | None) -> str | None:
        """The org's path, or None when the read models do not know it."""
        try:
            return self.path_of(org) if org is not None else None
        except LookupError:
            return None

    def path_of(self, org: str) -> str:
        """The materialised path of an org ("/1/2s/5k/": ``path_segment``)."""
        path = self._paths.get(org)
        if path is None:
            row = self.store.fetchone(
                f"SELECT path FROM rm_orgs{self.suffix} WHERE org = ?", (org,)
            )
            if row is None:
                raise LookupError(f"org {org} is not in the read model")
            path = self._paths[org] = str(row[0])
        return path


def path_segment(position: int) -> str:
    """An org's part of the materialised paths: the log position of its registration in base
    36 (short and unique; the same in a rebuild, which reads the same log). Paths only ever
    locate a subtree; the org ids travel in their own columns."""
    text = ""
    while True:
        position, digit = divmod(position, 36)
        text = _BASE36[digit] + text
        if not position:
            return text


_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _check_shape(fact: Fact) -> None:
    """Raise ValueError when a decoded fact's common fields do not have their types."""
    if not (
        isinstance(fact.id, str)
        and type(fact.on) is date
        and isinstance(fact.recorded_at, datetime)
        and fact.recorded_at.utcoffset() is not None
        and isinstance(fact.data, dict)
    ):
        raise ValueError("the event's fields do not have the types of a fact")


def _undecodable(item: StoredEvent, err: Exception, seq: int, previous: Fact | None) -> Fact:
    """A placeholder for an event that cannot be decoded, known with the fact before it."""
    version = item.originator_version
    return Fact(
        id=f"(event {version} of {item.originator_id})",
        type=UNDECODABLE,
        on=previous.on if previous else FIRST_DAY,
        recorded_at=previous.recorded_at if previous else datetime(1, 1, 1, tzinfo=UTC),
        seq=seq,
        data={"reason": f"{type(err).__name__}: {err}"},
    )


def _sealed_detail(
    row: tuple[Any, ...], seal: Callable[[str], str], first: int = 5
) -> tuple[Any, ...]:
    """An ``rm_unreadable`` row (or an insert's parameters, ``detail`` being column ``first``)
    with its detail sealed: it may quote a fact's content (a birth date)."""
    return (*row[:first], seal(row[first]), *row[first + 1 :])


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
