"""The event feed: the stored facts in commit order, from a position, for downstream systems.

Unlike the fact log (recording order, filtered), the feed is the log itself: every event once,
in the order the database committed them, each with its position (the notification id) so a
consumer resumes from the last one it saw.
"""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import TypedDict

from projections.reports.facts import as_submitted
from projections.reports.types import REPORT
from storage.event_log import EventLog

MAX_FEED = 10_000
"""At most this many events in one answer."""
MAX_POSITION = 2**63 - 1
"""No position is larger: notification ids are 64-bit integers on both backends."""


class FeedItem(TypedDict):
    """One stored event: its position in the log and the fact it holds, as submitted (None
    when the stored event cannot be decoded by this version of the ledger)."""

    position: int
    fact: dict[str, object] | None


class EventFeed(BaseModel):
    """Events after a position; ``next`` is the position to ask for next (``after=next``)."""

    model_config = REPORT

    after: int
    next: int
    events: list[FeedItem]


def event_feed(log: EventLog, after: int, limit: int) -> EventFeed:
    """Up to ``limit`` events after position ``after``, in commit order."""
    if not 0 <= after <= MAX_POSITION:
        raise ValueError(f"after must be between 0 and {MAX_POSITION}, not {after}")
    if not 1 <= limit <= MAX_FEED:
        raise ValueError(f"limit must be between 1 and {MAX_FEED:,}, not {limit}")
    items: list[FeedItem] = []
    for notification in log.notifications(after, limit):
        try:
            fact = as_submitted(log.decode(notification))
        except Exception:  # the read side never raises on what the log holds
            fact = None
        items.append({"position": int(notification.id), "fact": fact})
    last = items[-1]["position"] if items else after
    return EventFeed.model_construct(after=after, next=last, events=items)
