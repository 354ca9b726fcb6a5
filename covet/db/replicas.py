"""Read replicas: read-only engines taken in turn, skipped for a while after an outage."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from covet.db.errors import DatabaseUnavailableError

logger = logging.getLogger("covet.db")

# What makes every transaction of a connection read-only, by backend: a write through a read
# session fails in the database itself, whatever SQL the application sends.
_READ_ONLY_STATEMENT = {
    "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "mysql": "SET SESSION TRANSACTION READ ONLY",
    "mariadb": "SET SESSION TRANSACTION READ ONLY",
    "sqlite": "PRAGMA query_only=ON",
}


class ReadOnlySessionError(RuntimeError):
    """An object was added, changed or deleted in a read session (a bug: a 500)."""


class ReadOnlySession(Session):
    """A session that refuses to flush changes: reads only."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    raise ReadOnlySessionError(
        "A read session (db.read_session) cannot write; take Depends(db.session) for writes."
    )


def make_read_only(engine: AsyncEngine) -> None:
    """Make every connection ``engine`` opens read-only, in the database."""
    statement = _READ_ONLY_STATEMENT.get(engine.dialect.name)
    if statement is None:  # pragma: no cover - the dialects CovetPy supports are listed
        return

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        # asyncpg's adapter runs it in a transaction; a rollback would undo the SET.
        dbapi_connection.commit()


@dataclass
class Reader:
    """One engine read sessions are made on; ``down_until`` while it is skipped."""

    name: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    is_primary: bool = False
    down_until: float = 0.0

    def usable(self, now: float) -> bool:
        return self.down_until <= now


def reader(name: str, engine: AsyncEngine, *, is_primary: bool = False) -> Reader:
    """A :class:`Reader` whose sessions refuse to write and keep objects after commit."""
    maker = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ReadOnlySession)
    return Reader(name, engine, maker, is_primary)


class ReplicaSet:
    """The replicas taken in turn; the primary when none is up and ``fallback`` allows.

    A replica that failed (unreachable, connection lost) is skipped for ``retry_interval``
    seconds, then tried again: it recovers by itself when it comes back.
    """

    def __init__(
        self,
        replicas: Sequence[Reader],
        primary: Reader,
        *,
        fallback: bool,
        retry_interval: float,
        retry_after: int,
    ) -> None:
        self.replicas = list(replicas)
        self.primary = primary
        self.fallback = fallback
        self.retry_interval = retry_interval
        self.retry_after = retry_after
        self._turn = itertools.count()

    def choose(self) -> Reader:
        """The reader of the next read session."""
        if not self.replicas:
            return self.primary
        now = time.monotonic()
        start = next(self._turn)
        for offset in range(len(self.replicas)):
            candidate = self.replicas[(start + offset) % len(self.replicas)]
            if candidate.usable(now):
                return candidate
        if self.fallback:
            return self.primary
        raise DatabaseUnavailableError(
            "No read replica is available; retry shortly.", self.retry_after
        )

    def mark_down(self, failed: Reader) -> None:
        """Skip ``failed`` for ``retry_interval`` seconds (the primary is never skipped)."""
        if failed.is_primary:
            return
        if failed.usable(time.monotonic()):
            logger.warning(
                "Read replica %s is unavailable; it is skipped for %g s",
                failed.name,
                self.retry_interval,
            )
        failed.down_until = time.monotonic() + self.retry_interval

    def mark_up(self, recovered: Reader) -> None:
        """Take ``recovered`` back at once (a health check found it answering)."""
        if not recovered.usable(time.monotonic()):
            logger.info("Read replica %s answers again", recovered.name)
        recovered.down_until = 0.0


__all__ = ["ReadOnlySession", "ReadOnlySessionError", "Reader", "ReplicaSet", "make_read_only"]
