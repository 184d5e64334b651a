"""Parsing the dates and times users type on the command line or in query strings."""

from __future__ import annotations

from datetime import date, datetime, time


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_known_at(text: str, local: datetime) -> datetime:
    """A knowledge time: an ISO date-time (offset optional, default local) or a whole date.

    A bare date means the end of that day in the local time zone: "known at 2022-01-15"
    includes everything recorded on the 15th.
    """
    tz = local.tzinfo
    try:
        if "T" not in text and " " not in text:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=tz)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def parse_since(text: str, local: datetime) -> datetime:
    """The start of a window of recording times: an ISO date-time (offset optional, default
    local) or a whole date, meaning its start (its end is ``parse_known_at``'s)."""
    if "T" not in text and " " not in text:
        return datetime.combine(parse_day(text), time.min, tzinfo=local.tzinfo)
    return parse_known_at(text, local)
