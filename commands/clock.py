"""The machine's clock, as the ledger reads it (its own module: the command line asks for the
time before it opens anything, and must not load the write side for that)."""

from __future__ import annotations

from datetime import datetime


def local_now() -> datetime:
    """Now, as an aware date-time in the machine's time zone."""
    return datetime.now().astimezone()
