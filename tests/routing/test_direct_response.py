"""The direct runner sends plain Response classes' messages inline, as the generic path does.

A handler taking nothing gets the direct runner, which builds a 200 ``Response``,
``PlainTextResponse``, ``HTMLResponse`` or ``JSONResponse``'s messages itself; the same handler
behind a no-op dependency runs through the planned runner and ``response_messages``. Both must
send the same messages for every class, status, method, header set and background task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from covet import BackgroundTasks, CovetPy, Depends, HTMLResponse, JSONResponse, PlainTextResponse
from covet.responses import Response
from covet.routing.endpoint import PLAIN_RESPONSES
from covet.types import Message, Scope


def nothing() -> None:
    return None


CASES: dict[str, Callable[[list[str]], Any]] = {
    "plain": lambda log: PlainTextResponse("Hello, World!"),
    "html": lambda log: HTMLResponse("<b>hi</b>"),
    "json": lambda log: JSONResponse({"a": [1, 2]}),
    "base": lambda log: Response(b"raw", media_type="application/octet-stream"),
    "empty": lambda log: Response(),
    "created": lambda log: PlainTextResponse("made", status_code=201),
    "no-content": lambda log: Response(status_code=204),
    "headers": lambda log: PlainTextResponse("h", headers={"X-A": "1"}),
    "cookie": lambda log: _with_cookie(),
    "background": lambda log: _with_task(log),
}


def _with_cookie() -> Response:
    response = PlainTextResponse("c")
    response.set_cookie("k", "v")
    return response


def _with_task(log: list[str]) -> Response:
    tasks = BackgroundTasks()
    tasks.add_task(log.append, "task ran")
    return PlainTextResponse("b", background=tasks)


def build(generic: bool, name: str, log: list[str]) -> CovetPy:
    app = CovetPy()
    make = CASES[name]
    if generic:

        @app.route("/r", methods=["GET", "HEAD"])
        async def planned(_: None = Depends(nothing)) -> Any:
            return make(log)
    else:

        @app.route("/r", methods=["GET", "HEAD"])
        async def direct() -> Any:
            return make(log)

    app.build()
    return app


def run(app: CovetPy, method: str, log: list[str]) -> list[Any]:
    sent: list[Any] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        log.append(message["type"])
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/r",
        "raw_path": b"/r",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("name", list(CASES))
def test_direct_runner_sends_what_the_generic_path_sends(name: str, method: str) -> None:
    fast_log: list[str] = []
    generic_log: list[str] = []
    fast_app, generic_app = build(False, name, fast_log), build(True, name, generic_log)
    assert _runner(fast_app) in fast_app.router.self_reporting
    assert _runner(generic_app) not in generic_app.router.self_reporting
    fast = run(fast_app, method, fast_log)
    generic = run(generic_app, method, generic_log)
    assert fast == generic
    assert fast_log == generic_log  # the background task after the body, in both


def _runner(app: CovetPy) -> Any:
    return next(route.app for route in app.router.routes if getattr(route, "path", "") == "/r")


def test_the_inline_classes_keep_the_base_call() -> None:
    assert all(cls.__call__ is Response.__call__ for cls in PLAIN_RESPONSES)
