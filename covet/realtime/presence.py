"""Presence: who is in a room, across processes, expiring when a process stops heartbeating."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from covet import _json
from covet.realtime.events import ChannelsUnavailableError

logger = logging.getLogger("covet.realtime")

DEFAULT_TTL = 30.0


class PresenceStore(abc.ABC):
    """Where a backend keeps who is present: member ids with their info, each expiring."""

    @abc.abstractmethod
    async def put(self, room: str, members: dict[str, str], ttl: float) -> None:
        """Mark ``members`` (id -> info as JSON) present in ``room`` for ``ttl`` more seconds."""

    @abc.abstractmethod
    async def remove(self, room: str, member: str) -> None:
        """Mark ``member`` gone from ``room`` now."""

    @abc.abstractmethod
    async def members(self, room: str) -> dict[str, str]:
        """The members of ``room`` whose presence has not expired (id -> info as JSON)."""


class MemoryPresence(PresenceStore):
    """Presence inside one process."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, tuple[float, str]]] = {}

    async def put(self, room: str, members: dict[str, str], ttl: float) -> None:
        """Renew ``members`` in ``room``."""
        until = time.monotonic() + ttl
        present = self._rooms.setdefault(room, {})
        for member, info in members.items():
            present[member] = (until, info)

    async def remove(self, room: str, member: str) -> None:
        """Forget ``member``."""
        present = self._rooms.get(room, {})
        present.pop(member, None)
        if not present:
            self._rooms.pop(room, None)

    async def members(self, room: str) -> dict[str, str]:
        """The unexpired members of ``room``."""
        now = time.monotonic()
        present = self._rooms.get(room, {})
        for member in [m for m, (until, _) in present.items() if until <= now]:
            del present[member]
        return {member: info for member, (_, info) in present.items()}


class Presence:
    """The members this process has in rooms, kept alive by one heartbeat task.

    Every ``ttl / 3`` seconds the heartbeat renews all of this process's members in one
    round trip per room; a process that dies stops renewing, and its members disappear
    from every process's listing ``ttl`` seconds later.
    """

    def __init__(self, store: PresenceStore, ttl: float = DEFAULT_TTL) -> None:
        self.store = store
        self.ttl = ttl
        self._local: dict[str, dict[str, str]] = {}
        self._task: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def present(self, room: str, member: str, info: Any = None) -> AsyncIterator[None]:
        """Be listed in ``room`` as ``member`` (with ``info``) while the block runs.

        Raises:
            ChannelsUnavailableError: On entry, while the backend is down.
        """
        encoded = _json.dumps(info).decode("utf-8")
        await self.store.put(room, {member: encoded}, self.ttl)
        self._local.setdefault(room, {})[member] = encoded
        self._ensure_heartbeat()
        try:
            yield
        finally:
            local = self._local.get(room, {})
            local.pop(member, None)
            if not local:
                self._local.pop(room, None)
            with contextlib.suppress(ChannelsUnavailableError):
                await self.store.remove(room, member)  # else it expires by itself

    async def members(self, room: str) -> dict[str, Any]:
        """Who is in ``room`` now, in every process: member id -> info."""
        return {
            member: json.loads(info) for member, info in (await self.store.members(room)).items()
        }

    def _ensure_heartbeat(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._heartbeat(), name="covet-presence")

    async def _heartbeat(self) -> None:
        while self._local:
            await asyncio.sleep(self.ttl / 3)
            for room, members in list(self._local.items()):
                try:
                    await self.store.put(room, dict(members), self.ttl)
                except ChannelsUnavailableError as exc:
                    logger.warning("channels: presence heartbeat failed: %s", exc)

    async def stop(self) -> None:
        """Stop the heartbeat (the members expire unless the block exits first)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
