"""The embedded store: a bounded, expiring dictionary in this process."""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from collections.abc import Callable

from covet.stores._gcra import check_ttl, gcra_for
from covet.stores.base import RateLimitDecision, Store

# How many expired entries a write removes on its way (the amortised sweep); a store that must
# make room sweeps every expired entry first.
SWEEP_BUDGET = 16

Value = bytes | int | set[str]


class _Entry:
    """A value, when it expires (monotonic seconds) and when the expiry heap will look at it."""

    __slots__ = ("expires_at", "scheduled", "value")

    def __init__(self, value: Value, expires_at: float | None) -> None:
        self.value = value
        self.expires_at = expires_at
        self.scheduled: float | None = None


class MemoryStore(Store):
    """A store in this process's memory: bounded, expiring, atomic on its event loop.

    Every operation runs without awaiting between its read and its write, so concurrent
    coroutines (and the tasks of one event loop) see each change whole: increments and rate
    limits are exact. The data is **per process**: with several workers or machines each has
    its own counts and sessions; use :class:`~covet.stores.RedisStore` to share them. Use one
    store from one event loop (it is not guarded for threads).

    Expired keys vanish on access, and every write removes a few more from an expiry heap, so
    they do not pile up. When ``max_entries`` is reached a new key first evicts what has
    expired, then the least recently used key.

    Args:
        max_entries: The most keys kept (counters, rate limits, sessions and sets alike).
        namespace: A prefix for every key (kept for symmetry with Redis; each memory store
            holds its own data anyway).
        clock: Monotonic seconds; tests may pass their own.
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        namespace: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be a positive integer, not {max_entries!r}")
        self.max_entries = max_entries
        self.namespace = namespace
        self._clock = clock
        self._data: OrderedDict[str, _Entry] = OrderedDict()
        self._expiries: list[tuple[float, str]] = []

    def __len__(self) -> int:
        """The number of keys held, counting expired ones not yet swept."""
        return len(self._data)

    def __repr__(self) -> str:
        return f"MemoryStore(max_entries={self.max_entries}, namespace={self.namespace!r})"

    async def get(self, key: str) -> bytes | None:
        """The value stored at ``key``, or ``None`` if absent or expired."""
        entry = self._live(self.namespace + key)
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, set):
            raise TypeError(f"key {key!r} holds a set, not a value")
        return value if isinstance(value, bytes) else b"%d" % value

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds (``None``: never)."""
        check_ttl(ttl)
        self._put(self.namespace + key, bytes(value), ttl)

    async def delete(self, *keys: str) -> int:
        """Remove ``keys``; the number that existed."""
        removed = 0
        for key in keys:
            if self._live(self.namespace + key) is not None:
                del self._data[self.namespace + key]
                removed += 1
        return removed

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Atomically add ``amount`` to the integer at ``key`` (0 if absent), returning it.

        ``ttl`` is set when the increment creates the key and left alone afterwards.
        """
        check_ttl(ttl)
        self._sweep(SWEEP_BUDGET)
        full = self.namespace + key
        entry = self._live(full)
        if entry is None:
            self._put(full, amount, ttl)
            return amount
        entry.value = _integer(key, entry.value) + amount
        return entry.value

    async def rate_limit(
        self, key: str, *, limit: int, period: float, cost: int = 1
    ) -> RateLimitDecision:
        """Count one request (of weight ``cost``) against ``limit`` per ``period`` seconds.

        The GCRA decision of ``covet.stores._gcra``, on this store's monotonic clock.
        """
        gcra = gcra_for(limit, period, cost)
        full = self.namespace + key
        now = round(self._clock() * 1_000_000)
        entry = self._live(full)
        stored = None if entry is None else _integer(key, entry.value)
        decision, tat = gcra.decide(stored, now)
        if tat is not None:
            ttl = (tat - now) / 1_000_000
            if entry is None:
                self._put(full, tat, ttl)
            else:
                # In place: the TAT only moves later, so the entry keeps its one heap item
                # (a fresh entry per call would push one per request).
                self._sweep(SWEEP_BUDGET)
                entry.value = tat
                self._expire(full, entry, ttl)
        return decision

    async def set_add(self, key: str, *members: str, ttl: float | None = None) -> None:
        """Add ``members`` to the set at ``key``; ``ttl`` (when given) renews its expiry."""
        check_ttl(ttl)
        if not members:
            return
        self._sweep(SWEEP_BUDGET)
        full = self.namespace + key
        entry = self._live(full)
        if entry is None:
            self._put(full, set(members), ttl)
            return
        _members(key, entry.value).update(members)
        if ttl is not None:
            self._expire(full, entry, ttl)

    async def set_remove(self, key: str, *members: str) -> None:
        """Remove ``members`` from the set at ``key`` (an emptied set is deleted, as in Redis)."""
        full = self.namespace + key
        entry = self._live(full)
        if entry is None:
            return
        held = _members(key, entry.value)
        held.difference_update(members)
        if not held:
            del self._data[full]

    async def set_members(self, key: str) -> frozenset[str]:
        """The members of the set at ``key`` (empty if absent)."""
        entry = self._live(self.namespace + key)
        return frozenset() if entry is None else frozenset(_members(key, entry.value))

    async def ping(self) -> None:
        """Return at once: memory is always reachable."""

    async def close(self) -> None:
        """Nothing to release; the keys stay, as they would in Redis (see :meth:`clear`)."""

    def clear(self) -> None:
        """Drop every key (between tests, say); the store stays usable."""
        self._data.clear()
        self._expiries.clear()

    def _live(self, full: str) -> _Entry | None:
        """The unexpired entry at ``full``, marked as just used; an expired one is removed."""
        entry = self._data.get(full)
        if entry is None:
            return None
        if entry.expires_at is not None and entry.expires_at <= self._clock():
            del self._data[full]
            return None
        self._data.move_to_end(full)
        return entry

    def _put(self, full: str, value: Value, ttl: float | None) -> None:
        """Write ``value`` at ``full`` as a fresh entry, making room first if needed."""
        self._sweep(SWEEP_BUDGET)
        if full not in self._data and len(self._data) >= self.max_entries:
            self._make_room()
        entry = _Entry(value, None)
        self._data[full] = entry
        self._data.move_to_end(full)
        if ttl is not None:
            self._expire(full, entry, ttl)

    def _expire(self, full: str, entry: _Entry, ttl: float) -> None:
        """Set ``entry`` to expire ``ttl`` seconds from now, on the heap if it is sooner."""
        entry.expires_at = self._clock() + ttl
        # A later expiry keeps the heap item it has: when that item comes up the entry is
        # pushed again for its real time, so each entry has about one item on the heap.
        if entry.scheduled is None or entry.expires_at < entry.scheduled:
            entry.scheduled = entry.expires_at
            heapq.heappush(self._expiries, (entry.expires_at, full))
            if len(self._expiries) > 2 * len(self._data) + 64:
                self._rebuild_heap()

    def _sweep(self, budget: int | None) -> None:
        """Remove up to ``budget`` expired entries (``None``: all of them) via the heap."""
        now = self._clock()
        heap = self._expiries
        while heap and heap[0][0] <= now and budget != 0:
            when, full = heapq.heappop(heap)
            entry = self._data.get(full)
            if entry is None or entry.scheduled != when:
                continue  # deleted, replaced, or pushed again for a sooner time
            entry.scheduled = None
            if entry.expires_at is None:
                continue
            if entry.expires_at <= now:
                del self._data[full]
                budget = None if budget is None else budget - 1
            else:
                entry.scheduled = entry.expires_at
                heapq.heappush(heap, (entry.expires_at, full))

    def _make_room(self) -> None:
        """Evict every expired entry, then least recently used ones, below ``max_entries``."""
        self._sweep(None)
        while len(self._data) >= self.max_entries:
            self._data.popitem(last=False)

    def _rebuild_heap(self) -> None:
        """Rebuild the heap from the entries, dropping items left by replaced entries."""
        self._expiries = []
        for full, entry in self._data.items():
            entry.scheduled = entry.expires_at
            if entry.expires_at is not None:
                self._expiries.append((entry.expires_at, full))
        heapq.heapify(self._expiries)


def _integer(key: str, value: Value) -> int:
    """``value`` as the integer a counter or a rate limit holds, as Redis reads it."""
    if isinstance(value, int):
        return value
    if isinstance(value, bytes) and value.removeprefix(b"-").isdigit():
        return int(value)
    raise TypeError(f"key {key!r} does not hold an integer")


def _members(key: str, value: Value) -> set[str]:
    """``value`` as a set, or the error Redis gives for another kind of value."""
    if not isinstance(value, set):
        raise TypeError(f"key {key!r} holds a value, not a set")
    return value
