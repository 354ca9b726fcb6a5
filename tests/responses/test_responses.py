"""Response classes through real requests."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from enum import Enum

import pytest

from covet import (
    BackgroundTasks,
    CovetPy,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from covet.testing import TestClient
from covet.types import Message


class Color(Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_return_values_become_json_like_fastapi() -> None:
    app = CovetPy()

    @app.get("/dict")
    async def as_dict() -> dict[str, int]:
        return {"a": 1}

    @app.get("/list")
    async def as_list() -> list[int]:
        return [1, 2]

    @app.get("/none")
    async def as_none() -> None:
        return None

    @app.get("/str")
    async def as_str() -> str:
        return "héllo"

    @app.get("/dataclass")
    async def as_dataclass() -> Point:
        return Point(1, 2)

    @app.get("/rich")
    def rich() -> dict[str, object]:
        return {
            "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "id": uuid.UUID(int=1),
            "price": Decimal("9.99"),
            "color": Color.RED,
        }

    @app.post("/created", status_code=201)
    async def created() -> dict[str, bool]:
        return {"created": True}

    @app.delete("/gone", status_code=204)
    async def gone() -> None:
        return None

    client = TestClient(app)
    assert client.get("/dict").json() == {"a": 1}
    assert client.get("/list").json() == [1, 2]
    assert client.get("/none").content == b"null"
    response = client.get("/str")
    assert response.content == '"héllo"'.encode()
    assert response.headers["content-type"] == "application/json"
    assert client.get("/dataclass").json() == {"x": 1, "y": 2}
    assert client.get("/rich").json() == {
        "when": "2026-01-02T03:04:05+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "price": "9.99",
        "color": "red",
    }
    created_response = client.post("/created")
    assert created_response.status_code == 201
    no_content = client.delete("/gone")
    assert no_content.status_code == 204
    assert no_content.content == b""
    assert "content-length" not in no_content.headers


def test_response_classes() -> None:
    app = CovetPy()

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("hi", headers={"X-Extra": "1"})

    @app.get("/html")
    async def html() -> HTMLResponse:
        return HTMLResponse("<h1>hi</h1>")

    @app.get("/json")
    async def json_response() -> JSONResponse:
        return JSONResponse({"k": "ü"}, status_code=202)

    @app.get("/raw")
    async def raw() -> Response:
        return Response(b"\x00\x01", media_type="application/octet-stream")

    @app.get("/redirect")
    async def redirect() -> RedirectResponse:
        return RedirectResponse("/target?x=1 2")

    client = TestClient(app, follow_redirects=False)
    text_response = client.get("/text")
    assert text_response.headers["content-type"] == "text/plain; charset=utf-8"
    assert text_response.headers["x-extra"] == "1"
    assert client.get("/html").headers["content-type"] == "text/html; charset=utf-8"
    json_response_ = client.get("/json")
    assert json_response_.status_code == 202
    assert json_response_.content == '{"k":"ü"}'.encode()
    assert client.get("/raw").content == b"\x00\x01"
    redirect_response = client.get("/redirect")
    assert redirect_response.status_code == 307
    assert redirect_response.headers["location"] == "/target?x=1%202"


@pytest.mark.parametrize(
    "value",
    ["ok\r\nSet-Cookie: evil=1", "ok\nX-Injected: 1", "ok\rX-Injected: 1", "ok\x00"],
    ids=["crlf", "lf", "bare-cr", "nul"],
)
def test_header_values_with_control_characters_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        Response("x", headers={"X-Name": value})
    response = Response("x")
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        response.headers["X-Name"] = value
    with pytest.raises(ValueError, match="Invalid header name"):
        response.headers["Bad Name"] = "v"


def test_cookies_have_secure_defaults_and_can_be_deleted() -> None:
    app = CovetPy()

    @app.get("/login")
    async def login() -> Response:
        response = PlainTextResponse("ok")
        response.set_cookie("session", "abc 123", max_age=60)
        response.set_cookie("pref", "dark", httponly=False, samesite="strict", secure=False)
        return response

    @app.get("/logout")
    async def logout() -> Response:
        response = PlainTextResponse("bye")
        response.delete_cookie("session")
        return response

    client = TestClient(app)
    cookies = client.get("/login").headers.get_list("set-cookie")
    assert cookies[0].startswith('session="abc 123"')
    for attribute in ("Max-Age=60", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookies[0]
    assert "HttpOnly" not in cookies[1]
    assert "SameSite=Strict" in cookies[1]
    deleted = client.get("/logout").headers["set-cookie"]
    assert "Max-Age=0" in deleted
    with pytest.raises(ValueError, match="samesite"):
        Response().set_cookie("a", "b", samesite="bogus")  # type: ignore[arg-type]


def test_streaming_response_sync_and_async_iterators() -> None:
    app = CovetPy()

    async def numbers() -> AsyncIterator[str]:
        for i in range(3):
            yield f"{i},"

    def letters() -> Iterator[bytes]:
        yield b"a"
        yield b"b"

    @app.get("/async")
    async def async_stream() -> StreamingResponse:
        return StreamingResponse(numbers(), media_type="text/plain")

    @app.get("/sync")
    async def sync_stream() -> StreamingResponse:
        return StreamingResponse(letters())

    client = TestClient(app)
    response = client.get("/async")
    assert response.text == "0,1,2,"
    assert "content-length" not in response.headers
    assert client.get("/sync").content == b"ab"
    assert client.head("/async").content == b""


def test_streaming_stops_when_the_client_disconnects() -> None:
    produced: list[int] = []
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            i = 0
            while True:
                produced.append(i)
                i += 1
                yield b"x"
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    async def run() -> None:
        response = StreamingResponse(endless())
        disconnect = asyncio.Event()

        async def receive() -> Message:
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if len(produced) >= 5:
                disconnect.set()

        scope = {"type": "http", "method": "GET", "headers": []}
        await asyncio.wait_for(response(scope, receive, send), timeout=5)
        await asyncio.wait_for(closed.wait(), timeout=5)

    asyncio.run(run())
    assert 5 <= len(produced) < 100


def test_background_tasks_run_after_the_response() -> None:
    events: list[str] = []
    app = CovetPy()

    def write_log(message: str) -> None:
        events.append(message)

    async def notify(who: str) -> None:
        events.append(f"notified {who}")

    @app.post("/signup")
    async def signup(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(write_log, "signed up")
        tasks.add_task(notify, who="ann")
        events.append("handler")
        return {"status": "ok"}

    assert TestClient(app).post("/signup").json() == {"status": "ok"}
    assert events == ["handler", "signed up", "notified ann"]


@pytest.mark.parametrize("length", [0, 13, 4095, 4096, 10_000])
def test_plain_responses_content_length_cached_or_not(length: int) -> None:
    for _ in range(2):  # the second time from the cache, when the length is cached
        response = PlainTextResponse("x" * length)
        assert response.raw_headers == [
            (b"content-length", str(length).encode()),
            (b"content-type", b"text/plain; charset=utf-8"),
        ]
