"""Channels on PostgreSQL LISTEN/NOTIFY, for apps that run PostgreSQL and nothing else.

This module imports asyncpg only when a :class:`PostgresBackend` is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from typing import Any

from covet._optional import require
from covet.realtime._backend import Hub, ServerBackend, split_envelope, stop_task
from covet.realtime._options import positive, split_url
from covet.realtime.events import (
    RECOVERED,
    MessageTooLargeError,
)
from covet.stores.url import mask_password

logger = logging.getLogger("covet.realtime")

# NOTIFY's payload must be shorter than 8000 bytes; a channel is an identifier (63 bytes).
MAX_PAYLOAD = 7999
MAX_CHANNEL = 63
OPTIONS = ("connect_timeout", "command_timeout", "max_connections")
HEALTH_INTERVAL = 5.0


class PostgresBackend(ServerBackend):
    """Channels on a PostgreSQL database (``postgresql://``, ``postgres://``).

    Every process connected to the same database shares the channels; a channel is a
    LISTEN/NOTIFY channel of the same name (at most 63 bytes). One connection per process
    listens; publishing (``pg_notify``) uses a small pool. A message and its id must
    encode to less than 8000 bytes (:class:`~covet.realtime.MessageTooLargeError`
    otherwise). There is no history.

    When the listening connection is lost, subscribers receive an ``outage`` event, the
    backend reconnects with exponential backoff (0.1 s doubling to 5 s), listens again and
    sends ``recovered``; messages notified meanwhile are lost. Publishing and new
    subscriptions raise :class:`~covet.realtime.ChannelsUnavailableError` until then.

    Args:
        url: The database URL (``postgresql+asyncpg://`` is accepted too); the options
            below may be in its query, other query fields go to asyncpg.
        connect_timeout: Seconds a connection may take (default 2.0).
        command_timeout: Seconds a command may take (default 2.0).
        max_connections: The most connections the publishing pool opens (default 10).
    """

    server = "PostgreSQL"

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float | None = None,
        command_timeout: float | None = None,
        max_connections: int | None = None,
    ) -> None:
        self._asyncpg = require("asyncpg", extra="realtime")
        exceptions = self._asyncpg.exceptions
        self.url = url
        self.history = 0
        parts, query = split_url(url, OPTIONS, None)
        scheme = parts.scheme.lower().removesuffix("+asyncpg")
        self._dsn = parts._replace(scheme=scheme).geturl()
        self.connect_timeout = positive(url, "connect_timeout", connect_timeout, query, 2.0)
        self.command_timeout = positive(url, "command_timeout", command_timeout, query, 2.0)
        self.max_connections = int(positive(url, "max_connections", max_connections, query, 10.0))
        self._outages: tuple[type[BaseException], ...] = (
            OSError,
            TimeoutError,
            exceptions.PostgresConnectionError,
            exceptions.InterfaceError,
            exceptions.OperatorInterventionError,
            exceptions.InsufficientResourcesError,
        )
        self._token = f"p{uuid.uuid4().hex[:12]}"
        self._ids = itertools.count(1)
        self._hub: Hub | None = None
        self._pool: Any = None
        self._listener: Any = None
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._wanted: set[str] = set()
        self._down = False
        self._served = False

    # -- life cycle ------------------------------------------------------------------------

    async def start(self, hub: Hub) -> None:
        """Connect (waiting up to the timeout); keep reconnecting in the background."""
        self._hub = hub
        self._wanted = set()
        self._down = False
        self._lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._pool = self._asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=self.max_connections,
            timeout=self.connect_timeout,
            command_timeout=self.command_timeout,
        )
        await self._pool
        self._task = asyncio.create_task(self._run(), name="covet-channels-postgres")
        try:
            async with asyncio.timeout(self.connect_timeout + self.command_timeout):
                await self._ready.wait()
        except TimeoutError:
            logger.warning(
                "channels: PostgreSQL at %s is not reachable; retrying in the background",
                mask_password(self.url),
            )

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        task, self._task = self._task, None
        if task is not None:
            await stop_task(task)
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(*self._outages):
                await asyncio.wait_for(pool.close(), self.command_timeout)
        self._hub = None

    # -- subscribing -----------------------------------------------------------------------

    async def subscribe(self, channel: str) -> str | None:
        """LISTEN on ``channel`` (it returns once PostgreSQL has run the LISTEN)."""
        _check_channel(channel)
        listener = self._listener
        if listener is None or self._lock is None:
            raise self._unavailable(f"cannot subscribe to {channel!r}")
        self._wanted.add(channel)
        try:
            async with self._lock, asyncio.timeout(self.command_timeout):
                await listener.add_listener(channel, self._notified)
        except self._outages as exc:
            self._wanted.discard(channel)
            raise self._unavailable(f"cannot subscribe to {channel!r}") from exc
        return None

    async def unsubscribe(self, channel: str) -> None:
        """UNLISTEN (nothing to do during an outage: the next connection leaves it out)."""
        self._wanted.discard(channel)
        listener = self._listener
        if listener is not None and self._lock is not None:
            with contextlib.suppress(*self._outages):
                async with self._lock, asyncio.timeout(self.command_timeout):
                    await listener.remove_listener(channel, self._notified)

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, channel: str, payload: str) -> str:
        """``pg_notify(channel, '<id> <payload>')`` on a pooled connection."""
        _check_channel(channel)
        event_id = f"{self._token}-{next(self._ids)}"
        envelope = f"{event_id} {payload}"
        size = len(envelope.encode("utf-8"))
        if size > MAX_PAYLOAD:
            raise MessageTooLargeError(
                f"a message on channel {channel!r} encodes to {size} bytes; PostgreSQL NOTIFY "
                f"carries at most {MAX_PAYLOAD}. Send a smaller message (an id to load the "
                "rest by), or use redis:// channels"
            )
        pool = self._pool
        if pool is None:
            raise self._unavailable(f"cannot publish on {channel!r}")
        try:
            await pool.execute("SELECT pg_notify($1, $2)", channel, envelope)
        except self._outages as exc:
            raise self._unavailable(f"cannot publish on {channel!r}") from exc
        return event_id

    # -- the listener ----------------------------------------------------------------------

    async def _session(self) -> None:
        """One listening connection: LISTEN on everything wanted, then watch its health."""
        assert self._lock is not None
        assert self._ready is not None
        assert self._hub is not None
        connection = await self._asyncpg.connect(self._dsn, timeout=self.connect_timeout)
        closed = asyncio.Event()
        connection.add_termination_listener(lambda _connection: closed.set())
        try:
            async with self._lock:
                for channel in sorted(self._wanted):
                    await connection.add_listener(channel, self._notified)
            self._listener = connection
            recovering = self._down
            self._down, self._served = False, True
            self._ready.set()
            if recovering:
                logger.warning("channels: PostgreSQL at %s is back", mask_password(self.url))
                self._hub.signal(RECOVERED)
            while not closed.is_set():
                try:
                    await asyncio.wait_for(closed.wait(), HEALTH_INTERVAL)
                except TimeoutError:
                    async with self._lock:
                        await connection.fetchval("SELECT 1", timeout=self.command_timeout)
            raise ConnectionError("the LISTEN connection was closed")
        finally:
            self._listener = None
            connection.terminate()

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        if self._hub is not None:
            event_id, data = split_envelope(payload)
            self._hub.deliver(channel, event_id, data)


def _check_channel(channel: str) -> None:
    if len(channel.encode("utf-8")) > MAX_CHANNEL:
        raise ValueError(
            f"channel name {channel[:20]!r}... is longer than PostgreSQL's {MAX_CHANNEL} bytes"
        )
