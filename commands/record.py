"""The write side's use cases: record one fact, import many. Every interface calls these.

Facts are applied in batches: each batch validates its facts against the stored aggregates
(and against the facts accepted earlier in the same batch), then saves all their events and
key rows in one transaction. A fact counts as accepted only once its batch has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from commands.application import Encoded, LedgerApplication
from commands.schema import ParsedFact, parse_line, parse_object
from ledger import errors, recording
from ledger import facts as ft
from ledger.events import member_uuid, org_uuid
from ledger.facts import Fact
from ledger.member import ORG_FIELDS, Member
from ledger.organization import Organization, OrgInfo
from storage.keys import KnownFact

Outcome = Literal["accepted", "duplicate"]
BATCH_SIZE = 5000
COMMIT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused line of an import: its number, the fact id, the error code and why."""

    line: int | None
    id: str | None
    error: str
    message: str

    def as_json(self) -> dict[str, Any]:
        """The reject object of SPEC §5."""
        return {"line": self.line, "id": self.id, "error": self.error, "message": self.message}


@dataclass(slots=True)
class ImportSummary:
    """Counts of an import (SPEC §5)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects: list[Refusal] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The summary object of SPEC §5."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects": [r.as_json() for r in self.rejects],
        }


def record_fact(
    app: LedgerApplication,
    fact: dict[str, Any] | str | bytes | ParsedFact,
    *,
    recorded_by: str | None = None,
) -> Outcome:
    """Record one fact (a decoded JSON object, one JSON line, or a fact already parsed);
    raise LedgerError if refused. ``recorded_by`` (who records it) is stored with the event."""
    if isinstance(fact, ParsedFact):
        parsed = fact
    else:
        parsed = parse_object(fact) if isinstance(fact, dict) else parse_line(fact)
    with app.writing():
        for _attempt in range(COMMIT_ATTEMPTS):
            batch = _Batch(app, [parsed], recorded_by)
            outcome = batch.apply(parsed)
            try:
                batch.commit()
            except IntegrityError:
                app.forget(batch.changed)
                continue
            return outcome
    raise _lost_race(parsed.id)


def import_facts(
    app: LedgerApplication,
    lines: Iterable[str | bytes],
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    on_reject: Callable[[Refusal, str | bytes], None] | None = None,
    summary: ImportSummary | None = None,
    recorded_by: str | None = None,
    restore: bool = False,
) -> ImportSummary:
    """Import JSON Lines in order; refused lines are reported, all others are stored, each
    with ``recorded_by`` (who imports them).

    ``restore``: the lines are those of ``ledger export`` (``parse_line(restore=True)``); a
    line's own ``recorded_by`` is stored as its recorder, and its ``digest`` as its content's.

    ``on_reject(refusal, line)`` receives each refused line's text, for a rejects file.
    ``summary``, when given, is kept up to date batch by batch: if the import stops half-way
    (interrupted, or the database failed), it counts exactly what was committed.
    """
    summary = summary if summary is not None else ImportSummary()
    for chunk in _chunks(_numbered(lines), batch_size):
        _import_chunk(app, chunk, summary, on_reject, recorded_by, restore)
        if progress is not None:
            progress(len(chunk))
    return summary


def _import_chunk(
    app: LedgerApplication,
    chunk: list[tuple[int, str | bytes]],
    summary: ImportSummary,
    on_reject: Callable[[Refusal, str | bytes], None] | None,
    recorded_by: str | None,
    restore: bool = False,
) -> None:
    parsed: list[tuple[int, ParsedFact | Refusal]] = []
    for number, text in chunk:
        try:
            parsed.append((number, parse_line(text, restore=restore)))
        except errors.LedgerError as err:
            parsed.append((number, _refusal(number, err)))
    refused_before = len(summary.rejects)
    _import_batch(app, parsed, summary, recorded_by)
    if on_reject is not None and len(summary.rejects) > refused_before:
        texts = dict(chunk)
        for refusal in summary.rejects[refused_before:]:
            assert refusal.line is not None
            on_reject(refusal, texts[refusal.line])


def _refusal(number: int, err: errors.LedgerError, fact: str | None = None) -> Refusal:
    # A plain value: the exception (and the frames of its traceback) is not kept.
    return Refusal(number, err.fact or fact, err.code, err.message)


def _import_batch(
    app: LedgerApplication,
    parsed: list[tuple[int, ParsedFact | Refusal]],
    summary: ImportSummary,
    recorded_by: str | None,
) -> None:
    facts = [p for _, p in parsed if isinstance(p, ParsedFact)]
    results: list[Outcome | Refusal] | None = None
    reads = batch = None
    # Validated first without the writer lock (a dissolution reads the org's links, which the
    # check below does not cover: under the lock), then committed under it if nothing the
    # batch read changed meanwhile; else validated again, under the lock.
    if not any(p.type == ft.ORG_DISSOLVED for p in facts):
        with app.validating() as reads:
            if reads is not None:
                batch = _Batch(app, facts, recorded_by)
                results = _apply_all(batch, parsed)
                batch.encode()
    attempts = COMMIT_ATTEMPTS
    with app.writing(reads) as fresh:
        if batch is not None and results is not None:
            if fresh and not batch.targets_appeared():
                try:
                    batch.commit()
                except IntegrityError:
                    # Another writer got in without the lock: as below, one attempt spent.
                    results, attempts = None, attempts - 1
            else:
                results = None
            if results is None:
                app.forget(batch.changed)
        if results is None:
            results = _validate_and_commit(app, parsed, facts, recorded_by, attempts)
    for result in results:
        if result == "accepted":
            summary.accepted += 1
        elif result == "duplicate":
            summary.duplicates += 1
        else:
            assert isinstance(result, Refusal)
            summary.rejected += 1
            summary.rejects.append(result)


def _apply_all(
    batch: _Batch, parsed: list[tuple[int, ParsedFact | Refusal]]
) -> list[Outcome | Refusal]:
    results: list[Outcome | Refusal] = []
    for number, item in parsed:
        if isinstance(item, Refusal):
            results.append(item)
            continue
        try:
            results.append(batch.apply(item))
        except errors.LedgerError as err:
            results.append(_refusal(number, err, item.id))
    return results


def _validate_and_commit(
    app: LedgerApplication,
    parsed: list[tuple[int, ParsedFact | Refusal]],
    facts: list[ParsedFact],
    recorded_by: str | None,
    attempts: int = COMMIT_ATTEMPTS,
) -> list[Outcome | Refusal]:
    """Validate and commit under the writer lock (held by the caller), in ``attempts``."""
    for _attempt in range(attempts):
        batch = _Batch(app, facts, recorded_by)
        results = _apply_all(batch, parsed)
        try:
            batch.commit()
        except IntegrityError:
            # Another writer got in without the lock; start this batch again from the store.
            app.forget(batch.changed)
            continue
        return results
    # Lost every attempt: nothing of the batch is stored. Its facts that would have been
    # accepted are refused with ``conflict`` (to be imported again); duplicates and rule
    # refusals stand, as validated against the store on the last attempt.
    return [
        _refusal(number, _lost_race(item.id))
        if result == "accepted" and isinstance(item, ParsedFact)
        else result
        for (number, item), result in zip(parsed, results, strict=True)
    ]


class _Batch:
    """Facts validated together and saved in one transaction."""

    def __init__(
        self, app: LedgerApplication, items: list[ParsedFact], recorded_by: str | None = None
    ) -> None:
        self.app = app
        self.recorded_by = recorded_by
        self.now = app.clock()
        wanted = {p.id for p in items}
        targets = {str(p.model.fact) for p in items if p.type == ft.RETRACTED}
        self.known: dict[str, KnownFact] = app.known_facts(sorted(wanted | targets))
        self.unknown_targets = sorted(targets - self.known.keys())
        """Retracted facts not stored when the batch began (``targets_appeared``)."""
        # Every member and org the batch names, loaded in one query.
        # (Fields are looked up in the model's own dict: hasattr on a pydantic model that
        # lacks the field goes through a raised AttributeError, a tenth of an import's time.)
        subjects: list[UUID] = []
        for p in items:
            fields = p.model.__dict__
            if fields.get("member"):
                subjects.append(member_uuid(fields["member"]))
            for name in ("org", "to_org"):
                if fields.get(name):
                    subjects.append(org_uuid(fields[name]))
        app.prefetch(subjects)
        self.pending: dict[UUID, Member | Organization] = {}
        self.order: list[UUID] = []  # the aggregate of each accepted fact, in turn
        self.members: dict[str, Member] = {}
        self.orgs: dict[str, Organization] = {}
        self.infos: dict[str, OrgInfo | None] = {}
        self.fact_rows: list[tuple[str, str, str, str]] = []
        self.links: list[tuple[str, str]] = []
        self.encoded: Encoded | None = None

    @property
    def changed(self) -> list[Member | Organization]:
        """Aggregates with pending events."""
        return list(self.pending.values())

    def encode(self) -> None:
        """Encode the pending events now (before the writer lock: ``LedgerApplication.encode``)."""
        if self.pending:
            self.encoded = self.app.encode(self.changed, self.order)

    def commit(self) -> None:
        """Save every pending event and key row in one transaction."""
        if self.pending:
            self.app.commit(
                self.changed,
                self.order,
                encoded=self.encoded,
                fact_rows=self.fact_rows,
                links=self.links,
            )

    def targets_appeared(self) -> bool:
        """Whether another writer stored a fact this batch's retractions name, and found
        missing, since the batch began (the aggregates it read are checked by ``writing``)."""
        return bool(self.unknown_targets) and bool(self.app.known_facts(self.unknown_targets))

    # --- lookups that see this batch's own changes ------------------------------------------

    def org(self, org: str) -> Organization | None:
        return self.orgs.get(org) or self.app.organization(org)

    def org_info(self, org: str) -> OrgInfo | None:
        # Asked for several times by every member fact: kept until the batch changes the org.
        try:
            return self.infos[org]
        except KeyError:
            aggregate = self.org(org)
            info = self.infos[org] = aggregate.info if aggregate else None
            return info

    def member(self, member: str) -> Member | None:
        return self.members.get(member) or self.app.member(member)

    def stored(self, fact_id: str) -> KnownFact | None:
        return self.known.get(fact_id)

    # --- applying one fact ------------------------------------------------------------------

    def apply(self, parsed: ParsedFact) -> Outcome:
        """Validate and stage one fact; raise LedgerError when it is refused."""
        existing = self.stored(parsed.id)
        stored_digest, stored_type = (existing.digest, existing.type) if existing else (None, "")
        digest = self.app.stored_digest(parsed.digest)
        if recording.is_duplicate(parsed.id, digest, stored_digest, stored_type):
            return "duplicate"
        recorded_at = self._recorded_at(parsed)
        model = parsed.model
        kind = parsed.type
        if kind == ft.RETRACTED:
            subject = self._retract(parsed, recorded_at)
        elif kind in ft.ORG_FACT_TYPES:
            subject = self._org_fact(parsed, recorded_at)
        else:
            subject = f"member:{model.member}"
            self._member_fact(parsed, recorded_at)
        self.known[parsed.id] = KnownFact(parsed.id, subject, kind, digest)
        self.fact_rows.append((parsed.id, subject, kind, digest))
        return "accepted"

    def _recorded_at(self, parsed: ParsedFact) -> datetime:
        given: datetime | None = parsed.model.recorded_at
        if given is None:
            recorded_at = self.now = self.app.clock()
        else:
            recorded_at = given
            if recorded_at > self.now:
                self.now = self.app.clock()  # the clock is read again only when it matters
                recording.check_future(parsed.id, recorded_at, self.now)
        recording.check_dates(parsed.id, parsed.model.on, recorded_at)
        return recorded_at

    def _fact(self, parsed: ParsedFact, recorded_at: datetime, seq: int) -> Fact:
        model = parsed.model
        recorder = parsed.recorder if parsed.restored else self.recorded_by
        return Fact(
            parsed.id, parsed.type, model.on, recorded_at, seq, parsed.data(), model.ref,
            model.note, recorder,
        )  # fmt: skip

    def _member_fact(self, parsed: ParsedFact, recorded_at: datetime) -> None:
        member_id = str(parsed.model.member)
        aggregate = self.member(member_id)
        recording.check_member_known(parsed.id, member_id, parsed.type, aggregate is not None)
        if aggregate is None:
            # A new member's aggregate is opened by its first fact, once that is accepted.
            fact = self._fact(parsed, recorded_at, 0)
            aggregate = Member.join(member_id, fact, self.org_info)
        else:
            fact = self._fact(parsed, recorded_at, aggregate.next_seq)
            aggregate.record(fact, self.org_info)
        self._stage_member(aggregate)
        org_field = ORG_FIELDS.get(parsed.type)
        if org_field and fact.data.get(org_field):
            self.links.append((str(fact.data[org_field]), f"member:{member_id}"))

    def _stage_member(self, aggregate: Member) -> None:
        self.members[aggregate.member] = aggregate
        self.pending[aggregate.id] = aggregate
        self.order.append(aggregate.id)

    def _stage_org(self, aggregate: Organization) -> None:
        self.orgs[aggregate.org] = aggregate
        self.infos.pop(aggregate.org, None)
        self.pending[aggregate.id] = aggregate
        self.order.append(aggregate.id)

    def _org_fact(self, parsed: ParsedFact, recorded_at: datetime) -> str:
        org_id = str(parsed.model.org)
        if parsed.type == ft.ORG_REGISTERED:
            fact = self._fact(parsed, recorded_at, 0)
            created = Organization.register(fact, self.org_info)
            self._stage_org(created)
            if created.parent:
                self.links.append((created.parent, f"org:{org_id}"))
            return f"org:{org_id}"
        aggregate = self.org(org_id)
        recording.check_org_known(parsed.id, org_id, aggregate is not None)
        assert aggregate is not None
        fact = self._fact(parsed, recorded_at, len(aggregate.facts))
        if parsed.type == ft.ORG_RENAMED:
            aggregate.rename(fact)
        elif parsed.type == ft.ORG_COUNT_DECLARED:
            aggregate.declare_count(fact)
        else:
            children, stays = self._dependents(org_id)
            aggregate.dissolve(fact, children, stays)
        self._stage_org(aggregate)
        return f"org:{org_id}"

    def _dependents(self, org_id: str) -> tuple[list[OrgInfo], dict[str, Any]]:
        subjects = set(self.app.links(org_id))
        subjects.update(subject for org, subject in self.links if org == org_id)
        children: list[OrgInfo] = []
        stays: dict[str, Any] = {}
        for subject in sorted(subjects):
            kind, _, ident = subject.partition(":")
            if kind == "org":
                info = self.org_info(ident)
                if info is not None:
                    children.append(info)
            else:
                member = self.member(ident)
                if member is not None:
                    stays[ident] = member.current().stays
        return children, stays

    def _retract(self, parsed: ParsedFact, recorded_at: datetime) -> str:
        target = str(parsed.model.fact)
        known = self.stored(target)
        recording.check_target_known(parsed.id, target, known is not None)
        assert known is not None
        kind, _, ident = known.subject.partition(":")
        if kind == "member":
            member = self.member(ident)
            assert member is not None, known
            member.retract(self._fact(parsed, recorded_at, member.next_seq), self.org_info)
            self._stage_member(member)
        else:
            org = self.org(ident)
            assert org is not None, known
            org.retract(self._fact(parsed, recorded_at, len(org.facts)))
            self._stage_org(org)
        return known.subject


def _lost_race(fact_id: str) -> errors.Conflict:
    """The refusal of a fact whose batch lost the race to commit on every attempt.

    Only a writer that bypasses the writer lock can make a batch lose: the fact was checked
    against a state that changed before it could be stored. Nothing of it was stored, and a
    retry is safe (the fact id makes a second submission a duplicate if the first got in).
    """
    return errors.Conflict(
        f"{fact_id}: another writer changed the same records at the same time "
        f"{COMMIT_ATTEMPTS} times in a row; nothing was recorded, submit the fact again",
        fact=fact_id,
    )


def _numbered(lines: Iterable[str | bytes]) -> Iterator[tuple[int, str | bytes]]:
    # Blank means JSON whitespace only: a line of other characters (a form feed, U+2028…) is
    # a malformed fact, to be refused and counted, not skipped in silence.
    for number, text in enumerate(lines, start=1):
        if text.strip(b" \t\r\n") if isinstance(text, bytes) else text.strip(" \t\r\n"):
            yield number, text


def _chunks(
    items: Iterator[tuple[int, str | bytes]], size: int
) -> Iterator[list[tuple[int, str | bytes]]]:
    chunk: list[tuple[int, str | bytes]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
