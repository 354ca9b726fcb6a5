"""One subscriber's view of a channel: a bounded queue read with ``async for``."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from covet.realtime.events import Event, SlowConsumerError

if TYPE_CHECKING:
    from covet.realtime.channels import Channels

Overflow = Literal["disconnect", "drop_oldest"]
OVERFLOW_POLICIES: tuple[Overflow, ...] = ("disconnect", "drop_oldest")


class Subscription(AsyncIterator[Event]):
    """A subscription to one channel; use it as ``async with`` and read it with ``async for``.

    Events wait in a queue of at most ``max_queue``; the channels never wait for a reader.
    When the queue is full, ``on_overflow="disconnect"`` ends the subscription (the next
    read raises :class:`~covet.realtime.SlowConsumerError`) and ``"drop_oldest"`` drops the
    oldest queued event (counted in :attr:`dropped`).

    Attributes:
        channel: The channel's name.
        dropped: Events dropped by ``"drop_oldest"`` so far.
        last_event_id: The id of the last message read (``None`` before the first).
    """

    def __init__(
        self,
        channels: Channels,
        channel: str,
        *,
        max_queue: int,
        on_overflow: Overflow,
        last_event_id: str | None,
    ) -> None:
        self.channel = channel
        self.max_queue = max_queue
        self.on_overflow = on_overflow
        self.dropped = 0
        self.last_event_id = last_event_id
        self._channels = channels
        self._queue: deque[Event] = deque()
        self._replay: deque[Event] = deque()
        self._skip_through: tuple[int, ...] | None = None
        self._wakeup = asyncio.Event()
        self._error: BaseException | None = None
        self._open = False
        # Called once when the subscription overflows and ends (the WebSocket helper closes).
        self._on_overflow: Callable[[Subscription], None] | None = None
        self._state: Any = None  # the channels' record of this channel, while attached

    async def __aenter__(self) -> Subscription:
        await self._channels._attach(self)
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        self._queue.clear()
        self._replay.clear()
        self._wakeup.set()
        await self._channels._detach(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while True:
            event = self._next_ready()
            if event is not None:
                if event.is_message:
                    self.last_event_id = event.id
                return event
            if self._error is not None:
                raise self._error
            if not self._open:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    def _next_ready(self) -> Event | None:
        if self._replay:
            return self._replay.popleft()
        while self._queue:
            event = self._queue.popleft()
            if self._skip_through is None or not event.is_message:
                return event
            key = self._channels.backend.order(event.id)
            if key is None or key > self._skip_through:
                self._skip_through = None
                return event
        return None

    def _end(self) -> None:
        """End reading once what is queued has been read (the channels disconnected)."""
        self._open = False
        self._wakeup.set()

    def _set_replay(self, events: list[Event]) -> None:
        """Read ``events`` first; live ones already covered by them are skipped."""
        if not events:
            return
        self._replay.extend(events)
        self._skip_through = self._channels.backend.order(events[-1].id)

    def _push(self, event: Event) -> None:
        """Queue ``event`` without waiting (called by the channels for each subscriber)."""
        if self._error is not None:
            return
        if len(self._queue) >= self.max_queue:
            if self.on_overflow == "drop_oldest":
                self._queue.popleft()
                self.dropped += 1
            else:
                self._queue.clear()
                self._replay.clear()
                self._error = SlowConsumerError(self.channel, self.max_queue)
                self._channels._evict(self)
                self._wakeup.set()
                if self._on_overflow is not None:
                    self._on_overflow(self)
                return
        self._queue.append(event)
        self._wakeup.set()

    def __repr__(self) -> str:
        return f"Subscription(channel={self.channel!r}, queued={len(self._queue)})"
