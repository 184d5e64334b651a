"""The hash chain over the event log: each event's link covers its content and the link before.

``ledger_chain`` holds one row per event — its position in the log (the notification id), its
number in the chain (``seq``: 1 for the first event, no gaps) and its link — written by the
recorders in the same transaction as the events. ``link(n) = sha256(link(n-1) + content(n))``
with ``link(0)`` 32 zero bytes. An auditor keeps the head (``ledger digest``); ``ledger verify``
recomputes every link, names the first event that does not match, and proves that a kept digest
is still a prefix of the log (storage.verify).

An event's *content* is what the ledger stored of the fact, independent of where and when it
was stored: the aggregate id, its version, the event's topic and its state — decrypted,
decompressed and unpacked (storage.packing), without the library's ``timestamp`` (the moment
the event object was made, which the ledger never reads) and without top-level fields that are
null — as canonical JSON (keys sorted). The same facts imported in the same order into another
database, on another backend or under another encryption key, therefore give the same chain
(docs/reliability.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from uuid import UUID

import orjson

from storage.packing import unpack

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper, StoredEvent

GENESIS = bytes(32)
"""The link before the first event."""


class Digest(NamedTuple):
    """The chain's head at one event: what an auditor keeps (printed ``EVENTS:HEX``)."""

    events: int
    link: bytes

    def __str__(self) -> str:
        return f"{self.events}:{self.link.hex()}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Read ``EVENTS:HEX`` (as ``ledger digest`` prints it); ValueError names the problem."""
        events, sep, hexed = text.strip().partition(":")
        if not sep or not events.isdigit() or len(hexed) != 64:
            raise ValueError(
                f"not a digest: {text[:80]!r} (expected EVENTS:HEX, as 'ledger digest' prints it)"
            )
        try:
            link = bytes.fromhex(hexed)
        except ValueError:
            raise ValueError(f"not a digest: {hexed[:80]!r} is not hexadecimal") from None
        return cls(int(events), link)


class ChainBehind(RuntimeError):
    """The log holds events that the chain does not cover yet (a ledger not migrated)."""


class Chain:
    """Computes links; ``plaintext`` turns a stored state into the transcoder's bytes."""

    def __init__(self, plaintext: Callable[[bytes], bytes]) -> None:
        self.plaintext = plaintext

    @classmethod
    def of(cls, mapper: Mapper[UUID]) -> Chain:
        """The chain of a store whose events ``mapper`` writes (its cipher and compressor)."""
        cipher, compressor = mapper.cipher, mapper.compressor
        if cipher is None and compressor is None:
            return cls(lambda state: state)

        def plaintext(state: bytes) -> bytes:
            if cipher is not None:
                state = cipher.decrypt(state)
            if compressor is not None:
                state = compressor.decompress(state)
            return state

        return cls(plaintext)

    def fields(self, state: bytes) -> Any:
        """The decoded fields of a stored state (raises when it cannot be read): its JSON
        unpacked (storage.packing), so a packed state and a plain one link alike."""
        return orjson.loads(unpack(self.plaintext(state)))

    def content(self, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
        """The canonical bytes of one stored event (see the module's docstring)."""
        return canonical(hex_id(originator_id), version, topic, self.fields(state))

    def next_link(self, previous: bytes, content: bytes) -> bytes:
        """The link of an event of ``content`` following ``previous``."""
        return hashlib.sha256(previous + content).digest()

    def contents(self, events: Sequence[StoredEvent]) -> list[bytes]:
        """The content of each event (``content``): what its link will cover."""
        return [
            self.content(e.originator_id, e.originator_version, e.topic, e.state) for e in events
        ]

    def link_events(
        self,
        previous: bytes,
        events: Sequence[StoredEvent],
        contents: Sequence[bytes] | None = None,
    ) -> tuple[list[bytes], bytes]:
        """The links of ``events`` following ``previous``, and the last one (``contents``:
        theirs, when computed beforehand)."""
        links = []
        for content in self.contents(events) if contents is None else contents:
            previous = self.next_link(previous, content)
            links.append(previous)
        if len(links) != len(events):
            raise ValueError(f"{len(links)} contents for {len(events)} events")
        return links, previous


def hex_id(originator_id: Any) -> str:
    """An aggregate id as 32 hex digits, however the backend returns it."""
    if isinstance(originator_id, UUID):
        return originator_id.hex
    if type(originator_id) is str and len(originator_id) == 32:
        # SQLite's recorder stores the hex form already. (Were it altered into something else,
        # the link made from the true id would no longer match: ``verify`` finds it.)
        return originator_id
    return UUID(str(originator_id)).hex


def canonical(originator: str, version: int, topic: str, fields: dict[str, Any]) -> bytes:
    """An event's content: its identity and its fields, without the library's timestamp and
    top-level nulls, as JSON with sorted keys."""
    kept = {k: v for k, v in fields.items() if v is not None and k != "timestamp"}
    return orjson.dumps([originator, version, topic, kept], option=orjson.OPT_SORT_KEYS)


class _Cursor(Protocol):
    def execute(self, statement: Any, params: Any = ...) -> Any: ...

    def executemany(self, statement: Any, params: Any) -> Any: ...

    def fetchone(self) -> Any: ...


class ChainTable(NamedTuple):
    """The statements of one backend for the chain table (placeholders and names differ)."""

    last: Any
    """The last link: ``position``, ``seq``, ``link`` (no row when the chain is empty)."""
    before: Any
    """The last event position before the parameter (``position``, null when none)."""
    insert: Any
    """One link: position, seq, link (``columns``: the three as arrays, every link at once)."""
    unlinked: Any
    """Up to 5,000 events after the parameter: ``position``, ``originator_id``,
    ``originator_version``, ``topic``, ``state``."""
    columns: bool = False
    """``insert`` takes the positions, seqs and links as three arrays (one statement for a
    batch: PostgreSQL), instead of one row per execution (SQLite's executemany)."""


def append_links(
    cursor: _Cursor,
    table: ChainTable,
    chain: Chain,
    positions: Sequence[int],
    events: Sequence[StoredEvent],
    contents: Sequence[bytes] | None = None,
) -> None:
    """Write the links of ``events``, just inserted at ``positions``, in the same transaction
    (``contents``: the events' ``Chain.contents``, when computed beforehand, out of the lock).

    The caller holds the log's write lock (SQLite's, or the library's table lock on
    PostgreSQL), so the last link cannot move meanwhile. Raises ChainBehind when the chain does
    not end at the event before these (a log extended before the chain existed, not migrated).
    """
    if not events:
        return
    cursor.execute(table.last)
    last = cursor.fetchone()
    previous, seq, end = (
        (bytes(last["link"]), last["seq"], last["position"]) if last else (GENESIS, 0, None)
    )
    cursor.execute(table.before, (positions[0],))
    before = cursor.fetchone()["position"]
    if before != end:
        raise ChainBehind(
            f"the hash chain ends at position {end or 0} but the log goes on to {before}: "
            "run 'ledger migrate' to link the events written before the chain existed"
        )
    links, _ = chain.link_events(previous, events, contents)
    if table.columns:
        if len(links) != len(positions):
            raise ValueError(f"{len(positions)} positions for {len(links)} events")
        seqs = list(range(seq + 1, seq + 1 + len(links)))
        cursor.execute(table.insert, (list(positions), seqs, links))
        return
    numbered = enumerate(zip(positions, links, strict=True), start=seq + 1)
    cursor.executemany(table.insert, [(position, n, link) for n, (position, link) in numbered])


def link_unlinked(
    transaction: Callable[[], AbstractContextManager[Any]],
    table: ChainTable,
    chain: Chain,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Link the events written before the chain existed, 5,000 per ``transaction()`` (which
    must keep other writers out); how many were linked."""
    from eventsourcing.persistence import StoredEvent

    linked = 0
    while True:
        with transaction() as cursor:
            cursor.execute(table.last)
            last = cursor.fetchone()
            cursor.execute(table.unlinked, (last["position"] if last else 0,))
            rows = cursor.fetchall()
            if not rows:
                return linked
            events = [
                StoredEvent(
                    UUID(str(r["originator_id"])),
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                )
                for r in rows
            ]
            append_links(cursor, table, chain, [r["position"] for r in rows], events)
        linked += len(rows)
        if progress is not None:
            progress(len(rows))
