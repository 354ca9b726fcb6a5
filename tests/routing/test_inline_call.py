"""The app awaits the simplest routes' handlers itself, answering exactly as their runner does.

With no user middleware, a direct route whose handler takes nothing or only path values is
run by ``CovetPy.__call__`` without the runner's coroutine (``router.inline_calls``). With
``router.inline_calls`` emptied the same app awaits the runner (``run_direct``). Every case
must send the same messages (status, headers, body), run the same background tasks, raise
the same error and log the same lines both ways, for GET and HEAD and with failing sends.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from covet import (
    BackgroundTasks,
    CovetPy,
    HTMLResponse,
    HTTPException,
    JSONResponse,
    PlainTextResponse,
    Request,
)
from covet.responses import Response, StreamingResponse
from covet.types import Message, Scope

_ID = re.compile(rb"[0-9a-f]{32}")


def build(inline: bool = True, ran: list[str] | None = None) -> CovetPy:
    app = CovetPy()
    log = ran if ran is not None else []

    @app.exception_handler(ValueError)
    async def on_value_error(request: Any, exc: ValueError) -> PlainTextResponse:
        return PlainTextResponse(f"handled {exc}", status_code=409)

    @app.get("/plain")
    async def plain() -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    @app.get("/html")
    async def html() -> HTMLResponse:
        return HTMLResponse("<p>hi</p>")

    @app.get("/json")
    async def json_() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.get("/json-response")
    async def json_response() -> JSONResponse:
        return JSONResponse([1, "é"], headers={"x-extra": "1"})

    @app.post("/created", status_code=201)
    async def created() -> dict[str, int]:
        return {"id": 1}

    @app.delete("/gone", status_code=204)
    async def gone() -> None:
        return None

    @app.get("/users/{user_id:int}")
    async def user(user_id: int) -> dict[str, int]:
        return {"user_id": user_id}

    @app.get("/sync/{name}")
    def sync(name: str) -> dict[str, str]:
        return {"name": name}

    @app.get("/teapot")
    async def teapot() -> PlainTextResponse:
        return PlainTextResponse("short and stout", status_code=418)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> Any:
            yield b"a"
            yield b"b"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/background")
    async def background() -> PlainTextResponse:
        tasks = BackgroundTasks()
        tasks.add_task(log.append, "task")
        return PlainTextResponse("sent", background=tasks)

    def fail() -> None:
        raise ValueError("in background")

    @app.get("/background-fails")
    async def background_fails() -> Response:
        tasks = BackgroundTasks()
        tasks.add_task(fail)
        return Response(b"sent", background=tasks)

    @app.get("/http")
    async def http() -> None:
        raise HTTPException(418, "teapot", headers={"x-why": "tea"})

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("crash")

    @app.get("/value/{n}")
    async def value(n: str) -> None:
        raise ValueError(n)

    @app.get("/bad-result")
    async def bad_result() -> dict[str, object]:
        return {"not": object()}

    app.build()
    if not inline:
        app.router.inline_calls = {}
    return app


PATHS = [
    "/plain",
    "/html",
    "/json",
    "/json-response",
    "/created",
    "/gone",
    "/users/42",
    "/users/x",
    "/sync/ann",
    "/teapot",
    "/stream",
    "/background",
    "/background-fails",
    "/http",
    "/crash",
    "/value/x",
    "/bad-result",
]
METHODS = {"/created": "POST", "/gone": "DELETE"}


def call(app: CovetPy, path: str, method: str, fail_on: str | None) -> tuple[list[Any], str | None]:
    sent: list[Any] = []

    received: list[bool] = []

    async def receive() -> Message:
        if received:  # a streaming response listens for the disconnect: none comes
            await asyncio.Event().wait()
        received.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == fail_on:
            raise OSError("connection lost")
        copy = dict(message)
        if "body" in copy:  # error bodies and headers carry a random request id
            copy["body"] = _ID.sub(b"<id>", copy["body"])
        if "headers" in copy:
            copy["headers"] = [(name, _ID.sub(b"<id>", value)) for name, value in copy["headers"]]
        sent.append(copy)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
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


@pytest.mark.parametrize("fail_on", [None, "http.response.start", "http.response.body"])
@pytest.mark.parametrize("head", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_inline_call_answers_as_the_runner(
    path: str, head: bool, fail_on: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    method = "HEAD" if head else METHODS.get(path, "GET")
    with caplog.at_level(logging.INFO):
        ran_inline: list[str] = []
        fast = call(build(ran=ran_inline), path, method, fail_on)
        fast_logs = [_ID.sub(b"<id>", r.getMessage().encode()) for r in caplog.records]
        caplog.clear()
        ran_runner: list[str] = []
        runner = call(build(inline=False, ran=ran_runner), path, method, fail_on)
        runner_logs = [_ID.sub(b"<id>", r.getMessage().encode()) for r in caplog.records]
    assert fast == runner
    assert fast_logs == runner_logs
    assert ran_inline == ran_runner


def test_the_simplest_routes_are_inlined_and_others_are_not() -> None:
    app = build()
    runners = {route.path: route.app for route in app.router.routes if hasattr(route, "path")}
    inlined = {path for path, runner in runners.items() if runner in app.router.inline_calls}
    assert {"/plain", "/json", "/users/{user_id:int}", "/sync/{name}", "/stream"} <= inlined

    with_request = CovetPy()

    @with_request.get("/r")
    async def r(request: Request) -> None:
        return None

    with_request.build()
    route = next(
        route for route in with_request.router.routes if getattr(route, "path", "") == "/r"
    )
    assert route.app in with_request.router.self_reporting
    assert route.app not in with_request.router.inline_calls


def test_expected_answers() -> None:
    app = build()
    sent, error = call(app, "/plain", "GET", None)
    assert error is None
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", b"13"),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        },
        {"type": "http.response.body", "body": b"Hello, World!"},
    ]
    sent, _ = call(app, "/plain", "HEAD", None)
    assert sent[1]["body"] == b""
    ran: list[str] = []
    sent, error = call(build(ran=ran), "/background", "GET", None)
    assert (sent[1]["body"], error, ran) == (b"sent", None, ["task"])
    sent, _ = call(app, "/created", "POST", None)
    assert sent[0]["status"] == 201
    sent, _ = call(app, "/gone", "DELETE", None)
    assert sent[0]["status"] == 204
    assert sent[1]["body"] == b""
    assert call(app, "/http", "GET", None)[0][0]["status"] == 418
    assert call(app, "/value/x", "GET", None)[0][0]["status"] == 409
    assert call(app, "/crash", "GET", None)[0][0]["status"] == 500
    assert call(app, "/background-fails", "GET", None)[1] == "ValueError('in background')"
