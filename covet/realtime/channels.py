"""Publish/subscribe by channel name, in one process or across many, chosen by URL."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from covet import _json
from covet.exceptions import ConfigurationError
from covet.realtime._backend import Backend, decode
from covet.realtime.events import ChannelsUnavailableError, Event, EventKind
from covet.realtime.presence import DEFAULT_TTL, Presence
from covet.realtime.subscription import OVERFLOW_POLICIES, Overflow, Subscription
from covet.realtime.url import backend_from_url
from covet.realtime.websocket import DEFAULT_MAX_SUBSCRIPTIONS, OnOutage, WebSocketMember
from covet.stores.url import mask_password
from covet.websockets import WebSocket

DEFAULT_MAX_QUEUE = 1000


@dataclasses.dataclass(eq=False)
class _Channel:
    """The local subscribers of one channel, and where its delivery stands."""

    subscribers: set[Subscription] = dataclasses.field(default_factory=set)
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    users: int = 0
    subscribed: bool = False
    last_id: str | None = None
    last_key: tuple[int, ...] | None = None


class Channels:
    """Publish messages on named channels; every subscriber of the channel receives them.

    The URL chooses the backend: ``memory://`` (this process only), ``redis://`` (Redis
    pub/sub: every process and machine on that Redis) or ``postgresql://`` (LISTEN/NOTIFY
    on that database)::

        channels = Channels("redis://127.0.0.1:6379/0", history=100)
        app = CovetPy(lifespan=channels.lifespan)

        await channels.publish("room:lobby", {"user": "ann", "text": "hi"})

        async with channels.subscribe("room:lobby") as sub:
            async for event in sub:
                ...

    Args:
        url: The backend's URL. Redis takes ``?namespace=`` (prefix of its channel and key
            names, default ``covet:channels:``), ``socket_timeout`` and ``connect_timeout``.
        history: Messages kept per channel for replay with ``last_event_id`` (memory and
            Redis; 0 keeps none).
        max_queue: Default bound of each subscriber's queue.
        on_overflow: Default policy when a subscriber's queue is full: ``"disconnect"``
            ends that subscription with :class:`~covet.realtime.SlowConsumerError`;
            ``"drop_oldest"`` drops its oldest queued event.
        **options: Keyword arguments for the backend; they win over the URL's query.

    Raises:
        ConfigurationError: The URL or an option cannot work.
        MissingDependencyError: The backend's library is not installed
            (``pip install 'covetpy[realtime]'``).
    """

    def __init__(
        self,
        url: str = "memory://",
        *,
        history: int = 0,
        max_queue: int = DEFAULT_MAX_QUEUE,
        on_overflow: Overflow = "disconnect",
        presence_ttl: float = DEFAULT_TTL,
        **options: Any,
    ) -> None:
        if not isinstance(history, int) or isinstance(history, bool) or history < 0:
            raise ConfigurationError(f"history must be a whole number >= 0, not {history!r}")
        _check_queue(max_queue, on_overflow)
        self.url = url
        self.max_queue = max_queue
        self.on_overflow: Overflow = on_overflow
        self.backend: Backend = backend_from_url(url, history=history, **options)
        if not isinstance(presence_ttl, int | float) or not presence_ttl > 0:
            raise ConfigurationError(
                f"presence_ttl must be a positive number, not {presence_ttl!r}"
            )
        store = self.backend.presence_store()
        self._presence = Presence(store, float(presence_ttl)) if store is not None else None
        self._channels: dict[str, _Channel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._draining = False

    @property
    def history(self) -> int:
        """Messages kept per channel for replay (0: none)."""
        return self.backend.history

    # -- life cycle ------------------------------------------------------------------------

    @asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """Connect at start-up and disconnect at shutdown: ``CovetPy(lifespan=...)``.

        Once the app starts shutting down (``app.shutting_down``), open subscriptions end
        (SSE streams reading them finish, WebSocket members close with 1001) and new ones
        are refused, so that open connections never hold the shutdown up.
        """
        await self.connect()
        self._draining = False
        signal = getattr(app, "shutting_down", None)
        watcher = asyncio.create_task(self._drain_on(signal)) if signal is not None else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await self.disconnect()

    async def _drain_on(self, signal: Any) -> None:
        await signal.wait()
        self._draining = True
        self._end_all()

    def _end_all(self) -> None:
        for state in self._channels.values():
            for sub in state.subscribers:
                sub._end()

    async def connect(self) -> None:
        """Start the backend on the running loop (publishing and subscribing do it too).

        A backend that cannot reach its server keeps trying in the background; meanwhile
        publishing raises :class:`~covet.realtime.ChannelsUnavailableError`.
        """
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._starting is None or self._starting[0] is not loop:
            self._starting = (loop, asyncio.Lock())
        async with self._starting[1]:
            if self._loop is loop:
                return
            self._channels = {}
            await self.backend.start(self)
            self._loop = loop

    async def disconnect(self) -> None:
        """Stop the backend and end every open subscription (its reads stop after what it
        had queued)."""
        if self._loop is None:
            return
        self._loop = None
        self._end_all()
        self._channels = {}
        if self._presence is not None:
            await self._presence.stop()
        await self.backend.stop()

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, channel: str, message: Any) -> str:
        """Send ``message`` (anything JSON can carry, or a string) on ``channel``.

        Returns:
            The message's id.

        Raises:
            ChannelsUnavailableError: The backend is down (503 in a request).
            MessageTooLargeError: The backend cannot carry a message this large.
            TypeError: ``message`` cannot be encoded as JSON.
        """
        _check_name(channel)
        payload = _json.dumps(message).decode("utf-8")
        await self.connect()
        return await self.backend.publish(channel, payload)

    # -- subscribing -----------------------------------------------------------------------

    def subscribe(
        self,
        channel: str,
        *,
        last_event_id: str | None = None,
        max_queue: int | None = None,
        on_overflow: Overflow | None = None,
    ) -> Subscription:
        """Subscribe to ``channel``: ``async with channels.subscribe(name) as sub``.

        Once inside the ``async with``, every message published on the channel reaches the
        subscription. With history, ``last_event_id`` (an SSE client's ``Last-Event-ID``)
        first replays the kept messages newer than it; an id the backend does not know
        replays nothing.

        Raises:
            ChannelsUnavailableError: On entry, while the backend is down.
        """
        _check_name(channel)
        max_queue = self.max_queue if max_queue is None else max_queue
        on_overflow = self.on_overflow if on_overflow is None else on_overflow
        _check_queue(max_queue, on_overflow)
        return Subscription(
            self,
            channel,
            max_queue=max_queue,
            on_overflow=on_overflow,
            last_event_id=last_event_id,
        )

    def websocket(
        self,
        websocket: WebSocket,
        *,
        max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS,
        on_outage: OnOutage = "close",
        encode: Callable[[Event], Any] | None = None,
        max_queue: int | None = None,
    ) -> WebSocketMember:
        """Rooms for ``websocket``: ``async with channels.websocket(ws) as member``.

        ``await member.join("room:lobby")`` forwards the room's messages to the WebSocket;
        see :class:`~covet.realtime.WebSocketMember` for the options.
        """
        if max_queue is not None:
            _check_queue(max_queue, self.on_overflow)
        if not isinstance(max_subscriptions, int) or max_subscriptions < 1:
            raise ConfigurationError(
                f"max_subscriptions must be a whole number >= 1, not {max_subscriptions!r}"
            )
        if on_outage not in ("close", "ignore"):
            raise ConfigurationError(f"on_outage must be 'close' or 'ignore', not {on_outage!r}")
        return WebSocketMember(
            self,
            websocket,
            max_subscriptions=max_subscriptions,
            on_outage=on_outage,
            encode=encode,
            max_queue=max_queue,
        )

    @asynccontextmanager
    async def present(self, room: str, member: str, info: Any = None) -> AsyncIterator[None]:
        """List ``member`` (with ``info``) in ``room`` while the ``async with`` block runs.

        Every process sees it in :meth:`members`; this process renews it every
        ``presence_ttl / 3`` seconds, so it disappears ``presence_ttl`` seconds after this
        process dies. Memory and Redis only.

        Raises:
            ConfigurationError: The backend keeps no presence (PostgreSQL).
            ChannelsUnavailableError: On entry, while the backend is down.
        """
        _check_name(room)
        presence = self._presence_or_fail()
        await self.connect()
        async with presence.present(room, member, info):
            yield

    async def members(self, room: str) -> dict[str, Any]:
        """Who is in ``room`` now, across processes: member id -> info."""
        _check_name(room)
        await self.connect()
        return await self._presence_or_fail().members(room)

    def _presence_or_fail(self) -> Presence:
        if self._presence is None:
            raise ConfigurationError(
                f"presence needs memory:// or redis:// channels, not {mask_password(self.url)!r}"
            )
        return self._presence

    def subscriber_count(self, channel: str) -> int:
        """How many subscriptions of this process read ``channel`` now."""
        state = self._channels.get(channel)
        return len(state.subscribers) if state else 0

    async def _attach(self, sub: Subscription) -> None:
        if self._draining:
            raise ChannelsUnavailableError(f"cannot subscribe to {sub.channel!r}: shutting down")
        await self.connect()
        state = self._channels.get(sub.channel)
        if state is None:
            state = self._channels[sub.channel] = _Channel()
        state.users += 1
        sub._state = state
        try:
            async with state.lock:
                state.subscribers.add(sub)
                if not state.subscribed:
                    newest = await self.backend.subscribe(sub.channel)
                    state.subscribed = True
                    if newest is not None and state.last_id is None:
                        self._seen(state, newest)
        except BaseException:
            state.subscribers.discard(sub)
            sub._state = None
            self._release(sub.channel, state)
            raise
        if sub.last_event_id is not None and self.history:
            replayed = await self.backend.replay(sub.channel, sub.last_event_id)
            sub._set_replay([Event(sub.channel, decode(p), i) for i, p in replayed])

    async def _detach(self, sub: Subscription) -> None:
        state: _Channel | None = sub._state
        sub._state = None
        if state is None or self._channels.get(sub.channel) is not state:
            return  # the channels disconnected since (and forgot this state)
        state.subscribers.discard(sub)
        try:
            async with state.lock:
                if not state.subscribers and state.subscribed:
                    state.subscribed = False
                    await self.backend.unsubscribe(sub.channel)
        finally:
            self._release(sub.channel, state)

    def _release(self, channel: str, state: _Channel) -> None:
        state.users -= 1
        if state.users == 0 and self._channels.get(channel) is state:
            del self._channels[channel]

    def _evict(self, sub: Subscription) -> None:
        """Stop delivering to ``sub`` (it fell behind); its ``async with`` still exits."""
        state = self._channels.get(sub.channel)
        if state is not None:
            state.subscribers.discard(sub)

    # -- the hub side (called by the backend) ----------------------------------------------

    def deliver(self, channel: str, event_id: str, payload: str) -> None:
        """Queue a message for every local subscriber of ``channel``, never waiting."""
        state = self._channels.get(channel)
        if state is None:
            return
        if self.history:
            key = self.backend.order(event_id)
            if key is not None:
                if state.last_key is not None and key <= state.last_key:
                    return  # already delivered (a replay after an outage overlaps)
                state.last_key, state.last_id = key, event_id
        if not state.subscribers:
            return
        event = Event(channel, decode(payload), event_id)
        for sub in tuple(state.subscribers):
            sub._push(event)

    def signal(self, kind: EventKind) -> None:
        """Queue an ``outage``/``recovered`` event for every local subscriber."""
        for channel, state in tuple(self._channels.items()):
            event = Event(channel, kind=kind)
            for sub in tuple(state.subscribers):
                sub._push(event)

    def last_seen(self, channel: str) -> str | None:
        """The newest message id delivered (or known at subscription) on ``channel``."""
        state = self._channels.get(channel)
        return state.last_id if state else None

    def _seen(self, state: _Channel, event_id: str) -> None:
        state.last_id, state.last_key = event_id, self.backend.order(event_id)

    def __repr__(self) -> str:
        return f"Channels({self.url!r}, history={self.history})"


def _check_name(channel: str) -> None:
    if not isinstance(channel, str) or not channel:
        raise ValueError(f"a channel name must be a non-empty string, not {channel!r}")


def _check_queue(max_queue: int, on_overflow: str) -> None:
    if not isinstance(max_queue, int) or isinstance(max_queue, bool) or max_queue < 1:
        raise ConfigurationError(f"max_queue must be a whole number >= 1, not {max_queue!r}")
    if on_overflow not in OVERFLOW_POLICIES:
        raise ConfigurationError(
            f"on_overflow must be one of {', '.join(map(repr, OVERFLOW_POLICIES))}, "
            f"not {on_overflow!r}"
        )
