"""Hostile WebSocket clients: oversized messages close with 1009 before the handler sees them."""

from __future__ import annotations

import pytest

from covet import CovetPy, Limits, WebSocket
from covet.exceptions import WebSocketDisconnect
from covet.testing import TestClient

received: list[int] = []


def echo_app(limits: Limits | None = None) -> CovetPy:
    app = CovetPy(limits=limits) if limits else CovetPy()

    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            received.append(len(text))
            await ws.send_text(f"{len(text)}")

    @app.websocket("/bytes")
    async def echo_bytes(ws: WebSocket) -> None:
        await ws.accept()
        while True:
            data = await ws.receive_bytes()
            received.append(len(data))
            await ws.send_text(f"{len(data)}")

    return app


@pytest.mark.parametrize(
    ("path", "message", "limit"),
    [
        ("/echo", "x" * (1024 * 1024 + 1), None),  # the default: 1 MiB
        ("/echo", "é" * 6, 10),  # 12 bytes in UTF-8, though 6 characters
        ("/echo", "x" * 11, 10),
        ("/bytes", b"x" * 11, 10),
    ],
    ids=["default", "utf8", "text", "bytes"],
)
def test_a_message_over_the_limit_closes_with_1009(
    path: str, message: str | bytes, limit: int | None
) -> None:
    received.clear()
    limits = Limits(max_websocket_message_size=limit) if limit else None
    with TestClient(echo_app(limits)).websocket_connect(path) as ws:
        if isinstance(message, str):
            ws.send_text("ok")
        else:
            ws.send_bytes(b"ok")
        assert ws.receive_text() == "2"
        if isinstance(message, str):
            ws.send_text(message)
        else:
            ws.send_bytes(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1009
    assert "larger than" in closed.value.reason
    assert received == [2]  # the oversized message never reached the handler
