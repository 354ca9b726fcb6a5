"""WebSocket sessions on TestClient and AsyncTestClient."""

from __future__ import annotations

import asyncio
import json

import pytest

from covet.exceptions import WebSocketDisconnect
from covet.testing import (
    ASGIProtocolError,
    AsyncTestClient,
    TestClient,
    WebSocketRejectedError,
)
from covet.types import ASGIApp, Receive, Scope, Send


def websocket_only(app: ASGIApp) -> ASGIApp:
    """Make ``app`` ignore lifespan, like an app that does not support it."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await app(scope, receive, send)

    return wrapper


@websocket_only
async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Accept, then echo every frame back until the client disconnects."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        reply = {"type": "websocket.send"}
        if message.get("text") is not None:
            reply["text"] = message["text"]
        else:
            reply["bytes"] = message["bytes"]
        await send(reply)


def test_echo_text_and_bytes() -> None:
    with TestClient(echo_app) as client, client.websocket_connect("/ws") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_bytes() == b"\x00\x01"
        ws.send_text("raw")
        assert ws.receive() == {"type": "websocket.send", "text": "raw"}


@pytest.mark.parametrize("mode", ["text", "binary"], ids=["text-frames", "binary-frames"])
def test_echo_json(mode: str) -> None:
    with TestClient(echo_app) as client, client.websocket_connect("/ws") as ws:
        ws.send_json({"n": [1, 2], "s": "é"}, mode=mode)  # type: ignore[arg-type]
        assert ws.receive_json(mode=mode) == {"n": [1, 2], "s": "é"}  # type: ignore[arg-type]


def test_send_json_is_compact_text() -> None:
    with TestClient(echo_app) as client, client.websocket_connect("/ws") as ws:
        ws.send_json({"a": 1, "b": [1, 2]})
        assert ws.receive_text() == json.dumps({"a": 1, "b": [1, 2]}, separators=(",", ":"))


def test_receive_text_rejects_binary_frame() -> None:
    with TestClient(echo_app) as client, client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"bin")
        with pytest.raises(TypeError, match="text frame"):
            ws.receive_text()


def test_websocket_scope() -> None:
    seen: list[Scope] = []

    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    with (
        TestClient(app, root_path="/api", cookies={"sid": "1"}) as client,
        client.websocket_connect("/chat%20room?token=t", headers={"x-extra": "e"}),
    ):
        pass

    scope = seen[0]
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert scope["path"] == "/api/chat room"
    assert scope["raw_path"] == b"/api/chat%20room"
    assert scope["root_path"] == "/api"
    assert scope["query_string"] == b"token=t"
    assert scope["subprotocols"] == []
    assert scope["client"] == ("testclient", 50000)
    assert scope["server"] == ("testserver", 80)
    headers = dict(scope["headers"])
    assert headers[b"upgrade"] == b"websocket"
    assert headers[b"x-extra"] == b"e"
    assert headers[b"cookie"] == b"sid=1"
    assert headers[b"host"] == b"testserver"


def test_wss_scheme_for_https_base_url() -> None:
    seen: list[Scope] = []

    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await receive()
        await send({"type": "websocket.accept"})

    with (
        TestClient(app, base_url="https://secure") as client,
        client.websocket_connect("/ws"),
    ):
        pass

    assert seen[0]["scheme"] == "wss"
    assert seen[0]["server"] == ("secure", 443)


def test_subprotocol_selection_and_accept_headers() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        chosen = next(p for p in scope["subprotocols"] if p.startswith("v2"))
        await send(
            {"type": "websocket.accept", "subprotocol": chosen, "headers": [(b"x-ws", b"1")]}
        )
        await receive()

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["v1.chat", "v2.chat"]) as ws,
    ):
        assert ws.accepted_subprotocol == "v2.chat"
        assert ws.extra_headers == [(b"x-ws", b"1")]
        assert ws.scope["subprotocols"] == ["v1.chat", "v2.chat"]
        assert dict(ws.scope["headers"])[b"sec-websocket-protocol"] == b"v1.chat, v2.chat"


def test_app_close_after_accept_raises_disconnect_with_code() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye"})
        await send({"type": "websocket.close", "code": 4001, "reason": "go away"})

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "bye"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert (info.value.code, info.value.reason) == (4001, "go away")
        with pytest.raises(WebSocketDisconnect) as again:
            ws.receive_bytes()
        assert again.value.code == 4001


def test_raw_receive_returns_the_close_message() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1001})
        assert (await receive())["type"] == "websocket.disconnect"

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        assert ws.receive() == {"type": "websocket.close", "code": 1001}


def test_app_returning_without_close_reads_as_abnormal_closure() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 1006


def test_denial_before_accept_raises_rejected_with_code() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 4403, "reason": "forbidden"})

    with TestClient(app) as client:
        with pytest.raises(WebSocketRejectedError) as info, client.websocket_connect("/ws"):
            pytest.fail("the block must not run when the app denies the connection")
        assert (info.value.code, info.value.reason) == (4403, "forbidden")
        assert isinstance(info.value, WebSocketDisconnect)


def test_client_close_sends_disconnect_code_to_the_app() -> None:
    received: list[dict[str, object]] = []

    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        received.append(dict(await receive()))

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        ws.close(code=4000, reason="done")

    assert received == [{"type": "websocket.disconnect", "code": 4000, "reason": "done"}]


def test_leaving_the_block_disconnects_with_1000() -> None:
    received: list[dict[str, object]] = []

    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        received.append(dict(await receive()))

    with TestClient(app) as client, client.websocket_connect("/ws"):
        pass

    assert received == [{"type": "websocket.disconnect", "code": 1000}]


def test_app_exception_is_reraised_when_the_block_exits() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise ValueError("ws handler crashed")

    with (
        TestClient(app) as client,
        pytest.raises(ValueError, match="ws handler crashed"),
        client.websocket_connect("/ws") as ws,
    ):
        ws.send_text("boom")


def test_app_exception_surfaces_from_receive() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        raise KeyError("missing")

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws") as ws,
        pytest.raises(KeyError, match="missing"),
    ):
        ws.receive_text()  # the block's exit must not raise the same error again


def test_sending_data_before_accept_is_a_protocol_error() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.send", "text": "too early"})

    with (
        TestClient(app) as client,
        pytest.raises(ASGIProtocolError, match=r"'websocket\.send'"),
        client.websocket_connect("/ws"),
    ):
        pass


def test_websocket_uses_lifespan_state() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            scope["state"]["greeting"] = "hi"
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": scope["state"]["greeting"]})
        await receive()

    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hi"


def test_async_websocket_echo_and_close_code() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept", "subprotocol": "chat"})
        message = await receive()
        await send({"type": "websocket.send", "text": message["text"].upper()})
        await send({"type": "websocket.close", "code": 4002})

    async def main() -> tuple[str, str | None, int]:
        async with (
            AsyncTestClient(app) as client,
            client.websocket_connect("/ws", subprotocols=["chat"]) as ws,
        ):
            await ws.send_text("shout")
            text = await ws.receive_text()
            with pytest.raises(WebSocketDisconnect) as info:
                await ws.receive_text()
            return text, ws.accepted_subprotocol, info.value.code

    assert asyncio.run(main()) == ("SHOUT", "chat", 4002)


def test_async_websocket_json_and_denial() -> None:
    @websocket_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        if scope["path"] == "/denied":
            await send({"type": "websocket.close", "code": 4003})
            return
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "bytes": message["bytes"]})
        await receive()

    async def main() -> object:
        async with AsyncTestClient(app) as client:
            with pytest.raises(WebSocketRejectedError) as info:
                async with client.websocket_connect("/denied"):
                    pytest.fail("the block must not run when the app denies the connection")
            assert info.value.code == 4003
            async with client.websocket_connect("/ws") as ws:
                await ws.send_json([1, "two"], mode="binary")
                return await ws.receive_json(mode="binary")

    assert asyncio.run(main()) == [1, "two"]
