"""Knowledge times: "known at T" as sortable UTC text, and the SQL that picks the rows known
at a time (``knowledge``) or at exactly one of two (``known_at_one``).

Every read-model row is known from ``known_from`` until ``known_to`` (``OPEN_TIME`` while it
is still known now): "as of D, known at T" is a range query (docs/reports.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

OPEN_TIME = "99999999999999"
"""The ``known_to`` of a row still known now."""

EVERYTHING = "now"
"""The knowledge time that sees every row still open: 'known at' now."""


def knowledge(moment: str, table: str = "") -> tuple[str, tuple[str, ...]]:
    """The SQL condition "known at ``moment``" (on ``table``'s columns) and its parameters.

    Known now is an equality (the row is still open), which lets an index that starts with
    ``known_to`` go straight to the rows that count; an earlier time is a range.
    """
    prefix = f"{table}." if table else ""
    if moment == EVERYTHING:
        return f"{prefix}known_to = ?", (OPEN_TIME,)
    return f"{prefix}known_from <= ? AND {prefix}known_to > ?", (moment, moment)


def known_at_one(then: str, now: str) -> list[tuple[str, tuple[str, ...]]]:
    """The SQL conditions whose rows, together, are those known at exactly one of two
    knowledge times (``EVERYTHING`` is the latest): what changed between them.

    Each condition is a range of an index that starts with ``(known_to, known_from)``: the
    rows known at the earlier time that were closed by the later one, and the rows opened
    after the earlier time that are known at the later one (those still open first). When the
    earlier time is recent, these are few.
    """
    if then == now:
        return []
    early, late = (
        (now, then) if then == EVERYTHING or (now != EVERYTHING and now < then) else (then, now)
    )
    if late == EVERYTHING:
        return [
            ("known_to > ? AND known_to < ? AND known_from <= ?", (early, OPEN_TIME, early)),
            ("known_to = ? AND known_from > ?", (OPEN_TIME, early)),
        ]
    return [
        ("known_to > ? AND known_to <= ? AND known_from <= ?", (early, late, early)),
        ("known_to = ? AND known_from > ? AND known_from <= ?", (OPEN_TIME, early, late)),
        (
            "known_to > ? AND known_to < ? AND known_from > ? AND known_from <= ?",
            (late, OPEN_TIME, early, late),
        ),
    ]


EARLIEST_TIME = "00010101000000"
LATEST_TIME = "99991231235959999999"


@lru_cache(maxsize=4096)
def utc_text(moment: datetime) -> str:
    """A knowledge time as sortable UTC text: ``YYYYMMDDHHMMSS`` (always four-digit years),
    then ``ffffff`` when the microseconds are not zero.

    The fourteen digits have a fixed width, so a time without microseconds sorts before the
    same second with them, and text order is time order. (ISO text took 26 characters in
    every row and in several indexes: 14 here, for the usual whole-second recording times.)

    Total: a time that UTC cannot hold (year 1 ahead of UTC, year 9999 behind it) becomes the
    first or last instant, which keeps the order. Facts are refused that close to the edges;
    a query may still ask for "known at 9999-12-31".

    Kept for the last few thousand times (equal times give equal text, whatever their offset):
    a batch's facts share few recording times, and the projection asks for each several times.
    """
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return EARLIEST_TIME if moment.year == 1 else LATEST_TIME
    text = (
        f"{utc.year:04d}{utc.month:02d}{utc.day:02d}{utc.hour:02d}{utc.minute:02d}{utc.second:02d}"
    )
    micro = utc.microsecond
    return f"{text}{micro:06d}" if micro else text
