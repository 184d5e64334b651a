"""Process-level tuning for long batch work (imports, projection catch-ups)."""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@contextmanager
def fewer_collections() -> Iterator[None]:
    """No automatic cyclic garbage collection during batch work; call ``between_batches``.

    An import allocates millions of objects that live for one batch and form no cycles.
    Automatic collections run in the middle of batches, find nothing, and promote the batch's
    live objects only to examine them again: they took a third of an import's time.
    Reference counting frees everything as usual; code that keeps exceptions (and so frames
    in reference cycles) calls ``between_batches``.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def between_batches() -> None:
    """Collect the cycles of the batch just done (its other objects are gone: cheap)."""
    gc.collect(1)


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
