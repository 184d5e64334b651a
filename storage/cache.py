"""A bounded cache of what was read from the store, shared by the write and the read side."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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
