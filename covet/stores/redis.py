"""The Redis store: one connection pool, namespaced keys, atomic Lua scripts.

This module imports redis-py only when a :class:`RedisStore` is built, so importing
``covet.stores`` never needs it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qsl, urlsplit

from covet._optional import require
from covet.exceptions import ConfigurationError
from covet.stores._gcra import GCRA_SCRIPT, check_ttl, gcra_for, ttl_milliseconds
from covet.stores.base import RateLimitDecision, Store, StoreUnavailableError
from covet.stores.url import mask_password

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

T = TypeVar("T")

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_NAMESPACE = "covet:"
SCHEMES = ("redis", "rediss", "unix")

# The store's own options, in the URL's query or as keyword arguments, with their defaults.
DEFAULTS: dict[str, float] = {
    "socket_timeout": 1.0,
    "connect_timeout": 1.0,
    "pool_timeout": 1.0,
    "max_connections": 50,
}
QUERY_OPTIONS = ("namespace", "db", *DEFAULTS)

# Error replies meaning "Redis cannot serve this now" that redis-py has no class for.
OUTAGE_REPLIES = ("MISCONF", "BUSY", "NOREPLICAS", "UNBLOCKED", "MASTERDOWN", "LOADING")

# Adds ARGV[1] to KEYS[1]; a key this creates expires after ARGV[2] milliseconds.
INCR_SCRIPT = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""

# Adds ARGV[2..] to the set KEYS[1] and renews its expiry to ARGV[1] milliseconds.
SET_ADD_SCRIPT = """
for i = 2, #ARGV do
    redis.call('SADD', KEYS[1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
"""


class RedisStore(Store):
    """A store on a Redis server, shared by every process (and machine) that uses it.

    Each store has one connection pool, opened at the first command and on the event loop
    using it; :meth:`close` disconnects it and a later command opens a new one. Every key is
    ``namespace + key``. Changes that take more than one command (``incr`` with a TTL, a set
    add renewing its TTL, ``rate_limit``) are Lua scripts, sent by SHA with a fallback to
    the source when Redis has forgotten them (``SCRIPT FLUSH``, a restart). ``rate_limit``
    is one script call reading the server's ``TIME``, so every process shares one clock.

    Any failure to reach or use Redis (refused, timed out, loading, read-only replica, out
    of memory, wrong password...) raises :class:`~covet.stores.StoreUnavailableError` within
    the timeouts, and the store recovers by itself once Redis answers again. A command
    against the wrong kind of key raises ``TypeError``, as :class:`~covet.stores.MemoryStore`
    does.

    Options given as keyword arguments win over the URL's query
    (``redis://host:6379/0?namespace=app:&socket_timeout=0.5``).

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS, certificates
            verified) or ``unix://[[user]:password@]/path/to/socket[?db=N]``.
        namespace: The prefix of every key (default ``"covet:"``).
        socket_timeout: Seconds a command may wait for its reply (default 1.0).
        connect_timeout: Seconds a new connection may take (default 1.0).
        pool_timeout: Seconds a command may wait for a free connection (default 1.0).
        max_connections: The most connections the pool opens (default 50).

    Raises:
        MissingDependencyError: redis-py is not installed (``pip install 'covetpy[redis]'``).
        ConfigurationError: The URL or an option cannot work; the message masks the password.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        namespace: str | None = None,
        socket_timeout: float | None = None,
        connect_timeout: float | None = None,
        pool_timeout: float | None = None,
        max_connections: int | None = None,
    ) -> None:
        self._redis = require("redis.asyncio", extra="redis")
        from redis import exceptions

        bare, query = _split_url(url)
        self.url = url
        given = {
            "socket_timeout": socket_timeout,
            "connect_timeout": connect_timeout,
            "pool_timeout": pool_timeout,
            "max_connections": max_connections,
        }
        settings = {name: _setting(url, name, given[name], query.get(name)) for name in DEFAULTS}
        self.socket_timeout = settings["socket_timeout"]
        self.connect_timeout = settings["connect_timeout"]
        self.pool_timeout = settings["pool_timeout"]
        self.max_connections = int(settings["max_connections"])
        if namespace is None:
            namespace = query.get("namespace", DEFAULT_NAMESPACE)
        if not isinstance(namespace, str):
            raise ConfigurationError(f"namespace must be a string, not {namespace!r}")
        self.namespace = namespace
        self._connection = self._connection_kwargs(bare, query)
        self._error: type[Exception] = exceptions.RedisError
        self._reply_error: type[Exception] = exceptions.ResponseError
        self._outages: tuple[type[Exception], ...] = (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            exceptions.InvalidResponse,
            exceptions.ReadOnlyError,
            exceptions.OutOfMemoryError,
            exceptions.NoPermissionError,
            exceptions.ClusterDownError,
            exceptions.TryAgainError,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Redis | None = None
        self._gcra: AsyncScript | None = None
        self._incr: AsyncScript | None = None
        self._set_add: AsyncScript | None = None

    @classmethod
    def from_url(cls, url: str = DEFAULT_URL, **options: Any) -> RedisStore:
        """The store for ``url``; ``options`` are the constructor's keyword arguments."""
        return cls(url, **options)

    def __repr__(self) -> str:
        return f"RedisStore({mask_password(self.url)!r}, namespace={self.namespace!r})"

    async def get(self, key: str) -> bytes | None:
        """The value stored at ``key``, or ``None`` if absent or expired."""
        value = await self._run(key, self._connected().get(self.namespace + key))
        return cast("bytes | None", value)  # the pool never decodes responses

    async def get_many(self, *keys: str) -> list[bytes | None]:
        """The values at ``keys``, in order (``None`` for each absent key): one ``MGET``."""
        if not keys:
            return []
        full = [self.namespace + key for key in keys]
        values = await self._run(keys[0], self._connected().mget(full))
        return cast("list[bytes | None]", list(values))

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds (``None``: never)."""
        check_ttl(ttl)
        px = None if ttl is None else ttl_milliseconds(ttl)
        await self._run(key, self._connected().set(self.namespace + key, bytes(value), px=px))

    async def delete(self, *keys: str) -> int:
        """Remove ``keys``; the number that existed."""
        if not keys:
            return 0
        full = [self.namespace + key for key in keys]
        removed: int = await self._run(keys[0], self._connected().delete(*full))
        return removed

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Atomically add ``amount`` to the integer at ``key`` (0 if absent), returning it.

        ``ttl`` is set when the increment creates the key and left alone afterwards (one
        script, so no other client sees the key without its expiry).
        """
        check_ttl(ttl)
        client = self._connected()
        full = self.namespace + key
        if ttl is None:
            value: int = await self._run(key, client.incrby(full, amount))
            return value
        assert self._incr is not None  # set with the client
        args = (amount, ttl_milliseconds(ttl))
        value = await self._run(key, self._incr(keys=(full,), args=args, client=client))
        return int(value)

    async def rate_limit(
        self, key: str, *, limit: int, period: float, cost: int = 1
    ) -> RateLimitDecision:
        """Count one request (of weight ``cost``) against ``limit`` per ``period`` seconds.

        The GCRA decision of ``covet.stores._gcra`` in one script call (one round trip),
        on the Redis server's clock.
        """
        gcra = gcra_for(limit, period, cost)
        client = self._connected()
        assert self._gcra is not None  # set with the client
        # PERF: the request path of every rate limit; the error handling is inlined rather
        # than another coroutine per call.
        try:
            allowed, ahead, retry = await self._gcra(
                keys=(f"{self.namespace}{key}",),
                args=(gcra.limit, gcra.interval, gcra.increment),
                client=client,
            )
        except self._error as exc:
            raise self._failure(key, exc) from exc
        return gcra.decision(allowed == 1, ahead, retry)

    async def set_add(self, key: str, *members: str, ttl: float | None = None) -> None:
        """Add ``members`` to the set at ``key``; ``ttl`` (when given) renews its expiry."""
        check_ttl(ttl)
        if not members:
            return
        client = self._connected()
        full = self.namespace + key
        if ttl is None:
            await self._run(key, client.sadd(full, *members))
            return
        assert self._set_add is not None  # set with the client
        args: tuple[int | str, ...] = (ttl_milliseconds(ttl), *members)
        await self._run(key, self._set_add(keys=(full,), args=args, client=client))

    async def set_remove(self, key: str, *members: str) -> None:
        """Remove ``members`` from the set at ``key`` (Redis deletes an emptied set)."""
        if members:
            await self._run(key, self._connected().srem(self.namespace + key, *members))

    async def set_members(self, key: str) -> frozenset[str]:
        """The members of the set at ``key`` (empty if absent)."""
        held = await self._run(key, self._connected().smembers(self.namespace + key))
        return frozenset(cast("bytes", member).decode() for member in held)

    async def ping(self) -> None:
        """Return if Redis answers ``PING``, else raise :class:`StoreUnavailableError`."""
        await self._run("", self._connected().ping())

    async def close(self) -> None:
        """Disconnect the pool; the next command opens a new one."""
        client, loop = self._client, self._loop
        self._client = self._loop = None
        self._gcra = self._incr = self._set_add = None
        if client is not None and loop is asyncio.get_running_loop():
            await client.connection_pool.disconnect()

    def _connected(self) -> Redis:
        """The client of this event loop's pool, opening the pool on first use."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None:
            # A pool's connections and locks belong to the loop that opened them; a store
            # moved to another loop (closed or not) starts a pool of its own there.
            self._open(loop)
        assert self._client is not None
        return self._client

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        """Open a pool (no connection yet) and register the scripts with its client."""
        pool = self._redis.BlockingConnectionPool(
            max_connections=self.max_connections, timeout=self.pool_timeout, **self._connection
        )
        client = self._redis.Redis(connection_pool=pool)
        self._gcra = client.register_script(GCRA_SCRIPT)
        self._incr = client.register_script(INCR_SCRIPT)
        self._set_add = client.register_script(SET_ADD_SCRIPT)
        self._client, self._loop = client, loop

    async def _run(self, key: str, command: Awaitable[T]) -> T:
        """Await ``command``, turning Redis errors into the store's errors."""
        try:
            return await command
        except self._error as exc:
            raise self._failure(key, exc) from exc

    def _failure(self, key: str, exc: Exception) -> Exception:
        """The error to raise for ``exc``: unavailable, a wrong kind of key, or ``exc``."""
        message = str(exc)
        if isinstance(exc, self._reply_error) and not (
            isinstance(exc, self._outages) or message.startswith(OUTAGE_REPLIES)
        ):
            if message.startswith("WRONGTYPE"):
                return TypeError(f"key {key!r} holds another kind of value (a set or a value)")
            if message.startswith(("value is not an integer", "ERR value is not an integer")):
                return TypeError(f"key {key!r} does not hold an integer")
            return exc  # a command Redis refused: a bug to see, not an outage
        return StoreUnavailableError(f"{self!r} is unavailable: {message}")

    def _connection_kwargs(self, bare: str, query: dict[str, str]) -> dict[str, Any]:
        """redis-py's connection arguments for the URL without its query, and our timeouts."""
        from redis.asyncio.connection import parse_url
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        try:
            kwargs: dict[str, Any] = dict(parse_url(bare))
        except ValueError as exc:
            raise ConfigurationError(
                f"Redis URL {mask_password(self.url)!r} is malformed: {exc}"
            ) from exc
        if "db" in query:
            kwargs["db"] = _integer(self.url, "db", query["db"], minimum=0)
        if "path" not in kwargs:  # TCP (a Unix socket has no keepalive)
            kwargs["socket_keepalive"] = True
        kwargs.update(
            socket_timeout=self.socket_timeout,
            socket_connect_timeout=self.connect_timeout,
            # No retries: a command sent again after a lost reply could count twice; the
            # feature decides what an outage means instead.
            retry=Retry(NoBackoff(), 0),
            client_name="covet",
        )
        return kwargs


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its query (scheme lower-cased), and the store options of the query."""
    if not isinstance(url, str):
        raise ConfigurationError(f"a Redis URL must be a string, not {type(url).__name__}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port that is not a number raises here, not at connect
    except ValueError as exc:
        raise ConfigurationError(f"Redis URL {mask_password(url)!r} is malformed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        known = ", ".join(f"{name}://" for name in SCHEMES)
        raise ConfigurationError(f"Redis URL {mask_password(url)!r} must start with {known}")
    if scheme == "unix" and not parts.path.strip("/"):
        raise ConfigurationError(
            f"Redis URL {mask_password(url)!r} names no socket; write unix:///path/to/redis.sock"
        )
    if scheme != "unix" and parts.path.strip("/") and not parts.path.strip("/").isdigit():
        raise ConfigurationError(
            f"Redis URL {mask_password(url)!r}: the path is the database number, e.g. /0"
        )
    query: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in QUERY_OPTIONS:
            raise ConfigurationError(
                f"Redis URL {mask_password(url)!r}: unknown option {name!r}; a Redis store "
                f"takes {', '.join(QUERY_OPTIONS)}"
            )
        query[name] = value
    # Not urlunsplit: it writes "unix:/path" (no "//" for schemes it does not know), which
    # redis-py 8.2 and later refuse.
    return f"{scheme}://{parts.netloc}{parts.path}", query


def _setting(url: str, name: str, given: float | None, query: str | None) -> float:
    """One timeout or size: the keyword argument, else the URL's, else the default."""
    if given is None and query is None:
        return DEFAULTS[name]
    if name == "max_connections":
        if given is None:
            return _integer(url, name, query or "", minimum=1)
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise ConfigurationError(f"max_connections must be a positive integer, not {given!r}")
        return given
    if given is None:
        try:
            given = float(query or "")
        except ValueError:
            given = math.nan
    if isinstance(given, bool) or not isinstance(given, int | float) or not 0 < given < math.inf:
        raise ConfigurationError(
            f"{name} must be a positive, finite number of seconds, not {given!r}"
            + ("" if query is None else f" (in Redis URL {mask_password(url)!r})")
        )
    return float(given)


def _integer(url: str, name: str, value: str, *, minimum: int) -> int:
    """A whole-number option from the URL's query."""
    if not value.isdigit() or int(value) < minimum:
        raise ConfigurationError(
            f"Redis URL {mask_password(url)!r}: {name} must be an integer of at least {minimum}"
        )
    return int(value)
