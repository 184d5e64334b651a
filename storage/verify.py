"""``ledger verify``: the hash chain recomputed, and the key table, the links and the log checked
against each other.

One pass over the log in commit order recomputes every link (storage.chain) and compares it
with the stored one; each event's fact id, type, aggregate and org references go into
temporary tables on the same connection, and SQL compares them with ``ledger_facts`` and
``ledger_links`` — so memory stays flat whatever the size of the log. A problem names the
event's position in the log, its number in the chain and its fact id where they are known.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from eventsourcing.utils import resolve_topic

from storage.agreement import check_keys, check_links, check_versions
from storage.chain import GENESIS, Chain, Digest, canonical, hex_id
from storage.logsql import LogSql, NoChain, connect
from storage.urls import Database
from storage.verdict import CHAIN_KINDS, MAX_LISTED, Problem, Verdict

__all__ = ["NoChain", "Problem", "Verdict", "head", "verify"]

BATCH = 10_000


class _Row(NamedTuple):
    position: int
    originator: str
    version: int
    topic: str
    state: bytes


def head(database: Database) -> tuple[Digest, int, int]:
    """The chain's stored head, the log's last position and the chain's last position."""
    with connect(database) as sql:
        last = sql.one("SELECT seq, link, position FROM {chain} ORDER BY position DESC LIMIT 1")
        end = sql.one("SELECT max({pos}) FROM {events}")[0] or 0
    if last is None:
        return Digest(0, GENESIS), end, 0
    return Digest(last[0], bytes(last[1])), end, last[2]


def verify(
    database: Database,
    chain: Chain,
    *,
    org_fields: Mapping[str, str],
    digest: Digest | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Verdict:
    """Recompute the chain (from the start, or from ``digest`` when ``resume``) and check it.

    ``org_fields`` names, per member fact type, the field whose org the fact links the member
    to (``ledger.member.ORG_FIELDS``: storage knows no fact types of its own). With ``digest``
    the verdict also says whether the log still passes through it: a full pass proves, link by
    link, that the events up to the digest's one give its link.
    """
    verdict = Verdict(digest=digest, resumed=resume and digest is not None)
    verdict.full = not verdict.resumed
    with connect(database) as sql:
        verdict.position = sql.one("SELECT max({pos}) FROM {events}")[0] or 0
        walk = _Walk(chain, verdict, org_fields)
        after = 0
        if verdict.resumed:
            assert digest is not None
            start = sql.one("SELECT position, link FROM {chain} WHERE seq = ?", (digest.events,))
            if start is None or bytes(start[1]) != digest.link:
                verdict.add(_digest_problem(digest, start is None))
                return verdict
            walk.previous, walk.seq, after = digest.link, digest.events, start[0]
        with _noting(sql if verdict.full else None) as notes:
            for before, rows in _batches(sql, after):
                walk.batch(sql, before, rows, notes)
                if progress is not None:
                    progress(len(rows))
            walk.trailing(sql)
            if notes is not None:
                check_keys(notes, verdict)
                check_links(notes, verdict)
        check_versions(sql, verdict)
    if digest is not None and verdict.full and not walk.digest_seen:
        verdict.add(_digest_problem(digest, True))
    verdict.head = Digest(walk.seq, walk.previous)
    return verdict


def _digest_problem(digest: Digest, absent: bool) -> Problem:
    if absent:
        return Problem(
            "digest_mismatch",
            f"the kept digest {digest} is not in today's log: the chain has no event "
            f"{digest.events:,} (events were removed)",
        )
    return Problem(
        "digest_mismatch",
        f"the kept digest {digest} is not a prefix of today's log: the link of event "
        f"{digest.events:,} differs (the history up to it was rewritten)",
    )


@contextlib.contextmanager
def _noting(sql: LogSql | None) -> Iterator[LogSql | None]:
    """Temporary tables for what the pass notes of each fact (none when resuming)."""
    if sql is None:
        yield None
        return
    sql.run(
        "CREATE TEMPORARY TABLE v_facts (fact_id TEXT, originator TEXT, type TEXT, position BIGINT)"
    )
    sql.run("CREATE TEMPORARY TABLE v_subjects (originator TEXT, subject TEXT)")
    sql.run("CREATE TEMPORARY TABLE v_links (org TEXT, originator TEXT)")
    try:
        yield sql
    finally:
        for table in ("v_facts", "v_subjects", "v_links", "v_expected"):
            sql.run(f"DROP TABLE IF EXISTS {table}")


class _Walk:
    """The pass over the log: links recomputed and compared, facts noted for SQL."""

    def __init__(self, chain: Chain, verdict: Verdict, org_fields: Mapping[str, str]) -> None:
        self.chain = chain
        self.verdict = verdict
        self.org_fields = org_fields
        self.previous = GENESIS
        self.seq = 0
        self.digest_seen = False
        self._types: dict[str, str] = {}

    def say(self, kind: str, message: str, position: int | None = None, fact: Any = None) -> None:
        self.verdict.add(Problem(kind, message, position, None if fact is None else str(fact)))

    def batch(self, sql: LogSql, before: int, rows: Sequence[_Row], notes: LogSql | None) -> None:
        """Check the events ``rows`` against the links stored from ``before`` to the last one."""
        links = sql.all(
            "SELECT position, seq, link FROM {chain} WHERE position > ? AND position <= ? "
            "ORDER BY position",
            (before, rows[-1].position),
        )
        facts: list[tuple[str, str, str, int]] = []
        subjects: list[tuple[str, str]] = []
        refs: list[tuple[str, str]] = []
        at = 0  # both lists are in position order: merge them
        for row in rows:
            while at < len(links) and links[at][0] < row.position:
                self._gone(links[at])
                at += 1
            stored = None
            if at < len(links) and links[at][0] == row.position:
                stored = (links[at][1], bytes(links[at][2]))
                at += 1
            self.verdict.events += 1
            fields = self._fields(row)
            if fields is not None:
                kind = self._type(row.topic)
                facts.append((str(fields.get("fact_id")), row.originator, kind, row.position))
                _references(fields, row, self.org_fields.get(kind), subjects, refs)
            self._link(row, fields, stored)
        if notes is not None:
            notes.insert("v_facts", facts)
            notes.insert("v_subjects", subjects)
            notes.insert("v_links", refs)

    def trailing(self, sql: LogSql) -> None:
        """Links past the last event: events removed from the end of the log."""
        for link in sql.all(
            f"SELECT position, seq, link FROM {{chain}} WHERE position > ? ORDER BY position "
            f"LIMIT {MAX_LISTED}",
            (self.verdict.position,),
        ):
            self._gone(link, " from the end of the log")

    def _gone(self, link: Any, where: str = " from the log") -> None:
        position, seq = link[0], link[1]
        self.say(
            "missing_event",
            f"event {seq:,} (position {position:,}) is missing{where}: its link is still there",
            position,
        )
        self.previous, self.seq = bytes(link[2]), seq

    def _link(
        self, row: _Row, fields: dict[str, Any] | None, stored: tuple[int, bytes] | None
    ) -> None:
        fact = fields.get("fact_id") if fields else None
        named = f"position {row.position:,}" + (f", fact {fact}" if fact else "")
        computed = None
        if fields is None:
            self.say(
                "altered",
                f"event at {named} cannot be read (not the ledger's encoding, or another "
                "encryption key): it was altered",
                row.position,
            )
        else:
            content = canonical(row.originator, row.version, row.topic, fields)
            computed = self.chain.next_link(self.previous, content)
        if stored is None:
            self.say(
                "unlinked_event",
                f"event at {named} has no link: it was written outside the ledger, or the log "
                "was not migrated ('ledger migrate')",
                row.position,
                fact,
            )
            self.previous = computed or self.previous
            return
        seq, link = stored
        gap = seq - self.seq - 1
        if gap > 0:
            self.say(
                "missing_event",
                f"{gap:,} event(s) missing before event {seq:,} (at {named}): the chain goes "
                f"from event {self.seq:,} to event {seq:,}",
                row.position,
                fact,
            )
        elif gap < 0:
            self.say(
                "altered",
                f"event at {named} is numbered {seq:,} after event {self.seq:,}: the chain "
                "was reordered",
                row.position,
                fact,
            )
        elif computed is not None and computed != link:
            self.say(
                "altered",
                f"event {seq:,} (at {named}) does not match its link: it was altered, or moved "
                "from another place in the log",
                row.position,
                fact,
            )
        # Go on from the stored link, so that each later problem is found on its own.
        self.previous, self.seq = link, seq
        self._at_digest(seq, link)

    def _at_digest(self, seq: int, link: bytes) -> None:
        digest = self.verdict.digest
        if digest is None or seq != digest.events or not self.verdict.full:
            return
        self.digest_seen = True
        if link != digest.link:
            self.verdict.add(_digest_problem(digest, False))
        elif any(kind in self.verdict.counts for kind in CHAIN_KINDS):
            self.say(
                "digest_mismatch",
                f"the log up to the kept digest {digest} was changed (the problems before it): "
                "the stored chain still passes through it, the events do not",
            )

    def _fields(self, row: _Row) -> dict[str, Any] | None:
        try:
            fields = self.chain.fields(row.state)
        except Exception:  # any undecodable state is an altered event
            return None
        return fields if isinstance(fields, dict) else None

    def _type(self, topic: str) -> str:
        kind = self._types.get(topic)
        if kind is None:
            try:
                kind = str(getattr(resolve_topic(topic), "fact_type", "") or topic)
            except Exception:  # a forged topic names no class
                kind = topic
            self._types[topic] = kind
        return kind


def _references(
    fields: dict[str, Any],
    row: _Row,
    org_field: str | None,
    subjects: list[tuple[str, str]],
    refs: list[tuple[str, str]],
) -> None:
    """The subject an aggregate's first event names, and the orgs a fact links to."""
    data = fields.get("data") if isinstance(fields.get("data"), dict) else {}
    assert isinstance(data, dict)
    if "originator_topic" in fields:  # the aggregate's first event
        member = fields.get("member")
        subject = f"member:{member}" if member else f"org:{data.get('org')}"
        subjects.append((row.originator, subject))
        if not member and data.get("parent"):
            refs.append((str(data["parent"]), row.originator))
    if org_field and data.get(org_field):
        refs.append((str(data[org_field]), row.originator))


def _batches(sql: LogSql, after: int) -> Iterator[tuple[int, list[_Row]]]:
    """The log after position ``after`` in batches, each with the position before it."""
    while True:
        rows = [
            _Row(r[0], hex_id(r[1]), r[2], r[3], _bytes(r[4]))
            for r in sql.all(
                "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} "
                f"WHERE {{pos}} > ? ORDER BY {{pos}} LIMIT {BATCH}",
                (after,),
            )
        ]
        if not rows:
            return
        yield after, rows
        after = rows[-1].position


def _bytes(state: Any) -> bytes:
    # A state rewritten by hand in SQLite may come back as text.
    return state.encode("utf-8", "surrogateescape") if isinstance(state, str) else bytes(state)
