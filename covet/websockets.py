"""The WebSocket connection object handed to WebSocket handlers."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, NoReturn

from covet import _json
from covet._parsers.json import parse_json
from covet.datastructures import _encode_name, _encode_value
from covet.exceptions import HTTPException, WebSocketDisconnect
from covet.requests import HTTPConnection
from covet.types import Message, Receive, Scope, Send


class WebSocketState(enum.Enum):
    """Where one side of the connection stands."""

    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2


class WebSocket(HTTPConnection):
    """A WebSocket connection: accept, send and receive text/bytes/JSON, close.

    Receiving after the client has closed raises :class:`WebSocketDisconnect`.
    """

    __slots__ = ("_receive", "_send", "application_state", "client_state")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise ValueError("WebSocket needs a 'websocket' scope.")
        super().__init__(scope)
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING

    @property
    def subprotocols(self) -> list[str]:
        """Subprotocols the client offered, in its order of preference."""
        offered: list[str] = self.scope.get("subprotocols", [])
        return offered

    async def receive(self) -> Message:
        """Receive the next raw ASGI message."""
        if self.client_state is WebSocketState.DISCONNECTED:
            raise RuntimeError("Cannot receive: the client has already disconnected.")
        message = await self._receive()
        kind = message["type"]
        if self.client_state is WebSocketState.CONNECTING:
            if kind != "websocket.connect":
                raise RuntimeError(f"Expected 'websocket.connect', got {kind!r}.")
            self.client_state = WebSocketState.CONNECTED
        elif kind == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
        return message

    async def send(self, message: Message) -> None:
        """Send a raw ASGI message, tracking the connection state."""
        if self.application_state is WebSocketState.DISCONNECTED:
            raise RuntimeError("Cannot send: the WebSocket is already closed.")
        kind = message["type"]
        if kind == "websocket.close":
            self.application_state = WebSocketState.DISCONNECTED
        elif kind == "websocket.accept":
            self.application_state = WebSocketState.CONNECTED
        try:
            await self._send(message)
        except OSError:
            self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(1006) from None

    async def accept(
        self, subprotocol: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Accept the connection, optionally choosing a subprotocol and adding headers."""
        if self.client_state is WebSocketState.CONNECTING:
            await self.receive()
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"Subprotocol {subprotocol!r} was not offered by the client.")
        raw = [(_encode_name(k), _encode_value(v)) for k, v in (headers or {}).items()]
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": raw})

    async def _receive_data(self) -> Message:
        if self.application_state is not WebSocketState.CONNECTED:
            raise RuntimeError('WebSocket is not connected. Call "accept" first.')
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        limit = self.limits.max_websocket_message_size
        if _over(message, limit):
            await self._refuse(1009, f"Message larger than {limit} bytes.")
        return message

    async def receive_text(self) -> str:
        """Receive a text message."""
        message = await self._receive_data()
        text = message.get("text")
        if text is None:
            await self._refuse(1003, "Expected a text message.")
        return str(text)

    async def receive_bytes(self) -> bytes:
        """Receive a binary message."""
        message = await self._receive_data()
        data = message.get("bytes")
        if data is None:
            await self._refuse(1003, "Expected a binary message.")
        return bytes(data)

    async def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        """Receive a JSON message sent as text (or as bytes with ``mode="binary"``)."""
        message = await self._receive_data()
        payload = message.get("text") if mode == "text" else message.get("bytes")
        if payload is None:
            await self._refuse(1003, f"Expected a {mode} JSON message.")
        limits = self.limits
        try:
            return parse_json(
                payload,
                max_depth=limits.max_json_depth,
                max_number_digits=limits.max_number_digits,
            )
        except HTTPException as exc:
            await self._refuse(1007, exc.detail)

    async def _refuse(self, code: int, reason: str) -> NoReturn:
        """Close because the client sent data we cannot accept, then report the close."""
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)

    async def iter_text(self) -> AsyncIterator[str]:
        """Yield text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        """Yield JSON messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        """Send ``data`` as JSON, in a text (default) or binary message."""
        encoded = _json.dumps(data)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": encoded.decode("utf-8")})
        else:
            await self.send({"type": "websocket.send", "bytes": encoded})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection (or refuse it, before ``accept``)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})


def _over(message: Message, limit: int) -> bool:
    """Whether a data message is larger than ``limit`` bytes (text counted as UTF-8)."""
    data = message.get("bytes")
    if data is not None:
        return len(data) > limit
    text = message.get("text") or ""
    # PERF: a text encodes to 1-4 bytes a character; encode only when that leaves a doubt.
    if len(text) * 4 <= limit or len(text) > limit:
        return len(text) > limit
    return len(text.encode("utf-8", "surrogatepass")) > limit
