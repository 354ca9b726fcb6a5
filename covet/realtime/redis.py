"""Channels on Redis: pub/sub between processes, streams for history.

This module imports redis-py only when a :class:`RedisBackend` is built, so
``Channels("memory://")`` never needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from covet._optional import require
from covet.realtime._backend import Hub, ServerBackend, split_envelope, stop_task
from covet.realtime._options import positive, split_url
from covet.realtime.events import RECOVERED, ChannelsUnavailableError
from covet.realtime.presence import PresenceStore
from covet.stores.url import mask_password

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub
    from redis.commands.core import AsyncScript

logger = logging.getLogger("covet.realtime")

DEFAULT_NAMESPACE = "covet:channels:"
# The backend's own options, in the URL's query or as keyword arguments.
OPTIONS = ("namespace", "socket_timeout", "connect_timeout", "history_ttl")
STREAM_ID = re.compile(r"\A(\d{1,20})-(\d{1,20})\Z")
# Seconds without traffic on the pub/sub connection before it is pinged; twice that
# without an answer and it is taken for dead.
HEALTH_INTERVAL = 5.0

# Append to the bounded stream and publish with the stream's id, atomically, so that
# live messages arrive in stream order and a replay can be merged with them by id.
PUBLISH_SCRIPT = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[1], id .. ' ' .. ARGV[2])
return id
"""


PRESENCE_PUT_SCRIPT = """
local t = redis.call('TIME')
local expires = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
    redis.call('ZADD', KEYS[1], expires, ARGV[i])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1] * 2)
redis.call('PEXPIRE', KEYS[2], ARGV[1] * 2)
"""

# Drop the expired members (their info too), then list the others with their info.
PRESENCE_LIST_SCRIPT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    redis.call('HDEL', KEYS[2], unpack(gone))
end
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then
    return {}
end
local infos = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i = 1, #ids do
    out[#out + 1] = ids[i]
    out[#out + 1] = infos[i] or 'null'
end
return out
"""

PRESENCE_REMOVE_SCRIPT = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
"""


class RedisPresence(PresenceStore):
    """Presence in a sorted set (member -> expiry, on Redis's clock) and a hash of infos."""

    def __init__(self, backend: RedisBackend) -> None:
        self._backend = backend

    def _keys(self, room: str) -> list[str]:
        prefix = self._backend.namespace + "__presence__:"
        return [f"{prefix}{room}", f"{prefix}info:{room}"]

    async def put(self, room: str, members: dict[str, str], ttl: float) -> None:
        """Renew ``members`` in one script call."""
        args: list[Any] = [int(ttl * 1000)]
        for member, info in members.items():
            args += [member, info]
        await self._backend._eval(PRESENCE_PUT_SCRIPT, self._keys(room), args)

    async def remove(self, room: str, member: str) -> None:
        """Remove ``member`` now."""
        await self._backend._eval(PRESENCE_REMOVE_SCRIPT, self._keys(room), [member])

    async def members(self, room: str) -> dict[str, str]:
        """The unexpired members, expired ones removed on the way."""
        flat = await self._backend._eval(PRESENCE_LIST_SCRIPT, self._keys(room), [])
        pairs = list(flat or [])
        return {str(pairs[i]): str(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)}


class RedisBackend(ServerBackend):
    """Channels on a Redis server (``redis://``, ``rediss://``, ``unix://``).

    Every process that uses the same Redis and namespace shares the channels. One pub/sub
    connection per process carries every subscribed channel; publishing uses a pool. With
    ``history``, each channel is also a stream capped at ``history`` entries (``MAXLEN``)
    that expires ``history_ttl`` seconds after its last message, and ids are stream ids.

    When the connection is lost, subscribers receive an ``outage`` event, the backend
    reconnects with exponential backoff (0.1 s doubling to 5 s), subscribes again, replays
    from history what was published meanwhile and sends ``recovered``. Publishing and new
    subscriptions raise :class:`~covet.realtime.ChannelsUnavailableError` until then.

    Args:
        url: The Redis URL; the options below may be in its query.
        history: Messages kept per channel (0: none).
        namespace: Prefix of every channel and stream name (default ``covet:channels:``).
        socket_timeout: Seconds a command may wait for its reply (default 2.0).
        connect_timeout: Seconds a connection may take (default 2.0).
        history_ttl: Seconds a channel's history outlives its last message (default 86400).
    """

    server = "Redis"

    def __init__(
        self,
        url: str,
        *,
        history: int = 0,
        namespace: str | None = None,
        socket_timeout: float | None = None,
        connect_timeout: float | None = None,
        history_ttl: float | None = None,
    ) -> None:
        self._redis = require("redis.asyncio", extra="realtime")
        from redis import exceptions

        self.url = url
        self.history = history
        parts, query = split_url(url, OPTIONS, ("db",))
        bare = parts.geturl()
        self.namespace = (
            namespace if namespace is not None else query.get("namespace", DEFAULT_NAMESPACE)
        )
        self.socket_timeout = positive(url, "socket_timeout", socket_timeout, query, 2.0)
        self.connect_timeout = positive(url, "connect_timeout", connect_timeout, query, 2.0)
        self.history_ttl = positive(url, "history_ttl", history_ttl, query, 86400.0)
        self._bare = bare
        self._outages: tuple[type[BaseException], ...] = (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            exceptions.BusyLoadingError,
            exceptions.ReadOnlyError,
            OSError,
            TimeoutError,
        )
        self._subscribe_errors = (*self._outages, ChannelsUnavailableError)
        self._control = f"{self.namespace}__covet__:{uuid.uuid4().hex}"
        self._token = f"p{uuid.uuid4().hex[:12]}"
        self._ids = itertools.count(1)
        self._hub: Hub | None = None
        self._client: Redis | None = None
        self._script: AsyncScript | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._wanted: set[str] = set()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._connected = False
        self._served = False
        self._down = False

    # -- life cycle ------------------------------------------------------------------------

    async def start(self, hub: Hub) -> None:
        """Connect (waiting up to the timeouts); keep reconnecting in the background."""
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._hub = hub
        self._wanted = set()
        self._down = False
        self._client = self._redis.Redis.from_url(
            self._bare,
            decode_responses=True,
            socket_timeout=self.socket_timeout,
            socket_connect_timeout=self.connect_timeout,
            retry=Retry(NoBackoff(), 0),
            client_name="covet-channels",
        )
        self._script = self._client.register_script(PUBLISH_SCRIPT)
        self._scripts = {}
        self._ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="covet-channels-redis")
        try:
            async with asyncio.timeout(self.connect_timeout + self.socket_timeout):
                await self._ready.wait()
        except TimeoutError:
            logger.warning(
                "channels: Redis at %s is not reachable; retrying in the background",
                mask_password(self.url),
            )

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        task, self._task = self._task, None
        if task is not None:
            await stop_task(task)
        self._fail_waiters()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        self._hub = None

    # -- subscribing -----------------------------------------------------------------------

    async def subscribe(self, channel: str) -> str | None:
        """Subscribe and wait for Redis to confirm; return the newest history id."""
        name = self.namespace + channel
        pubsub = self._pubsub
        if not self._connected or pubsub is None:
            raise self._unavailable(f"cannot subscribe to {channel!r}")
        self._wanted.add(name)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(name, []).append(waiter)
        try:
            await pubsub.subscribe(name)
            async with asyncio.timeout(self.socket_timeout):
                await waiter
            return await self._newest(name) if self.history else None
        except self._subscribe_errors as exc:
            self._wanted.discard(name)
            raise self._unavailable(f"cannot subscribe to {channel!r}") from exc
        finally:
            waiting = self._waiting.get(name, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                self._waiting.pop(name, None)

    async def unsubscribe(self, channel: str) -> None:
        """Unsubscribe (nothing to do during an outage: the next session leaves it out)."""
        name = self.namespace + channel
        self._wanted.discard(name)
        pubsub = self._pubsub
        if self._connected and pubsub is not None:
            with contextlib.suppress(*self._outages):
                await pubsub.unsubscribe(name)

    # -- publishing and history ------------------------------------------------------------

    async def publish(self, channel: str, payload: str) -> str:
        """Publish (and with history, append to the channel's stream) in one step."""
        client, script = self._client, self._script
        if client is None or script is None:
            raise self._unavailable(f"cannot publish on {channel!r}")
        name = self.namespace + channel
        try:
            if self.history:
                ttl = int(self.history_ttl * 1000)
                event_id = await script(keys=[name], args=[self.history, payload, ttl])
                return str(event_id)
            event_id = f"{self._token}-{next(self._ids)}"
            await client.publish(name, f"{event_id} {payload}")
            return event_id
        except self._outages as exc:
            raise self._unavailable(f"cannot publish on {channel!r}") from exc

    async def replay(self, channel: str, after: str) -> list[tuple[str, str]]:
        """The stream entries of ``channel`` after ``after`` (at most ``history``)."""
        if self._client is None or STREAM_ID.match(after) is None:
            return []
        name = self.namespace + channel
        try:
            entries = await self._client.xrange(name, min=f"({after}", max="+", count=self.history)
        except self._outages as exc:
            raise self._unavailable(f"cannot replay {channel!r}") from exc
        return [
            (str(event_id), str((fields or {}).get("d", ""))) for event_id, fields in entries or []
        ]

    def presence_store(self) -> PresenceStore:
        """Presence on this Redis, in the backend's namespace."""
        return RedisPresence(self)

    async def _eval(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script (by SHA, loaded again when Redis forgot it)."""
        client = self._client
        if client is None:
            raise self._unavailable("presence")
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = client.register_script(source)
        try:
            return await script(keys=keys, args=args)
        except self._outages as exc:
            raise self._unavailable("presence") from exc

    def order(self, event_id: str) -> tuple[int, ...] | None:
        """A stream id ``<ms>-<seq>`` as a sort key."""
        match = STREAM_ID.match(event_id)
        return (int(match[1]), int(match[2])) if match else None

    async def _newest(self, name: str) -> str | None:
        assert self._client is not None
        entries = await self._client.xrevrange(name, max="+", min="-", count=1)
        return str(entries[0][0]) if entries else None

    # -- the listener ----------------------------------------------------------------------

    async def _session(self) -> None:
        """One connection: subscribe to everything wanted, catch up, then deliver."""
        assert self._client is not None
        assert self._hub is not None
        pubsub = self._client.pubsub()
        try:
            names = {self._control, *self._wanted}
            await pubsub.subscribe(*names)
            buffered = await self._confirm(pubsub, names)
            self._pubsub = pubsub
            recovering = self._down
            if recovering and self.history:
                await self._catch_up(names - {self._control})
            self._connected, self._down, self._served = True, False, True
            assert self._ready is not None
            self._ready.set()
            for message in buffered:
                self._handle(message)
            if recovering:
                logger.warning("channels: Redis at %s is back", mask_password(self.url))
                self._hub.signal(RECOVERED)
            await self._listen(pubsub)
        finally:
            self._connected = False
            self._pubsub = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _confirm(self, pubsub: PubSub, names: set[str]) -> list[dict[str, Any]]:
        """Read until Redis has confirmed every name; keep the messages seen meanwhile."""
        pending, buffered = set(names), []
        async with asyncio.timeout(self.connect_timeout + self.socket_timeout):
            while pending:
                message = await pubsub.get_message(timeout=self.socket_timeout)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    pending.discard(message["channel"])
                    self._resolve(message["channel"])
                elif message["type"] == "message":
                    buffered.append(message)
        return buffered

    async def _catch_up(self, names: set[str]) -> None:
        """Deliver what history kept of the outage (the hub drops what it already had)."""
        assert self._hub is not None
        for name in names:
            channel = name[len(self.namespace) :]
            after = self._hub.last_seen(channel)
            if after is not None:
                for event_id, payload in await self.replay(channel, after):
                    self._hub.deliver(channel, event_id, payload)

    async def _listen(self, pubsub: PubSub) -> None:
        quiet_since = time.monotonic()
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=HEALTH_INTERVAL)
            if message is not None:
                quiet_since, pinged = time.monotonic(), False
                self._handle(message)
            elif time.monotonic() - quiet_since >= 2 * HEALTH_INTERVAL and pinged:
                raise TimeoutError("Redis did not answer a PING on the pub/sub connection")
            elif not pinged:
                await pubsub.ping()
                pinged = True

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "message":
            name = message["channel"]
            if name != self._control and self._hub is not None:
                event_id, payload = split_envelope(message["data"])
                self._hub.deliver(name[len(self.namespace) :], event_id, payload)
        elif kind == "subscribe":
            self._resolve(message["channel"])

    def _resolve(self, name: str) -> None:
        for waiter in self._waiting.get(name, []):
            if not waiter.done():
                waiter.set_result(None)

    def _lost(self, exc: BaseException) -> None:
        self._connected = False
        self._fail_waiters()
        super()._lost(exc)

    def _fail_waiters(self) -> None:
        for waiters in self._waiting.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(self._unavailable("the subscription was not confirmed"))
