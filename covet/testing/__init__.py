"""Test clients that drive a CovetPy (or any ASGI) app in-process.

Needs the ``testing`` extra (``httpx``): ``pip install 'covetpy[testing]'``.
"""

from __future__ import annotations

from covet._optional import require

require("httpx", extra="testing")

from covet.testing.client import AsyncTestClient, TestClient  # noqa: E402
from covet.testing.exceptions import (  # noqa: E402
    ASGIProtocolError,
    LifespanError,
    WebSocketRejectedError,
)
from covet.testing.websocket import AsyncWebSocketTestSession, WebSocketTestSession  # noqa: E402

__all__ = [
    "ASGIProtocolError",
    "AsyncTestClient",
    "AsyncWebSocketTestSession",
    "LifespanError",
    "TestClient",
    "WebSocketRejectedError",
    "WebSocketTestSession",
]
