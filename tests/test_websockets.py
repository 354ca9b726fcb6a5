"""WebSocket routes through the TestClient."""

from __future__ import annotations

import pytest

from covet import CovetPy, WebSocket, WebSocketDisconnect, WebSocketException
from covet.testing import TestClient


def make_app() -> tuple[CovetPy, list[object]]:
    app = CovetPy()
    closed: list[object] = []

    @app.websocket("/echo/{room}")
    async def echo(ws: WebSocket, room: str) -> None:
        await ws.accept(
            subprotocol="chat" if "chat" in ws.subprotocols else None, headers={"X-Room": room}
        )
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    closed.append(message.get("code"))
                    return
                if message.get("text") == "json":
                    await ws.send_json({"room": room, "query": ws.query_params.get("q")})
                elif message.get("text") == "close":
                    await ws.close(4001, "bye")
                    return
                elif message.get("text") is not None:
                    await ws.send_text(message["text"].upper())
                else:
                    await ws.send_bytes(message["bytes"][::-1])
        except WebSocketDisconnect as exc:
            closed.append(exc.code)

    @app.websocket("/iterate")
    async def iterate(ws: WebSocket) -> None:
        await ws.accept()
        total = 0
        async for value in ws.iter_json():
            total += value["n"]
            await ws.send_json({"total": total})
        closed.append("done")

    @app.websocket("/deny")
    async def deny(ws: WebSocket) -> None:
        raise WebSocketException(4403, "forbidden")

    @app.websocket("/strict")
    async def strict(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive_json()

    return app, closed


def test_echo_text_bytes_json_and_subprotocol() -> None:
    app, closed = make_app()
    client = TestClient(app)
    with client.websocket_connect("/echo/lobby?q=1", subprotocols=["chat"]) as ws:
        assert ws.accepted_subprotocol == "chat"
        assert ws.extra_headers == [(b"x-room", b"lobby")]
        ws.send_text("hello")
        assert ws.receive_text() == "HELLO"
        ws.send_bytes(b"abc")
        assert ws.receive_bytes() == b"cba"
        ws.send_text("json")
        assert ws.receive_json() == {"room": "lobby", "query": "1"}
    assert closed == [1000]


def test_server_close_code_reaches_client() -> None:
    app, _ = make_app()
    with TestClient(app).websocket_connect("/echo/x") as ws:
        ws.send_text("close")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.code == 4001


def test_iter_json_until_disconnect() -> None:
    app, closed = make_app()
    with TestClient(app).websocket_connect("/iterate") as ws:
        for n in (1, 2, 3):
            ws.send_json({"n": n})
            last = ws.receive_json()
    assert last == {"total": 6}
    assert closed == ["done"]


def test_websocket_exception_denies_the_connection() -> None:
    app, _ = make_app()
    with pytest.raises(WebSocketDisconnect) as info, TestClient(app).websocket_connect("/deny"):
        pass
    assert info.value.code == 4403


def test_unknown_websocket_path_is_closed() -> None:
    app, _ = make_app()
    with pytest.raises(WebSocketDisconnect), TestClient(app).websocket_connect("/nope"):
        pass


def test_invalid_json_message_closes_with_1007() -> None:
    app, _ = make_app()
    with TestClient(app).websocket_connect("/strict") as ws:
        ws.send_text("{not json")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.code == 1007
