"""Process-level tuning for long batch work (imports, projection catch-ups)."""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BULK_GC_THRESHOLD = 100_000
"""Allocations between two young-generation collections during batch work (Python's is 700)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while a batch job allocates millions of
    short-lived, acyclic objects; a third of an import's time went into collections that
    found nothing. Reference counting still frees everything as usual."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], BULK_GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class LRUCache(OrderedDict[K, V], Generic[K, V]):
    """A dict that forgets its least recently remembered entries beyond ``maxsize``."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def remember(self, key: K, value: V) -> None:
        """Store ``value`` as the most recent entry."""
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.maxsize:
            self.popitem(last=False)
