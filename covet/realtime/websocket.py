"""WebSockets in channels: join rooms, forward their messages, read validated messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from covet.exceptions import WebSocketDisconnect, WebSocketException
from covet.realtime.events import (
    OUTAGE,
    ChannelsUnavailableError,
    Event,
    SlowConsumerError,
    SubscriptionLimitError,
)
from covet.realtime.subscription import Subscription
from covet.validation import ValidationError, compile_validator
from covet.websockets import WebSocket, WebSocketState

if TYPE_CHECKING:
    from covet.realtime.channels import Channels

OnOutage = Literal["close", "ignore"]
DEFAULT_MAX_SUBSCRIPTIONS = 32
CLOSE_SLOW = 1008
CLOSE_OUTAGE = 1013
OUTAGE_REASON = "Channels unavailable; try again later."
SLOW_REASON = "Too slow: fell behind the channel."
CLOSE_GOING_AWAY = 1001
GOING_AWAY_REASON = "Server shutting down."


class WebSocketMember:
    """A WebSocket's memberships in channels: ``async with channels.websocket(ws) as member``.

    Each channel the member :meth:`join`\\ s is forwarded to the WebSocket as JSON (the
    message's data, or what ``encode(event)`` returns) by a task of its own, so a client
    that reads slowly only fills its own queues. A member that falls behind is closed with
    1008; during a backend outage it is closed with 1013 (try again later) unless
    ``on_outage="ignore"``. Leaving the block leaves every channel.

    Args:
        channels: The channels to join.
        websocket: An accepted (or about to be accepted) WebSocket.
        max_subscriptions: The most channels it may join at once
            (:class:`~covet.realtime.SubscriptionLimitError`, a 1008 close, beyond).
        on_outage: ``"close"`` (the client reconnects, and with history resumes) or
            ``"ignore"`` (stay open; messages resume once the backend is back).
        encode: What to send for each message event (default: its data).
        max_queue: Bound of each channel's queue (the channels' default if ``None``).
    """

    def __init__(
        self,
        channels: Channels,
        websocket: WebSocket,
        *,
        max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS,
        on_outage: OnOutage = "close",
        encode: Callable[[Event], Any] | None = None,
        max_queue: int | None = None,
    ) -> None:
        self.channels = channels
        self.websocket = websocket
        self.max_subscriptions = max_subscriptions
        self.on_outage: OnOutage = on_outage
        self._encode = encode
        self._max_queue = max_queue
        self._joined: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self._send_lock = asyncio.Lock()
        self._closing: asyncio.Task[None] | None = None

    @property
    def rooms(self) -> frozenset[str]:
        """The channels this WebSocket has joined."""
        return frozenset(self._joined)

    async def __aenter__(self) -> WebSocketMember:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for channel in list(self._joined):
            await self.leave(channel)
        if self._closing is not None:
            await self._closing

    async def join(self, channel: str, *, last_event_id: str | None = None) -> None:
        """Join ``channel``: from now on its messages are sent to the WebSocket.

        Raises:
            SubscriptionLimitError: Already in ``max_subscriptions`` channels (1008).
            WebSocketException: The backend is down (1013, try again later).
        """
        if channel in self._joined:
            return
        if len(self._joined) >= self.max_subscriptions:
            raise SubscriptionLimitError(self.max_subscriptions)
        sub = self.channels.subscribe(
            channel, last_event_id=last_event_id, max_queue=self._max_queue
        )
        try:
            await sub.__aenter__()
        except ChannelsUnavailableError as exc:
            raise WebSocketException(
                CLOSE_OUTAGE, "Channels unavailable; try again later."
            ) from exc
        task = asyncio.create_task(self._forward(sub), name=f"covet-forward:{channel}")
        self._joined[channel] = (sub, task)
        sub._on_overflow = self._fell_behind

    async def leave(self, channel: str) -> None:
        """Leave ``channel`` (nothing happens if it was not joined)."""
        joined = self._joined.pop(channel, None)
        if joined is None:
            return
        sub, task = joined
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sub.__aexit__(None, None, None)

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON, never interleaved with the forwarded messages."""
        async with self._send_lock:
            await self.websocket.send_json(data)

    async def iter_json(self, schema: Any = None) -> AsyncIterator[Any]:
        """Yield the client's JSON messages until it disconnects (or this member closes).

        With ``schema`` (any type a typed handler takes: a dataclass, ``TypedDict``,
        pydantic model, ``Literal`` union...), each message is validated and converted; one
        that does not fit is answered with ``{"error": "invalid message", "detail": [...]}``
        and skipped.
        """
        validate = compile_validator(schema) if schema is not None else None
        ws = self.websocket
        while ws.application_state is WebSocketState.CONNECTED:
            try:
                message = await ws.receive_json()
            except WebSocketDisconnect:
                return
            if validate is None:
                yield message
                continue
            try:
                yield validate(message)
            except ValidationError as exc:
                detail = [
                    {"loc": list(issue.loc), "msg": issue.msg, "type": issue.type}
                    for issue in exc.issues
                ]
                await self.send_json({"error": "invalid message", "detail": detail})

    def _fell_behind(self, sub: Subscription) -> None:
        """Close at once, even when a send to the client is stuck (it stopped reading)."""
        joined = self._joined.get(sub.channel)
        if joined is not None:
            joined[1].cancel()
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(CLOSE_SLOW, SLOW_REASON))

    async def _forward(self, sub: Subscription) -> None:
        try:
            async for event in sub:
                if event.is_message:
                    data = event.data if self._encode is None else self._encode(event)
                    await self.send_json(data)
                elif event.kind == OUTAGE and self.on_outage == "close":
                    await self._close(CLOSE_OUTAGE, OUTAGE_REASON)
                    return
            await self._close(CLOSE_GOING_AWAY, GOING_AWAY_REASON)  # the channels ended it
        except SlowConsumerError:
            await self._close(CLOSE_SLOW, SLOW_REASON)
        except (WebSocketDisconnect, RuntimeError):
            return  # the connection is already closed

    async def _close(self, code: int, reason: str) -> None:
        ws = self.websocket
        if ws.application_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                async with self._send_lock:
                    await ws.close(code, reason)

    def __repr__(self) -> str:
        return f"WebSocketMember(rooms={sorted(self._joined)!r})"
