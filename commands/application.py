"""The eventsourcing application: the event store, aggregate loading and the write caches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import StoredEvent, Transcoder
from eventsourcing.utils import Environment, EnvType

from commands.clock import local_now as local_now  # re-exported: the default clock
from ledger.events import member_uuid, org_uuid
from ledger.member import Member
from ledger.organization import Organization, OrgInfo
from storage.cache import LRUCache
from storage.chain import Chain
from storage.cipher import DigestKey, EncryptionRefused, TextCipher, verdict, wanted_meta
from storage.event_log import EventLog
from storage.keys import KnownFact
from storage.locks import WriterLock, setup_lock
from storage.transcoder import OrjsonTranscoder
from storage.urls import DEFAULT_DATABASE_URL, parse_database_url

if TYPE_CHECKING:  # each backend's recorder is imported by the library, for its URLs only
    from storage.postgres import LedgerPostgresRecorder
    from storage.sqlite import LedgerSQLiteRecorder

A = TypeVar("A", Member, Organization)

CACHE_SIZE = 50_000


class Encoded(NamedTuple):
    """A batch's events as they will be stored, and the contents their chain links cover."""

    events: list[StoredEvent]
    contents: list[bytes]


@dataclass
class Reads:
    """What a batch validated without the writer lock (``validating``) looked at: the log's
    position it started from, and every aggregate it read or found absent."""

    position: int | None
    aggregates: set[UUID] = field(default_factory=set)


class LedgerApplication(Application[UUID]):
    """Stores every accepted fact as an event of its member or organisation aggregate.

    Aggregates are cached between batches while this process is the only writer: the cache
    is dropped whenever the notification log moved on by someone else's write.
    """

    name = "ledger"

    def __init__(
        self,
        database_url: str = DEFAULT_DATABASE_URL,
        *,
        clock: Callable[[], datetime] = local_now,
        create_tables: bool = True,
        cipher_key: str | None = None,
    ) -> None:
        self.database = parse_database_url(database_url, cipher_key)
        self.clock = clock
        env = {**self.database.env, "CREATE_TABLE": "yes" if create_tables else "no"}
        if create_tables:
            with setup_lock(self.database):
                # Concurrent first uses must not race to create the tables.
                super().__init__(env=env)
        else:  # a reader: it never runs DDL (``ledger migrate`` and the writers do)
            super().__init__(env=env)
        self._cache: LRUCache[UUID, Any] = LRUCache(CACHE_SIZE)
        self._seen_position: int | None = None
        self._writing = False
        self._absent: set[UUID] = set()
        self._reads: set[UUID] | None = None
        self._cipher_checked: str | bool | None = False
        key = self.database.cipher_key
        self._digest_key = DigestKey(key) if key else None
        self.writer_lock = WriterLock(self.database, self.keys.datastore)
        self.keys.chain = Chain.of(self.mapper)
        self.newly_linked = 0
        """Events of a log older than its hash chain that opening it for writing linked."""
        if create_tables:
            with self.writer_lock.hold():
                self.newly_linked = self.keys.link_unlinked()

    @property
    def event_log(self) -> EventLog:
        """The event log as the read side reads it (``log`` is the library's own)."""
        return EventLog(self.database, lambda: (self.keys, self.mapper))

    @property
    def keys(self) -> LedgerSQLiteRecorder | LedgerPostgresRecorder:
        """The recorder, with the ledger's own tables and batched look-ups."""
        recorder = self.recorder
        if self.database.is_postgres:
            from storage.postgres import LedgerPostgresRecorder

            assert isinstance(recorder, LedgerPostgresRecorder)
        else:
            from storage.sqlite import LedgerSQLiteRecorder

            assert isinstance(recorder, LedgerSQLiteRecorder)
        return recorder

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """The library's settings come from the database URL alone.

        The library would also read the process environment, where a stray variable named
        after the application (``LEDGER_SQLITE_DBNAME``, ``LEDGER_PERSISTENCE_MODULE``…) could
        send the events to another store than the read models.
        """
        return Environment(name, dict(env or {}))

    def construct_transcoder(self) -> Transcoder:
        """Events are encoded with orjson."""
        return OrjsonTranscoder()

    # --- reading aggregates -----------------------------------------------------------------

    def member(self, member: str) -> Member | None:
        """The member aggregate, or None when the ledger never heard of the member."""
        return self._get(member_uuid(member), Member)

    def organization(self, org: str) -> Organization | None:
        """The organisation aggregate, or None when it was never registered."""
        return self._get(org_uuid(org), Organization)

    def org_info(self, org: str) -> OrgInfo | None:
        """What member rules need to know of ``org``."""
        aggregate = self.organization(org)
        return aggregate.info if aggregate else None

    def known_facts(self, fact_ids: Sequence[str]) -> dict[str, KnownFact]:
        """The stored facts among ``fact_ids`` (id, subject, type, digest)."""
        if not fact_ids:
            return {}
        return self.keys.select_known_facts(fact_ids)

    def stored_digest(self, digest: str) -> str:
        """A fact's content digest as ``ledger_facts`` keeps it: in an encrypted ledger an HMAC
        under the key, so that the clear column confirms no guess of a fact's content."""
        return self._digest_key.digest(digest) if self._digest_key is not None else digest

    def links(self, org: str) -> list[str]:
        """Subjects (``member:ID``, ``org:ID``) that ever referenced ``org``."""
        return self.keys.select_links(org)

    def prefetch(self, aggregate_ids: Iterable[UUID]) -> None:
        """Load many aggregates in one query into the writer's cache (inside ``writing``).

        Ids with no stored event are remembered as absent until the next commit, so that a
        batch of new members costs one query instead of one per member.
        """
        if not self._writing:
            return  # only a writer can trust what it caches
        if self._reads is not None:
            aggregate_ids = list(aggregate_ids)
            self._reads.update(aggregate_ids)
        missing = [i for i in dict.fromkeys(aggregate_ids) if i not in self._cache]
        if not missing:
            return
        stored = self.keys.select_events_of(missing)
        loaded: dict[UUID, Any] = {}
        for item in stored:
            event: Any = self.mapper.to_domain_event(item)
            loaded[event.originator_id] = event.mutate(loaded.get(event.originator_id))
        for aggregate_id in missing:
            if aggregate_id in loaded:
                self._cache.remember(aggregate_id, loaded[aggregate_id])
            else:
                self._absent.add(aggregate_id)

    def _get(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        # Readers always go to the store; only a writer can trust the cache.
        if self._reads is not None:
            self._reads.add(aggregate_id)
        cached = self._cache.get(aggregate_id) if self._writing else None
        if cached is not None:
            self._cache.move_to_end(aggregate_id)
            return cached  # type: ignore[no-any-return]
        if self._writing and aggregate_id in self._absent:
            return None
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            raise TypeError(f"aggregate {aggregate_id} is a {type(aggregate).__name__}")
        if self._writing:
            self._cache.remember(aggregate_id, aggregate)
        return aggregate

    # --- writing ----------------------------------------------------------------------------

    @contextmanager
    def writing(self, reads: Reads | None = None) -> Iterator[bool]:
        """Hold the writer lock; forget the cached aggregates another writer changed meanwhile.

        With ``reads`` (of a batch validated by ``validating``): yields True when no aggregate
        the batch read was written since it started, so that its validation still holds and
        it may be committed as it is; otherwise (and without ``reads``) False.

        EncryptionRefused, before anything is written, when this process's key (or the lack of
        one) does not fit the ledger's stored events.
        """
        with self.writer_lock.hold():
            position = self.recorder.max_notification_id()
            self._check_encryption(position is None)
            written = self._written_since(self._seen_position, position)
            fresh = (
                reads is not None
                and reads.position == self._seen_position
                and written is not None
                and written.isdisjoint(reads.aggregates)
            )
            self._catch_up(position, written)
            with self._at_work():
                yield fresh

    @contextmanager
    def validating(self) -> Iterator[Reads | None]:
        """Validate a batch without the writer lock, against the log as it is now; then
        ``writing(reads)`` says whether the batch may be committed as validated.

        Validation is most of a batch's work: two importers validate at the same time, and
        take turns only to commit. Yields None (validate under the lock instead) on an empty
        log, whose encryption mode the first writer sets under the lock.
        """
        position = self.recorder.max_notification_id()
        if position is None:
            yield None
            return
        # A log that holds events keeps its mode: checking it only reads (``_check_encryption``).
        self._check_encryption(log_empty=False)
        self._catch_up(position, self._written_since(self._seen_position, position))
        reads = Reads(position)
        self._reads = reads.aggregates
        try:
            with self._at_work():
                yield reads
        finally:
            self._reads = None

    @contextmanager
    def _at_work(self) -> Iterator[None]:
        """Aggregates loaded meanwhile are cached; on any failure the cache and the position
        it matches are forgotten (what was loaded may not hold any more)."""
        self._writing = True
        try:
            yield
        except BaseException:
            self._cache.clear()
            self._seen_position = None
            raise
        finally:
            self._writing = False

    def _written_since(self, after: int | None, upto: int | None) -> set[UUID] | None:
        """The aggregates with events in (``after``, ``upto``]; None when unknown."""
        if upto == after:
            return set()
        if after is None or upto is None or not after < upto <= after + CACHE_SIZE:
            return None
        return self.keys.select_written_between(after, upto)

    def _catch_up(self, position: int | None, written: set[UUID] | None) -> None:
        """Make the cache that of the log at ``position``: forget what was ``written`` since
        the last position (everything, when that is unknown)."""
        if written is None:
            self._cache.clear()
        else:
            for aggregate_id in written:
                self._cache.pop(aggregate_id, None)
        self._seen_position = position
        self._absent.clear()

    def encode(
        self, aggregates: Sequence[Member | Organization], order: Sequence[UUID] | None = None
    ) -> Encoded:
        """Collect the pending events of ``aggregates`` and encode them as stored, with the
        content each one's link of the hash chain will cover: work that does not depend on
        the log's position, done before the writer lock is taken.

        ``order`` names the aggregate of each pending event in the order the facts were
        accepted: the log keeps that order (an import's file order), so that the same facts
        imported again in the same order make the same log and the same hash chain. Without
        it, the events go aggregate by aggregate.
        """
        if order is None:
            events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        else:
            pending = {a.id: iter(a.collect_events()) for a in aggregates}
            events = [next(pending[aggregate_id]) for aggregate_id in order]
            if any(next(left, None) is not None for left in pending.values()):
                raise AssertionError("an aggregate has an event that no accepted fact explains")
        stored = [self.mapper.to_stored_event(event) for event in events]
        chain = self.keys.chain
        assert chain is not None
        return Encoded(stored, chain.contents(stored))

    def commit(
        self,
        aggregates: Sequence[Member | Organization],
        order: Sequence[UUID] | None = None,
        *,
        encoded: Encoded | None = None,
        **keys: Any,
    ) -> None:
        """Save the pending events of ``aggregates`` (``encoded`` beforehand, or now: see
        ``encode``) and the key rows in one transaction."""
        # Straight to the recorder: Application.save would add runtime Protocol checks per
        # aggregate, and this application takes no snapshots and sends no notifications.
        if encoded is None:
            encoded = self.encode(aggregates, order)
        ids = (
            self.recorder.insert_events(encoded.events, contents=encoded.contents, **keys)
            if encoded.events
            else None
        )
        for aggregate in aggregates:
            self._cache.remember(aggregate.id, aggregate)
            self._absent.discard(aggregate.id)
        if ids:
            self._seen_position = max(ids)
            # Checked under the lock before this commit: now the log holds this process's
            # events, its mode cannot change (``_check_encryption``).
            self._cipher_checked = self.database.cipher_key

    def _check_encryption(self, log_empty: bool) -> None:
        """Refuse to write under another key than the log's, or encrypted events into a log
        of clear ones; on an empty log, record this writer's choice (storage.cipher).

        Checked under the writer lock, at every write: another process may have turned the
        key on for this (empty) ledger since this one opened it.
        """
        key = self.database.cipher_key
        if self._cipher_checked == key:
            return  # once the log holds this process's events, no one can change its mode
        cipher = TextCipher(key) if key else None
        meta = self.keys.select_meta()
        problem = verdict(meta or {}, cipher, log_empty)
        if problem is not None:
            raise EncryptionRefused(problem)
        if log_empty:
            rows = wanted_meta(meta or {}, cipher)
            if rows is not None:
                if meta is None:
                    raise EncryptionRefused(
                        "the ledger's tables are older than this release: run 'ledger migrate'"
                    )
                self.keys.replace_meta(rows)
        else:
            self._cipher_checked = key

    def forget(self, aggregates: Sequence[Member | Organization]) -> None:
        """Drop aggregates whose pending changes were abandoned."""
        for aggregate in aggregates:
            self._cache.pop(aggregate.id, None)
