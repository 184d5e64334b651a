"""The event log as JSON Lines (``ledger export``): one line per stored fact, in commit order.

Each line is the fact as submitted (``projections.reports.facts.as_submitted``: ``id``,
``type``, ``on``, ``recorded_at``, the type's own fields in their stored order, ``ref``,
``note``), then ``recorded_by`` (null when the ledger did not know it) and ``digest`` (the
SHA-256 of the content as first submitted, from the key table). ``ledger import --restore``
reads these lines back into an empty database and stores the same facts, in the same order,
with the same recorders and digests (docs/reliability.md).

The bytes depend only on the stored events: the same log exports to the same file on either
backend, which is how a migration is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from projections.reports.facts import as_submitted
from storage.event_log import EventLog

BATCH = 1000
"""Notifications read (and lines written) at a time: memory stays flat whatever the log."""


class UnreadableEvent(Exception):
    """A stored event that cannot be decoded: the export stops rather than leave it out."""


@dataclass(slots=True)
class ExportSummary:
    """What an export wrote: facts, other events skipped, and the last position it covers."""

    facts: int = 0
    skipped: int = 0
    position: int = 0


def export_lines(
    log: EventLog,
    digests: Callable[[Sequence[str]], Mapping[str, str]],
    summary: ExportSummary,
    *,
    batch: int = BATCH,
) -> Iterator[bytes]:
    """The export of ``log`` up to its position when it starts, one chunk of lines per batch.

    ``digests(ids)`` gives the stored digest of each fact id. Facts committed after the start
    are left for the next export: the file is the log as of one position (``summary.position``,
    counting each chunk as it is handed out). Events that are not facts (the markers that
    opened aggregates in old logs) are counted in ``summary.skipped``.
    """
    end = log.position()
    after = 0
    while after < end:
        notifications = [n for n in log.notifications(after, batch) if n.id <= end]
        if not notifications:
            break
        facts: list[tuple[dict[str, Any], str | None]] = []
        for item in notifications:
            try:
                event = log.decode(item)
                fact = as_submitted(event)
            except Exception as err:  # the library's, the transcoder's: any is fatal here
                raise UnreadableEvent(
                    f"the event at position {item.id} cannot be decoded ({err})"
                ) from err
            if fact is None:
                summary.skipped += 1
                continue
            facts.append((fact, getattr(event, "recorded_by", None)))
        stored = digests([fact["id"] for fact, _ in facts])
        chunk = b"".join(
            orjson.dumps({**fact, "recorded_by": by, "digest": stored.get(fact["id"])}) + b"\n"
            for fact, by in facts
        )
        summary.facts += len(facts)
        after = summary.position = notifications[-1].id
        yield chunk
