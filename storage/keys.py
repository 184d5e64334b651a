"""The rows the ledger writes beside its events, and what a look-up of a fact id returns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

FactRow = tuple[str, str, str, str]  # fact_id, subject, type, digest
LinkRow = tuple[str, str]  # org, subject


class KnownFact(NamedTuple):
    """What the key table says of a stored fact id."""

    fact_id: str
    subject: str
    type: str
    digest: str


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``items`` in slices of at most ``size`` (SQLite limits the parameters of a statement)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
