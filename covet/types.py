"""Public ASGI 3.0 types, for writing middleware and other ASGI callables against CovetPy.

A pure ASGI middleware, typed with them::

    from covet.types import ASGIApp, Message, Receive, Scope, Send

    class ServerTiming:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def timed_send(message: Message) -> None:
                ...  # e.g. add a header to "http.response.start"
                await send(message)

            await self.app(scope, receive, timed_send)

After routing, ``scope["route"]`` holds the matched route (its ``path`` template, ``name``,
``methods`` and ``opt`` settings); it is absent when no route matched (a 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
"""The connection scope: ``type``, ``path``, ``headers``, ... (and ``route`` after routing)."""

Message = MutableMapping[str, Any]
"""One ASGI event, received or sent: ``{"type": "http.request", "body": b"..."}``."""

Receive = Callable[[], Awaitable[Message]]
"""Awaitable returning the next incoming message."""

Send = Callable[[Message], Awaitable[None]]
"""Awaitable sending one outgoing message."""

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3.0 application: ``await app(scope, receive, send)``."""

RawHeaders = list[tuple[bytes, bytes]]
"""Headers as the ASGI spec carries them: lower-cased name and value bytes."""

__all__ = ["ASGIApp", "Message", "RawHeaders", "Receive", "Scope", "Send"]
