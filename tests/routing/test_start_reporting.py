"""The direct runner reports its response's start itself; errors answer as through a wrapper.

With no user middleware the app handles errors inline and, for a direct-runner route, passes
the server's ``send`` on unwrapped, learning from the scope whether the response started.
With ``router.self_reporting`` emptied the same app takes the generic path (a wrapper around
``send`` tracks the start): every case must send the same messages, raise the same error and
log the same lines both ways.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from covet import BackgroundTasks, CovetPy, HTTPException, PlainTextResponse, Request
from covet.responses import Response
from covet.types import Message, Receive, Scope, Send


class FailsBeforeStart(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(418, "before")


class FailsAfterStart(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("after")


def build(generic: bool = False) -> CovetPy:
    app = CovetPy()

    @app.exception_handler(ValueError)
    async def on_value_error(request: Request, exc: ValueError) -> PlainTextResponse:
        return PlainTextResponse(f"handled {exc}", status_code=409)

    @app.get("/ok")
    async def ok() -> PlainTextResponse:
        return PlainTextResponse("fine")

    @app.get("/http")
    async def http() -> None:
        raise HTTPException(418, "teapot")

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("crash")

    @app.get("/value/{n}")
    async def value(n: str) -> None:
        raise ValueError(n)

    @app.get("/request")
    async def with_request(request: Request) -> None:
        raise ValueError(request.url.path)

    def fail() -> None:
        raise ValueError("in background")

    @app.get("/background")
    async def background() -> PlainTextResponse:
        tasks = BackgroundTasks()
        tasks.add_task(fail)
        return PlainTextResponse("sent", background=tasks)

    @app.get("/own-before")
    async def own_before() -> Response:
        return FailsBeforeStart()

    @app.get("/own-after")
    async def own_after() -> Response:
        return FailsAfterStart()

    app.build()
    if generic:
        app.router.self_reporting = frozenset()
        app.router.inline_calls = {}
    return app


def call(app: CovetPy, path: str, fail_on: str | None = None) -> tuple[list[Any], str | None]:
    sent: list[Any] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == fail_on:
            raise OSError("connection lost")
        body = message.get("body")
        if body is not None:  # error bodies carry a random request id
            body = re.sub(rb"[0-9a-f]{32}", b"<id>", body)
        sent.append((message["type"], message.get("status"), body))

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    try:
        asyncio.run(app(scope, receive, send))
    except Exception as exc:
        return sent, repr(exc)
    return sent, None


_ID = re.compile(r"[0-9a-f]{32}")
PATHS = ["/ok", "/http", "/crash", "/value/x", "/request", "/background"]
PATHS += ["/own-before", "/own-after", "/missing"]


@pytest.mark.parametrize("fail_on", [None, "http.response.start", "http.response.body"])
@pytest.mark.parametrize("path", PATHS)
def test_unwrapped_send_answers_as_the_tracking_wrapper(
    path: str, fail_on: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        fast = call(build(), path, fail_on)
        fast_logs = [_ID.sub("<id>", record.getMessage()) for record in caplog.records]
        caplog.clear()
        generic = call(build(generic=True), path, fail_on)
        generic_logs = [_ID.sub("<id>", record.getMessage()) for record in caplog.records]
    assert fast == generic
    assert fast_logs == generic_logs


def test_the_direct_routes_take_the_unwrapped_send() -> None:
    app = build()
    apps = {route.path: route.app for route in app.router.routes if hasattr(route, "path")}
    assert {path for path, runner in apps.items() if runner in app.router.self_reporting} >= {
        "/ok",
        "/http",
        "/crash",
        "/value/{n}",
        "/request",
        "/background",
        "/own-before",
        "/own-after",
    }


def test_expected_answers() -> None:
    app = build()
    assert call(app, "/ok")[0][0][1] == 200
    assert call(app, "/http")[0][0][1] == 418
    assert call(app, "/value/x")[0] == [
        ("http.response.start", 409, None),
        ("http.response.body", None, b"handled x"),
    ]
    sent, error = call(app, "/background")
    assert [status for _, status, _ in sent] == [200, None]
    assert error == "ValueError('in background')"
    sent, error = call(app, "/own-after")
    assert [status for _, status, _ in sent] == [200]
    assert error == "RuntimeError('after')"
    assert call(app, "/own-before")[0][0][1] == 418
