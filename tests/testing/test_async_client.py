"""AsyncTestClient over HTTP: the same server core, on the caller's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from covet.testing import ASGIProtocolError, AsyncTestClient
from covet.types import ASGIApp, Message, Receive, Scope, Send


def http_only(app: ASGIApp) -> ASGIApp:
    """Make ``app`` ignore lifespan, like an app that does not support it."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await app(scope, receive, send)

    return wrapper


@http_only
async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer with the method, the decoded path and the whole request body."""
    body = b""
    more_body = True
    while more_body:
        message = await receive()
        body += message["body"]
        more_body = message["more_body"]
    headers = [(b"set-cookie", b"visited=yes")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    prefix = f"{scope['method']} {scope['path']} ".encode()
    await send({"type": "http.response.body", "body": prefix, "more_body": True})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def test_get_and_post_echo() -> None:
    async def main() -> tuple[httpx.Response, httpx.Response]:
        async with AsyncTestClient(echo_app) as client:
            return await client.get("/a%20b"), await client.post("/p", content=b"data")

    get, post = asyncio.run(main())

    assert (get.status_code, get.text) == (200, "GET /a b ")
    assert post.text == "POST /p data"
    assert isinstance(get.request, httpx.Request)


def test_async_streamed_request_body_keeps_chunks_and_more_body() -> None:
    received: list[Message] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while not received or received[-1]["more_body"]:
            received.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b"x", b"y"):
            await asyncio.sleep(0)
            yield chunk

    async def main() -> int:
        async with AsyncTestClient(app) as client:
            return (await client.post("/", content=chunks())).status_code

    assert asyncio.run(main()) == 204
    assert received == [
        {"type": "http.request", "body": b"x", "more_body": True},
        {"type": "http.request", "body": b"y", "more_body": False},
    ]


def test_cookies_persist_between_requests() -> None:
    seen: list[Scope] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await echo_app(scope, receive, send)

    async def main() -> None:
        async with AsyncTestClient(app) as client:
            await client.get("/first")
            await client.get("/second")

    asyncio.run(main())

    assert b"cookie" not in dict(seen[0]["headers"])
    assert dict(seen[1]["headers"])[b"cookie"] == b"visited=yes"


def test_requests_run_on_the_callers_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        loops.append(asyncio.get_running_loop())
        await echo_app(scope, receive, send)

    async def main() -> asyncio.AbstractEventLoop:
        async with AsyncTestClient(app) as client:
            await client.get("/")
        return asyncio.get_running_loop()

    assert asyncio.run(main()) is loops[0]


def test_disconnect_waits_for_the_complete_response() -> None:
    order: list[str] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

        async def next_message() -> Message:
            return await receive()

        watcher = asyncio.create_task(next_message())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0)
        order.append(f"watcher done: {watcher.done()}")
        await send({"type": "http.response.body", "body": b"end"})
        order.append((await watcher)["type"])

    async def main() -> str:
        async with AsyncTestClient(app) as client:
            return (await client.get("/")).text

    assert asyncio.run(main()) == "end"
    assert order == ["watcher done: False", "http.disconnect"]


def test_app_exception_reraised_or_500() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise LookupError("no such thing")

    async def raising() -> None:
        async with AsyncTestClient(app) as client:
            await client.get("/")

    async def quiet() -> httpx.Response:
        async with AsyncTestClient(app, raise_server_exceptions=False) as client:
            return await client.get("/")

    with pytest.raises(LookupError, match="no such thing"):
        asyncio.run(raising())
    response = asyncio.run(quiet())
    assert (response.status_code, response.content) == (500, b"")


def test_app_without_response_start_is_a_protocol_error() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def main() -> None:
        async with AsyncTestClient(app) as client:
            await client.get("/twice")

    with pytest.raises(ASGIProtocolError, match="twice"):
        asyncio.run(main())


def test_root_path_and_client_address() -> None:
    seen: list[Scope] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await echo_app(scope, receive, send)

    async def main() -> None:
        async with AsyncTestClient(app, root_path="/v1", client=("1.2.3.4", 9)) as client:
            await client.get("/users?active=1")

    asyncio.run(main())

    assert seen[0]["path"] == "/v1/users"
    assert seen[0]["root_path"] == "/v1"
    assert seen[0]["query_string"] == b"active=1"
    assert seen[0]["client"] == ("1.2.3.4", 9)
