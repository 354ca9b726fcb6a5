"""Realtime channels: publish/subscribe across processes, for WebSockets and SSE.

``Channels(url)`` picks its backend by URL: ``memory://`` (one process), ``redis://``
(Redis pub/sub, with optional history in streams) or ``postgresql://`` (LISTEN/NOTIFY).
The Redis and PostgreSQL backends need the ``realtime`` extra
(``pip install 'covetpy[realtime]'``) and say so when they are built.
"""

from covet.realtime.channels import Channels
from covet.realtime.events import (
    ChannelsError,
    ChannelsUnavailableError,
    Event,
    MessageTooLargeError,
    SlowConsumerError,
    SubscriptionLimitError,
)
from covet.realtime.subscription import Subscription
from covet.realtime.websocket import WebSocketMember

__all__ = [
    "Channels",
    "ChannelsError",
    "ChannelsUnavailableError",
    "Event",
    "MessageTooLargeError",
    "SlowConsumerError",
    "Subscription",
    "SubscriptionLimitError",
    "WebSocketMember",
]
