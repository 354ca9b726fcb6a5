"""Errors the test client raises when the app under test misbehaves."""

from __future__ import annotations

from covet.exceptions import CovetError, WebSocketDisconnect


class ASGIProtocolError(CovetError):
    """The app under test broke the ASGI protocol (wrong message, wrong order, no response)."""


class LifespanError(CovetError):
    """The app reported ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``."""


class WebSocketRejectedError(WebSocketDisconnect):
    """The app closed the WebSocket before accepting it.

    Subclasses :class:`~covet.exceptions.WebSocketDisconnect`, so tests may catch either.

    Args:
        code: The close code the app sent.
        reason: The close reason the app sent, if any.
    """
