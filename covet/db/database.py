"""``Database``: one engine with production pool defaults, its lifespan, sessions and health."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import warnings
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from covet._optional import require
from covet.db.errors import http_error, is_outage
from covet.db.model import Model
from covet.db.replicas import ReplicaSet, make_read_only, reader
from covet.di import teardown_before_response
from covet.exceptions import ConfigurationError
from covet.settings import Secret

logger = logging.getLogger("covet.db")

# The async driver of each dialect, and the extra that installs it.
_DRIVERS: Mapping[str, tuple[str, str]] = {
    "aiosqlite": ("aiosqlite", "db"),
    "asyncpg": ("asyncpg", "postgres"),
    "asyncmy": ("asyncmy", "mysql"),
    "aiomysql": ("aiomysql", "mysql"),
    "psycopg": ("psycopg", "postgres"),
}


class Database:
    """An async SQLAlchemy engine for one database, ready for an application.

    The engine is made here (a missing driver fails now, naming the extra to install) and
    connects lazily; ``lifespan`` checks the database at start-up and disposes the pool at
    shutdown. ``Depends(db.session)`` gives each request an :class:`AsyncSession` that is
    committed before the response is sent, rolled back on error and always closed.

    Args:
        url: The SQLAlchemy URL (``postgresql+asyncpg://...``, ``mysql+asyncmy://...``,
            ``sqlite+aiosqlite:///app.db``); a ``Secret`` from settings works too.
        pool_size: Connections kept open.
        max_overflow: Extra connections opened under load, closed when returned.
        pool_timeout: Seconds a request waits for a free connection before its 503.
        pool_recycle: Seconds after which a connection is replaced (before server timeouts).
        pool_pre_ping: Test each connection when it is checked out, so a restarted database
            costs no failed request.
        connect_timeout: Seconds to wait for a new connection to a server.
        sqlite_busy_timeout: Seconds SQLite waits for another writer's lock.
        retry_after: The ``Retry-After`` seconds of 503 answers.
        check_on_startup: Whether ``lifespan`` refuses to start while the database is down.
        echo: Log every statement.
        connect_args: Driver connection keywords (merged over the connect timeout).
        engine_options: Further ``create_async_engine`` keywords.
        replicas: URLs of read replicas, each with a pool of the same settings; read
            sessions take them in turn, and their connections are read-only in the database.
        replica_fallback: Whether read sessions use the primary while no replica answers
            (otherwise they are 503s).
        replica_retry_interval: Seconds a replica that failed is skipped before it is tried
            again.
    """

    def __init__(
        self,
        url: str | URL | Secret[str],
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float = 10.0,
        pool_recycle: int = 1800,
        pool_pre_ping: bool = True,
        connect_timeout: float = 5.0,
        sqlite_busy_timeout: float = 5.0,
        retry_after: int = 1,
        check_on_startup: bool = True,
        echo: bool = False,
        connect_args: Mapping[str, Any] | None = None,
        engine_options: Mapping[str, Any] | None = None,
        replicas: Sequence[str | URL | Secret[str]] = (),
        replica_fallback: bool = True,
        replica_retry_interval: float = 5.0,
    ) -> None:
        self.url = _parse(url)
        self.retry_after = retry_after
        self.check_on_startup = check_on_startup
        self.connect_timeout = connect_timeout
        options: dict[str, Any] = {
            "echo": echo,
            "pool_pre_ping": pool_pre_ping,
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": pool_timeout,
            "pool_recycle": pool_recycle,
            "connect_args": connect_args or {},
            "engine_options": engine_options or {},
        }
        self.engine: AsyncEngine = self._make_engine(self.url, options, sqlite_busy_timeout)
        replica_urls = [_parse(each) for each in replicas]
        self.replica_engines: list[AsyncEngine] = [
            self._make_engine(each, options, sqlite_busy_timeout) for each in replica_urls
        ]
        for engine in self.replica_engines:
            make_read_only(engine)
        # The event loops that opened pooled connections (an async driver's belong to one).
        self._loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        for engine in self.engines:
            event.listen(engine.sync_engine, "connect", self._note_loop)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.replicas = ReplicaSet(
            [
                reader(each.render_as_string(hide_password=True), engine)
                for each, engine in zip(replica_urls, self.replica_engines, strict=True)
            ],
            reader(str(self), self.engine, is_primary=True),
            fallback=replica_fallback,
            retry_interval=replica_retry_interval,
            retry_after=retry_after,
        )
        self.session = teardown_before_response(self._request_session)
        """The per-request session dependency: ``Annotated[AsyncSession, Depends(db.session)]``."""
        self.read_session = teardown_before_response(self._request_read_session)
        """The per-request read session: ``Annotated[AsyncSession, Depends(db.read_session)]``.

        On a replica when there are any (taken in turn), else on the primary; it refuses to
        flush changes, and a replica's connections are read-only in the database.
        """

    def __repr__(self) -> str:
        return f"Database({str(self)!r})"

    def __str__(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def engines(self) -> list[AsyncEngine]:
        """The primary's engine, then the replicas'."""
        return [self.engine, *self.replica_engines]

    def _make_engine(
        self, url: URL, options: Mapping[str, Any], busy_timeout: float
    ) -> AsyncEngine:
        driver = url.get_driver_name()
        if driver in _DRIVERS:
            module, extra = _DRIVERS[driver]
            require(module, extra=extra)
        settings: dict[str, Any] = {
            "echo": options["echo"],
            "pool_pre_ping": options["pool_pre_ping"],
        }
        in_memory = url.get_backend_name() == "sqlite" and _in_memory(url)
        if not in_memory:
            for name in ("pool_size", "max_overflow", "pool_timeout", "pool_recycle"):
                settings[name] = options[name]
        settings["connect_args"] = {
            **_connect_args(driver, self.connect_timeout),
            **options["connect_args"],
        }
        settings.update(options["engine_options"])
        try:
            engine = create_async_engine(url, **settings)
        except (ArgumentError, TypeError) as exc:
            shown = url.render_as_string(hide_password=True)
            raise ConfigurationError(f"Database({shown!r}): {exc}") from None
        if url.get_backend_name() == "sqlite":
            _configure_sqlite(engine, busy_timeout, in_memory)
        return engine

    @property
    def dialect(self) -> str:
        """The backend's name: ``"sqlite"``, ``"postgresql"``, ``"mysql"``..."""
        return self.url.get_backend_name()

    def lifespan(self, app: Any = None) -> AbstractAsyncContextManager[None]:
        """The app lifespan: check the database at start-up, dispose the pool at shutdown.

        Pass it as ``CovetPy(lifespan=db.lifespan)``, or enter it inside your own lifespan
        (``async with db.lifespan(app): yield ...``).
        """
        return self._lifespan()

    def _note_loop(self, _dbapi_connection: Any, _record: Any) -> None:
        with contextlib.suppress(RuntimeError):
            self._loops.add(asyncio.get_running_loop())

    async def _drop_other_loops_connections(self) -> None:
        """Forget pooled connections another event loop opened (a set-up ``asyncio.run``).

        They cannot be used or closed from this loop; handing one to a request would fail.
        """
        if set(self._loops) - {asyncio.get_running_loop()}:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                for engine in self.engines:
                    await engine.dispose(close=False)
                gc.collect()  # their unclosed-connection warnings come now, and are ignored
        self._loops = weakref.WeakSet()

    @asynccontextmanager
    async def _lifespan(self) -> AsyncIterator[None]:
        await self._drop_other_loops_connections()
        try:
            if self.check_on_startup:
                await self._check()
            yield
        finally:
            for engine in self.engines:
                await engine.dispose()

    async def _check(self) -> None:
        """Refuse to start without the primary; a replica that is down is only skipped."""
        failure = await _failure(self.engine, self.connect_timeout * 2)
        if failure is not None:
            raise ConfigurationError(
                f"Database {self} is not reachable at start-up ({failure}); start the "
                "database or pass check_on_startup=False to start without it."
            )
        await self._check_replicas()
        if self.replicas.replicas and not self.replicas.fallback:
            self.replicas.choose()  # no replica and no fallback: refuse now, not per request

    async def _check_replicas(self) -> bool:
        """Mark each replica up or down by whether it answers; whether reads can be served."""
        serving = self.replicas.fallback or not self.replicas.replicas
        for replica in self.replicas.replicas:
            failure = await _failure(replica.engine, self.connect_timeout)
            if failure is None:
                self.replicas.mark_up(replica)
                serving = True
            else:
                logger.warning("Read replica %s is unhealthy: %s", replica.name, failure)
                self.replicas.mark_down(replica)
        return serving

    async def health(self) -> bool:
        """Whether the primary answers ``SELECT 1`` within ``connect_timeout`` (readiness).

        Replicas are checked too: one that answers is taken back at once, one that does not
        is skipped; without ``replica_fallback``, no answering replica is unhealthy.
        """
        failure = await _failure(self.engine, self.connect_timeout)
        if failure is not None:
            logger.warning("Database %s is unhealthy: %s", self, failure)
        return await self._check_replicas() and failure is None

    async def _request_session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()  # before the response: a failed commit is the answer
            except BaseException as exc:
                await _rollback(session)
                mapped = http_error(exc, self.retry_after, (Model.metadata,))
                if mapped is None:
                    raise
                raise mapped from exc

    async def _request_read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._read_scope() as session:
            yield session

    @asynccontextmanager
    async def _read_scope(self) -> AsyncIterator[AsyncSession]:
        chosen = self.replicas.choose()
        async with chosen.sessionmaker() as session:
            try:
                yield session
            except BaseException as exc:
                await _rollback(session)
                if is_outage(exc):
                    self.replicas.mark_down(chosen)
                mapped = http_error(exc, self.retry_after, (Model.metadata,))
                if mapped is None:
                    raise
                raise mapped from exc
            await _rollback(session)  # nothing to keep: end the read transaction now

    def read_session_scope(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A read session outside requests (scripts, jobs), on a replica when there are any.

        Example:
            ``async with db.read_session_scope() as session: await User.count(session)``
        """
        return self._read_scope()

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """A unit of work outside requests: committed when the block ends, rolled back on error.

        Example:
            ``async with db.session_scope() as session: session.add(user)``
        """
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await _rollback(session)
                raise
            await session.commit()

    @asynccontextmanager
    async def transaction(self, session: AsyncSession) -> AsyncIterator[AsyncSession]:
        """A transaction on ``session``; nested inside another, a savepoint.

        The outermost block commits when it ends and rolls back if it raises; an inner block
        rolls back only its own changes when it raises (the exception still propagates).
        """
        if session.in_transaction():
            async with session.begin_nested():
                yield session
        else:
            async with session.begin():
                yield session


async def _failure(engine: AsyncEngine, seconds: float) -> str | None:
    """Why ``engine``'s database does not answer ``SELECT 1`` in time; ``None`` if it does."""
    try:
        async with asyncio.timeout(seconds):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else "no details"
        return f"{type(exc).__name__}: {first}"
    return None


async def _rollback(session: AsyncSession) -> None:
    """Roll back, without hiding the original error if the connection is already gone."""
    try:
        await session.rollback()
    except Exception as exc:
        logger.debug("Rollback failed (the connection is gone): %s", type(exc).__name__)


def _parse(url: str | URL | Secret[str]) -> URL:
    raw = url.get_secret_value() if isinstance(url, Secret) else url
    try:
        return make_url(raw)
    except ArgumentError:
        raise ConfigurationError(
            "Database URL is not a valid SQLAlchemy URL (dialect+driver://user:password@host/db)."
        ) from None


def _in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url.query)


def _connect_args(driver: str, timeout: float) -> dict[str, Any]:
    if driver == "asyncpg":
        return {"timeout": timeout}
    if driver in ("asyncmy", "aiomysql"):
        return {"connect_timeout": timeout}
    return {}


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float, in_memory: bool) -> None:
    """WAL (readers never wait for the writer), foreign keys on, and a busy timeout."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        finally:
            cursor.close()


__all__ = ["Database"]
