"""WebSocket test sessions: talk to the app under test as a WebSocket client would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import httpx

from covet.exceptions import WebSocketDisconnect
from covet.testing._portal import Portal
from covet.testing.exceptions import ASGIProtocolError, WebSocketRejectedError
from covet.types import ASGIApp, Message, RawHeaders, Scope

JSONMode = Literal["text", "binary"]

# Which messages the app may send in each state of the connection.
_ALLOWED = {
    "connecting": frozenset({"websocket.accept", "websocket.close"}),
    "open": frozenset({"websocket.send", "websocket.close"}),
    "closed": frozenset[str](),
}
_ABNORMAL_CLOSURE = 1006


def upgrade_headers(
    subprotocols: Sequence[str] | None, headers: Mapping[str, str] | None
) -> httpx.Headers:
    """Return the handshake headers of a WebSocket upgrade request, with ``headers`` on top.

    Args:
        subprotocols: Subprotocols to offer in ``Sec-WebSocket-Protocol``, if any.
        headers: Extra headers given by the test; they win over the defaults.
    """
    merged = httpx.Headers(
        {
            "connection": "upgrade",
            "upgrade": "websocket",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-version": "13",
        }
    )
    if subprotocols:
        merged["sec-websocket-protocol"] = ", ".join(subprotocols)
    if headers:
        merged.update(headers)
    return merged


class AsyncWebSocketTestSession:
    """One WebSocket connection to the app, driven from the test's event loop.

    Get one from ``AsyncTestClient.websocket_connect``. Methods that read raise
    :class:`~covet.exceptions.WebSocketDisconnect` once the app has closed the connection,
    and re-raise any exception the app died with.

    Attributes:
        scope: The ``websocket`` scope the app was called with.
        accepted_subprotocol: The subprotocol the app chose in ``websocket.accept``, if any.
        extra_headers: Headers the app added to ``websocket.accept``.
    """

    def __init__(self, app: ASGIApp, scope: Scope) -> None:
        self.scope = scope
        self.accepted_subprotocol: str | None = None
        self.extra_headers: RawHeaders = []
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        # ``None`` marks the end of the app task.
        self._from_app: asyncio.Queue[Message | None] = asyncio.Queue()
        self._state = "connecting"
        self._app_close: tuple[int, str] | None = None
        self._client_close: tuple[int, str] | None = None
        self._close_received = False
        self._error_reported = False
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, app: ASGIApp, scope: Scope) -> AsyncWebSocketTestSession:
        """Start ``app`` on ``scope`` and perform the handshake.

        Raises:
            WebSocketRejectedError: The app closed the connection instead of accepting it.
            ASGIProtocolError: The app returned or sent data without accepting.
        """
        session = cls(app, scope)
        await session._handshake()
        return session

    async def send(self, message: Message) -> None:
        """Deliver a raw ASGI message (e.g. ``websocket.receive``) to the app."""
        await self._to_app.put(message)

    async def send_text(self, data: str) -> None:
        """Send a text frame to the app."""
        await self.send({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary frame to the app."""
        await self.send({"type": "websocket.receive", "bytes": data})

    async def send_json(self, data: Any, mode: JSONMode = "text") -> None:
        """Send ``data`` encoded as compact JSON, in a text or a binary frame."""
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            await self.send_text(text)
        else:
            await self.send_bytes(text.encode("utf-8"))

    async def receive(self) -> Message:
        """Return the next raw message the app sent (``websocket.send`` or ``websocket.close``).

        Raises:
            WebSocketDisconnect: The app has finished; carries its close code, or 1006 when it
                returned without closing.
        """
        if self._close_received and self._app_close is not None:
            raise WebSocketDisconnect(*self._app_close)
        message = await self._from_app.get()
        if message is not None:
            self._close_received = message["type"] == "websocket.close"
            return message
        self._from_app.put_nowait(None)  # keep reporting the end to later calls
        await self._reraise_app_error()
        code, reason = self._app_close or self._client_close or (_ABNORMAL_CLOSURE, "")
        raise WebSocketDisconnect(code, reason)

    async def receive_text(self) -> str:
        """Return the next text frame from the app.

        Raises:
            WebSocketDisconnect: The app closed the connection.
            TypeError: The app sent a binary frame.
        """
        text = _payload(await self.receive()).get("text")
        if not isinstance(text, str):
            raise TypeError("Expected a text frame from the app, got a binary frame.")
        return text

    async def receive_bytes(self) -> bytes:
        """Return the next binary frame from the app.

        Raises:
            WebSocketDisconnect: The app closed the connection.
            TypeError: The app sent a text frame.
        """
        data = _payload(await self.receive()).get("bytes")
        if not isinstance(data, bytes):
            raise TypeError("Expected a binary frame from the app, got a text frame.")
        return data

    async def receive_json(self, mode: JSONMode = "text") -> Any:
        """Return the next frame from the app decoded as JSON (from a text or binary frame)."""
        if mode == "text":
            return json.loads(await self.receive_text())
        return json.loads(await self.receive_bytes())

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection from the client side with ``code``."""
        self._client_close = (code, reason or "")
        message: Message = {"type": "websocket.disconnect", "code": code}
        if reason is not None:
            message["reason"] = reason
        await self.send(message)

    async def finish(self) -> None:
        """Close the connection if the client has not, then wait for the app to return.

        Raises:
            Exception: Whatever the app raised, unless a ``receive`` call already raised it.
        """
        if self._client_close is None:
            code, _ = self._app_close or (1000, "")
            await self.close(code)
        await self._reraise_app_error()

    async def _handshake(self) -> None:
        self._task = asyncio.create_task(self._run(), name="covet-testclient-websocket")
        self._to_app.put_nowait({"type": "websocket.connect"})
        message = await self._from_app.get()
        if message is None:
            await self._reraise_app_error()
            raise ASGIProtocolError(
                f"The app returned without accepting or closing the WebSocket at "
                f"{self.scope['path']!r}; send 'websocket.accept' or 'websocket.close'."
            )
        if message["type"] == "websocket.close":
            await self.finish()
            code, reason = self._app_close or (1000, "")
            raise WebSocketRejectedError(code, reason)
        self.accepted_subprotocol = message.get("subprotocol")
        self.extra_headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]

    async def _run(self) -> None:
        try:
            await self._app(self.scope, self._receive, self._send)
        finally:
            self._from_app.put_nowait(None)

    async def _receive(self) -> Message:
        message = await self._to_app.get()
        if message["type"] == "websocket.disconnect":
            # A closed connection keeps answering "disconnect", as servers do.
            self._to_app.put_nowait(message)
        return message

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind not in _ALLOWED[self._state]:
            raise ASGIProtocolError(
                f"The app sent {kind!r} on a WebSocket that is {self._state} "
                f"(path {self.scope['path']!r}); allowed: {sorted(_ALLOWED[self._state])}."
            )
        if kind == "websocket.accept":
            self._state = "open"
        elif kind == "websocket.close":
            self._state = "closed"
            self._app_close = (int(message.get("code", 1000)), message.get("reason") or "")
        self._from_app.put_nowait(message)

    async def _reraise_app_error(self) -> None:
        """Wait for the app task to end and raise its exception, once."""
        if self._task is None:
            return
        await asyncio.wait([self._task])
        error = None if self._task.cancelled() else self._task.exception()
        if error is not None and not self._error_reported:
            self._error_reported = True
            raise error


def _payload(message: Message) -> Message:
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(int(message.get("code", 1000)), message.get("reason"))
    return message


class WebSocketTestSession:
    """One WebSocket connection to the app, driven from synchronous test code.

    Get one from ``TestClient.websocket_connect``. Each method runs the matching
    :class:`AsyncWebSocketTestSession` method on the client's event-loop thread.
    """

    def __init__(self, session: AsyncWebSocketTestSession, portal: Portal) -> None:
        self._session = session
        self._portal = portal

    @property
    def scope(self) -> Scope:
        """The ``websocket`` scope the app was called with."""
        return self._session.scope

    @property
    def accepted_subprotocol(self) -> str | None:
        """The subprotocol the app chose in ``websocket.accept``, if any."""
        return self._session.accepted_subprotocol

    @property
    def extra_headers(self) -> RawHeaders:
        """Headers the app added to ``websocket.accept``."""
        return self._session.extra_headers

    def send(self, message: Message) -> None:
        """Deliver a raw ASGI message (e.g. ``websocket.receive``) to the app."""
        self._portal.call(self._session.send(message))

    def send_text(self, data: str) -> None:
        """Send a text frame to the app."""
        self._portal.call(self._session.send_text(data))

    def send_bytes(self, data: bytes) -> None:
        """Send a binary frame to the app."""
        self._portal.call(self._session.send_bytes(data))

    def send_json(self, data: Any, mode: JSONMode = "text") -> None:
        """Send ``data`` encoded as compact JSON, in a text or a binary frame."""
        self._portal.call(self._session.send_json(data, mode))

    def receive(self) -> Message:
        """Return the next raw message the app sent (``websocket.send`` or ``websocket.close``)."""
        return self._portal.call(self._session.receive())

    def receive_text(self) -> str:
        """Return the next text frame from the app; raise ``WebSocketDisconnect`` on close."""
        return self._portal.call(self._session.receive_text())

    def receive_bytes(self) -> bytes:
        """Return the next binary frame from the app; raise ``WebSocketDisconnect`` on close."""
        return self._portal.call(self._session.receive_bytes())

    def receive_json(self, mode: JSONMode = "text") -> Any:
        """Return the next frame from the app decoded as JSON (from a text or binary frame)."""
        return self._portal.call(self._session.receive_json(mode))

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection from the client side with ``code``."""
        self._portal.call(self._session.close(code, reason))

    def finish(self) -> None:
        """Close the connection if the client has not, then wait for the app to return."""
        self._portal.call(self._session.finish())
