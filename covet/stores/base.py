"""The store interface every backend implements, and what it answers."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

logger = logging.getLogger("covet.stores")


class StoreUnavailableError(Exception):
    """The store's backend cannot be reached (or timed out) just now.

    Each feature decides what an outage means for its requests (sessions answer 503, rate
    limiting fails open or closed); the store recovers by itself once the backend is back.
    """


class RateLimitDecision(NamedTuple):
    """One rate-limit decision, taken atomically by :meth:`Store.rate_limit` (immutable).

    A named tuple rather than a frozen dataclass: one is made per limited request, and a
    tuple is built in a third of the instructions.

    Attributes:
        allowed: Whether the request is within the limit (and was counted).
        limit: The number of requests the window allows.
        remaining: Requests still allowed right now, after this one.
        retry_after: Seconds until a refused request would be allowed (0.0 when allowed).
        reset_after: Seconds until the whole limit is available again.
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float


class Store(ABC):
    """A small async key-value store shared by sessions, rate limits, CSRF and caches.

    Keys are strings, namespaced by the store's ``namespace`` prefix; values are bytes.
    Every method that changes more than one thing is atomic in the backend, so the same
    answers hold with many processes on one Redis. Backend outages raise
    :class:`StoreUnavailableError`.
    """

    namespace: str

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The value stored at ``key``, or ``None`` if absent or expired."""

    async def get_many(self, *keys: str) -> list[bytes | None]:
        """The values at ``keys``, in order (``None`` for each absent key), in one round trip.

        Backends reached over the network override it with one command (Redis: ``MGET``).
        """
        return [await self.get(key) for key in keys]

    @abstractmethod
    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds (``None``: never)."""

    @abstractmethod
    async def delete(self, *keys: str) -> int:
        """Remove ``keys``; the number that existed."""

    @abstractmethod
    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Atomically add ``amount`` to the integer at ``key`` (0 if absent), returning it.

        ``ttl`` is set when the increment creates the key and left alone afterwards, so a
        counter expires ``ttl`` seconds after its first increment.
        """

    @abstractmethod
    async def rate_limit(
        self, key: str, *, limit: int, period: float, cost: int = 1
    ) -> RateLimitDecision:
        """Count one request (of weight ``cost``) against ``limit`` per ``period`` seconds.

        One atomic decision (GCRA) per call, so the limit holds exactly under concurrency
        and across processes sharing the backend.
        """

    @abstractmethod
    async def set_add(self, key: str, *members: str, ttl: float | None = None) -> None:
        """Add ``members`` to the set at ``key``; ``ttl`` (when given) renews its expiry."""

    @abstractmethod
    async def set_remove(self, key: str, *members: str) -> None:
        """Remove ``members`` from the set at ``key``."""

    @abstractmethod
    async def set_members(self, key: str) -> frozenset[str]:
        """The members of the set at ``key`` (empty if absent)."""

    @abstractmethod
    async def ping(self) -> None:
        """Return if the backend answers, else raise :class:`StoreUnavailableError`."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store reconnects if used again."""

    async def health(self) -> bool:
        """Whether the backend answers now (for readiness checks); never raises."""
        try:
            await self.ping()
        except StoreUnavailableError:
            return False
        return True

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Open with the app and close at shutdown (``CovetPy(lifespan=store.lifespan)``).

        The backend is pinged at start-up; when it does not answer, one warning is logged
        and the app starts anyway: each feature follows its outage policy until the backend
        answers again, which the store notices by itself.
        """
        if not await self.health():
            logger.warning(
                "%r does not answer at start-up; the features using it follow their outage "
                "policy until it does",
                self,
            )
        try:
            yield
        finally:
            await self.close()
