"""WebSocket routes through the TestClient."""

from __future__ import annotations

from typing import Annotated

import pytest

from covet import (
    CovetPy,
    Depends,
    Header,
    HTTPException,
    Query,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
)
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


def token(x_token: Annotated[str, Header()]) -> str:
    if x_token != "secret":
        raise HTTPException(401, "bad token")
    return x_token


def test_invalid_parameters_close_with_1008_and_say_why(caplog: pytest.LogCaptureFixture) -> None:
    app = CovetPy()

    @app.websocket("/feed/{room}")
    async def feed(
        ws: WebSocket, user: Annotated[str, Depends(token)], limit: Annotated[int, Query(le=9)]
    ) -> None:
        await ws.accept()
        await ws.send_text(f"{user}:{limit}")

    client = TestClient(app)
    with pytest.raises(WebSocketDisconnect) as invalid, client.websocket_connect("/feed/a?limit=x"):
        pass
    assert invalid.value.code == 1008
    assert invalid.value.reason == (
        "header.x-token: Field required; query.limit: Input should be a valid integer, "
        "unable to parse string"
    )
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/feed/a?limit=1", headers={"x-token": "no"}),
    ):
        pass
    assert (refused.value.code, refused.value.reason) == (1008, "bad token")
    with client.websocket_connect("/feed/a?limit=1", headers={"x-token": "secret"}) as ws:
        assert ws.receive_text() == "secret:1"
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


def test_a_long_close_reason_is_cut_to_fit_the_frame() -> None:
    app = CovetPy()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, name: Annotated[str, Query(max_length=1)]) -> None:
        await websocket.accept()

    with (
        pytest.raises(WebSocketDisconnect) as info,
        TestClient(app).websocket_connect("/ws?name=" + "é" * 200),
    ):
        pass
    assert info.value.code == 1008
    assert len(info.value.reason.encode()) <= 123
    assert info.value.reason.startswith("query.name: String should have at most 1 character")
