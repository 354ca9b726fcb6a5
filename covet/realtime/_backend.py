"""What a channels backend does, and what it calls back on the channels that own it."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import random
from typing import Any, Protocol

from covet.realtime.events import OUTAGE, ChannelsUnavailableError, EventKind
from covet.realtime.presence import PresenceStore
from covet.stores.url import mask_password

logger = logging.getLogger("covet.realtime")

# Seconds between reconnection attempts: doubled after each failure (with jitter), reset
# once a connection served.
BACKOFF_MIN, BACKOFF_MAX = 0.1, 5.0


class Hub(Protocol):
    """The side of :class:`~covet.realtime.Channels` a backend delivers to."""

    def deliver(self, channel: str, event_id: str, payload: str) -> None:
        """Hand a message that arrived on ``channel`` to its local subscribers."""

    def signal(self, kind: EventKind) -> None:
        """Tell every local subscriber that the backend is down (or back)."""

    def last_seen(self, channel: str) -> str | None:
        """The id of the newest message delivered on ``channel`` (for replay on recovery)."""


class Backend(abc.ABC):
    """Carries messages between the processes that share a channels URL.

    A backend delivers every message published on a channel it is subscribed to, its own
    process's included, through :meth:`Hub.deliver`; messages of one publisher arrive in
    the order they were published.
    """

    #: How many messages per channel are kept for replay (0: none).
    history: int = 0

    @abc.abstractmethod
    async def start(self, hub: Hub) -> None:
        """Connect (or begin reconnecting in the background) and deliver to ``hub``."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Disconnect and stop delivering."""

    @abc.abstractmethod
    async def subscribe(self, channel: str) -> str | None:
        """Start delivering ``channel``; return its newest history id (``None``: no history).

        Returns once messages published from now on will be delivered. Raises
        :class:`~covet.realtime.ChannelsUnavailableError` during an outage.
        """

    @abc.abstractmethod
    async def unsubscribe(self, channel: str) -> None:
        """Stop delivering ``channel``."""

    @abc.abstractmethod
    async def publish(self, channel: str, payload: str) -> str:
        """Send ``payload`` (JSON text) to every subscriber of ``channel``; return its id."""

    async def replay(self, channel: str, after: str) -> list[tuple[str, str]]:
        """The ``(id, payload)`` messages of ``channel``'s history after id ``after``.

        An id the backend cannot read gives nothing (a client's header is not trusted).
        """
        return []

    def presence_store(self) -> PresenceStore | None:
        """Where this backend keeps presence (``None``: it has none)."""
        return None

    def order(self, event_id: str) -> tuple[int, ...] | None:
        """A sort key for a history id of this backend (``None`` for other ids)."""
        return None


class ServerBackend(Backend):
    """A backend on a server (Redis, PostgreSQL): one listening connection, kept up forever.

    Subclasses set ``server`` (its name in messages), ``url``, ``_outages`` (the exceptions
    of an unreachable server) and implement :meth:`_session`, which connects, sets
    ``_served`` once it delivers, and runs until the connection is lost.
    """

    server: str
    url: str
    _outages: tuple[type[BaseException], ...]
    _hub: Hub | None = None
    _down = False
    _served = False

    @abc.abstractmethod
    async def _session(self) -> None:
        """One listening connection, from connecting until it is lost."""

    async def _run(self) -> None:
        """Keep a session up: reconnect with backoff after every loss, until cancelled."""
        delay = BACKOFF_MIN
        while True:
            self._served = False
            try:
                await self._session()
            except self._outages as exc:
                self._lost(exc)
            except Exception as exc:  # an unexpected reply: reconnect rather than stop
                logger.exception("channels: %s listener failed", self.server)
                self._lost(exc)
            if self._served:
                delay = BACKOFF_MIN
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            delay = min(delay * 2, BACKOFF_MAX)

    def _lost(self, exc: BaseException) -> None:
        """The connection is gone: warn once per outage and tell the subscribers."""
        if not self._down:
            self._down = True
            logger.warning(
                "channels: lost %s at %s (%s: %s); reconnecting",
                self.server,
                mask_password(self.url),
                type(exc).__name__,
                exc,
            )
            if self._hub is not None:
                self._hub.signal(OUTAGE)

    def _unavailable(self, what: str) -> ChannelsUnavailableError:
        return ChannelsUnavailableError(
            f"{what}: the channels' {self.server} at {mask_password(self.url)} is unreachable"
        )


def decode(payload: str) -> Any:
    """A message's data: its JSON decoded, or the text itself when it is not JSON."""
    try:
        return json.loads(payload)
    except ValueError:
        return payload


def split_envelope(raw: str) -> tuple[str, str]:
    """``"<id> <payload>"`` as sent over pub/sub into ``(id, payload)``."""
    event_id, sep, payload = raw.partition(" ")
    if not sep:
        return "", raw
    return event_id, payload


async def stop_task(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it to end.

    The cancellation is repeated: on Python 3.11 one that meets a timeout expiring inside
    a library's read can be swallowed, and the listener would then run on.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if not task.cancelled():
        task.exception()  # retrieved, so that asyncio does not log it as never retrieved
