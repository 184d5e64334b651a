"""A bounded pool of opened ledgers for the API's worker threads.

Routes are plain ``def`` functions that FastAPI runs in its thread pool; a ledger's read-model
connection must not be shared between threads, so each request borrows one ledger and gives it
back. The pool opens ledgers lazily, up to ``size``; a request that finds them all busy waits.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from api.bootstrap import Ledger
from ledger.errors import LedgerError
from storage.outage import unavailable


class LedgerPool:
    """At most ``size`` ledgers, opened by ``opener`` on first need and reused."""

    def __init__(self, opener: Callable[[], Ledger], size: int) -> None:
        if size < 1:
            raise ValueError("the pool needs at least one ledger")
        self._opener = opener
        self._idle: queue.LifoQueue[Ledger] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._opened: list[Ledger] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def borrow(self) -> Iterator[Ledger]:
        """A ledger for this thread alone until the block ends."""
        self._slots.acquire()
        try:
            try:
                ledger = self._idle.get_nowait()
            except queue.Empty:
                ledger = self._open()
            try:
                yield ledger
            except LedgerError:  # a refusal or an unknown id: the connection is fine
                self._idle.put(ledger)
                raise
            except BaseException as err:
                # A failed request may leave a broken connection behind: do not reuse it. When
                # the database went away, the idle ledgers' connections are dead too: drop them
                # now rather than fail one request for each of them once it is back.
                self._discard(ledger)
                if unavailable(err):
                    self._drain()
                raise
            self._idle.put(ledger)
        finally:
            self._slots.release()

    def _open(self) -> Ledger:
        with self._lock:
            if self._closed:
                raise RuntimeError("the ledger pool is closed")
        ledger = self._opener()
        with self._lock:
            self._opened.append(ledger)
        return ledger

    def _discard(self, ledger: Ledger) -> None:
        with self._lock:
            if ledger in self._opened:
                self._opened.remove(ledger)
        ledger.close()

    def _drain(self) -> None:
        while True:
            try:
                idle = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(idle)

    def close(self) -> None:
        """Close every ledger the pool opened."""
        with self._lock:
            self._closed = True
            opened, self._opened = self._opened, []
        for ledger in opened:
            ledger.close()
