"""Teardown and background tasks run after the body is sent, on every runner.

The ASGI ``send`` below records the moment each message goes out; the handler, the generator
dependency's teardown and the task record theirs in the same list, so running either of
them before the send (an easy slip when a runner is rewritten for speed) fails here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from covet import BackgroundTask, BackgroundTasks, CovetPy, Depends, JSONResponse

START, BODY = "http.response.start", "http.response.body"


def call(app: CovetPy, events: list[str], path: str, body: bytes = b"") -> None:
    """Run one request straight through the ASGI interface, recording each sent message."""
    headers = [(b"host", b"test")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        events.append(message["type"])

    asyncio.run(app(scope, receive, send))


@dataclass
class Note:
    text: str


def make_app(events: list[str]) -> CovetPy:
    app = CovetPy()

    def session() -> Iterator[str]:
        yield "db"
        events.append("teardown")

    def task(name: str) -> None:
        events.append(name)

    @app.get("/generic")
    async def generic(db: Annotated[str, Depends(session)], tasks: BackgroundTasks) -> Any:
        events.append("handler")
        tasks.add_task(task, "task")
        return {"db": db}

    @app.get("/teardown-only")
    async def teardown_only(db: Annotated[str, Depends(session)]) -> Any:
        events.append("handler")
        return {"db": db}

    @app.get("/tasks-only")
    async def tasks_only(tasks: BackgroundTasks) -> Any:
        events.append("handler")
        tasks.add_task(task, "task")
        return {}

    @app.get("/direct")
    async def direct() -> JSONResponse:
        events.append("handler")
        return JSONResponse({}, background=BackgroundTask(task, "task"))

    @app.get("/query")
    async def query(q: str = "") -> JSONResponse:
        events.append("handler")
        return JSONResponse({"q": q}, background=BackgroundTask(task, "task"))

    @app.post("/json-body")
    async def json_body(note: Note) -> JSONResponse:
        events.append("handler")
        return JSONResponse({"text": note.text}, background=BackgroundTask(task, "task"))

    return app


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/generic", b"", ["handler", START, BODY, "teardown", "task"]),
        ("/teardown-only", b"", ["handler", START, BODY, "teardown"]),
        ("/tasks-only", b"", ["handler", START, BODY, "task"]),
        ("/direct", b"", ["handler", START, BODY, "task"]),
        ("/query?q=x", b"", ["handler", START, BODY, "task"]),
        ("/json-body", json.dumps({"text": "hi"}).encode(), ["handler", START, BODY, "task"]),
    ],
    ids=["generic", "teardown", "tasks", "direct", "query", "json-body"],
)
def test_teardown_and_tasks_run_after_the_body_is_sent(
    path: str, body: bytes, expected: list[str]
) -> None:
    events: list[str] = []
    call(make_app(events), events, path, body)
    assert events == expected
