"""What a subscription yields, and the errors channels raise."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from covet.exceptions import CovetError, HTTPException, WebSocketException

EventKind = Literal["message", "outage", "recovered"]

MESSAGE: EventKind = "message"
OUTAGE: EventKind = "outage"
RECOVERED: EventKind = "recovered"


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """One thing a subscription yields: a published message or a signal about the backend.

    Attributes:
        channel: The channel it was published on (for signals, the subscription's channel).
        data: The published message, decoded from JSON (``None`` for signals). Shared by
            every local subscriber of the channel: treat it as read-only.
        id: The message's id: opaque, unique, and ordered within a channel when the
            channels keep history (pass it back as ``last_event_id``). ``""`` for signals.
        kind: ``"message"``; ``"outage"`` when the backend lost its connection (messages
            published meanwhile reach this subscription only if history covers them);
            ``"recovered"`` once it is connected and subscribed again (after replaying what
            history holds of the outage).
    """

    channel: str
    data: Any = None
    id: str = ""
    kind: EventKind = MESSAGE

    @property
    def is_message(self) -> bool:
        """Whether this is a published message (not an outage/recovered signal)."""
        return self.kind == MESSAGE


class ChannelsError(CovetError):
    """Root of the errors :mod:`covet.realtime` raises."""


class ChannelsUnavailableError(HTTPException, ChannelsError):
    """The channels' backend cannot be reached: publishing or subscribing failed.

    Raised in a request it answers 503 with ``Retry-After``; the backend keeps reconnecting
    by itself.
    """

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(503, detail, {"Retry-After": str(retry_after)})


class MessageTooLargeError(ChannelsError, ValueError):
    """A published message is larger than the backend carries (PostgreSQL: 8000 bytes)."""


class SlowConsumerError(ChannelsError):
    """A subscription with ``on_overflow="disconnect"`` fell behind and was ended.

    Its queue filled up because the consumer did not read fast enough; the other
    subscribers were not slowed. The WebSocket helpers close with 1013 (try again later).
    """

    def __init__(self, channel: str, max_queue: int) -> None:
        super().__init__(
            f"subscription to {channel!r} fell more than {max_queue} events behind and was "
            'ended (on_overflow="disconnect")'
        )
        self.channel = channel
        self.max_queue = max_queue


class SubscriptionLimitError(WebSocketException, ChannelsError):
    """A WebSocket asked to join more channels than its cap allows (closes with 1008)."""

    def __init__(self, limit: int) -> None:
        super().__init__(1008, f"Too many subscriptions (at most {limit}).")
        self.limit = limit
