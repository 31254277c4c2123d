"""Large values a server keeps for its sessions, within a memory budget.

A shared server keeps every visitor's uploaded data while they use it (a
recording of 50,000 waveforms is 50 MB as float64). Counting entries does
not bound that memory; :class:`SharedStore` counts bytes. It keeps values
until ``max_bytes`` would be passed, then drops the least recently used; an
entry unused for ``ttl`` seconds is dropped too. A dropped value is simply
computed again by whoever needs it next (the page reads the upload again),
so the budget trades a second read for memory, never correctness. A value
larger than the whole budget is not kept at all.

>>> store = SharedStore(max_bytes=100, ttl=60)
>>> store.put("a", "first", 60); store.put("b", "second", 30)
>>> store.get("a")            # "a" is now the most recently used
'first'
>>> store.put("c", "third", 40)  # 130 bytes > 100: the least recently used, "b", goes
>>> store.get("b") is None, store.get("a"), store.held_bytes()
(True, 'first', 100)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class SharedStore:
    """A thread-safe least-recently-used store bounded by bytes and age.

    Parameters
    ----------
    max_bytes : int
        Bytes the kept values may hold together (as their ``size`` says).
    ttl : float
        Seconds an unused value is kept.
    clock : callable returning seconds, optional
        For tests; :func:`time.monotonic` by default.
    """

    def __init__(self, max_bytes: int, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.max_bytes, self.ttl, self._clock = int(max_bytes), float(ttl), clock
        self._entries: OrderedDict[str, tuple[Any, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            self._drop_expired()
            if key not in self._entries:
                return None
            value, size, _ = self._entries.pop(key)
            self._entries[key] = (value, size, self._clock())
            return value

    def put(self, key: str, value: Any, size: int) -> None:
        """Keep ``value`` (of about ``size`` bytes) under ``key``, dropping the
        least recently used values while the store would hold more than
        ``max_bytes``; a value larger than ``max_bytes`` is not kept."""
        with self._lock:
            self._entries.pop(key, None)
            self._drop_expired()
            if size > self.max_bytes:
                return
            self._entries[key] = (value, int(size), self._clock())
            while self._held() > self.max_bytes:
                self._entries.popitem(last=False)

    def held_bytes(self) -> int:
        """Bytes of the values kept now."""
        with self._lock:
            self._drop_expired()
            return self._held()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _held(self) -> int:
        return sum(size for _, size, _ in self._entries.values())

    def _drop_expired(self) -> None:
        now = self._clock()
        for key in [k for k, (_, _, used) in self._entries.items() if now - used > self.ttl]:
            del self._entries[key]
