"""The Request object through real requests: parsing, limits and laziness."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from covet import CovetPy, Limits, Request
from covet.exceptions import ClientDisconnectError
from covet.testing import TestClient
from covet.types import Message


def echo_app(**kwargs: Any) -> CovetPy:
    app = CovetPy(**kwargs)

    @app.route("/inspect", methods=["GET", "POST"])
    async def inspect_request(request: Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "url": str(request.url),
            "path": request.url.path,
            "query": request.query_params.multi_items(),
            "last_a": request.query_params.get("a"),
            "all_a": request.query_params.getlist("a"),
            "accept": request.headers.getlist("x-multi"),
            "content_type": request.headers.get("Content-Type"),
            "cookies": request.cookies,
            "client": list(request.client) if request.client else None,
        }

    @app.post("/json")
    async def read_json(request: Request) -> Any:
        return await request.json()

    @app.post("/body")
    async def read_body(request: Request) -> dict[str, Any]:
        body = await request.body()
        again = await request.body()
        return {"size": len(body), "same": body == again}

    @app.post("/stream")
    async def read_stream(request: Request) -> list[int]:
        return [len(chunk) async for chunk in request.stream()]

    @app.post("/small", max_body_size=10)
    async def small(request: Request) -> int:
        return len(await request.body())

    @app.post("/form")
    async def read_form(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {
            key: [v if isinstance(v, str) else f"{v.filename}:{v.size}" for v in form.getlist(key)]
            for key in form
        }

    return app


def test_url_query_headers_cookies_client() -> None:
    client = TestClient(echo_app(), cookies={"session": "abc"})
    response = client.get(
        "/inspect?a=1&b=x%20y&a=2&c=",
        headers=[("X-Multi", "one"), ("X-Multi", "two")],  # type: ignore[arg-type]
    )
    data = response.json()
    assert data["method"] == "GET"
    assert data["url"] == "http://testserver/inspect?a=1&b=x%20y&a=2&c="
    assert data["path"] == "/inspect"
    assert data["query"] == [["a", "1"], ["b", "x y"], ["a", "2"], ["c", ""]]
    assert data["last_a"] == "2"
    assert data["all_a"] == ["1", "2"]
    assert data["accept"] == ["one", "two"]
    assert data["cookies"] == {"session": "abc"}
    assert data["client"] == ["testclient", 50000]


def test_json_body_and_content_type_rules() -> None:
    client = TestClient(echo_app())
    assert client.post("/json", json={"a": [1, 2, {"b": None}]}).json() == {
        "a": [1, 2, {"b": None}]
    }
    vendor = client.post(
        "/json", content=b'{"x": 1}', headers={"content-type": "application/vnd.api+json"}
    )
    assert vendor.json() == {"x": 1}
    plain = client.post("/json", content=b'{"x": 1}', headers={"content-type": "text/plain"})
    assert plain.status_code == 415
    missing = client.post("/json", content=b'{"x": 1}')
    assert missing.status_code == 415


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Invalid JSON"),
        (b"[" * 100 + b"]" * 100, "deeper than 64"),
        (b"[" * 100_000, "deeper than 64"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "deeper than 64"),
        (b'[{"a":' * 33 + b"1" + b"}]" * 33, "deeper than 64"),
        (b"1" * 5000, "more than 100 digits"),
        (b"[NaN]", "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b"\xff\xfe", "UTF-8"),
    ],
    ids=[
        "syntax",
        "deep",
        "very-deep",
        "deep-objects",
        "deep-mixed",
        "huge-number",
        "nan",
        "infinity",
        "bad-utf8",
    ],
)
def test_malformed_json_is_400(body: bytes, message: str) -> None:
    response = TestClient(echo_app()).post(
        "/json", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":' * 64 + b"1" + b"}" * 64,
        b"[" * 64 + b"]" * 64,
        b'{"s": "' + b"{[" * 200 + b'"}',
    ],
    ids=["objects-at-the-limit", "arrays-at-the-limit", "brackets-in-a-string"],
)
def test_json_within_the_depth_limit_is_accepted(body: bytes) -> None:
    response = TestClient(echo_app()).post(
        "/json", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200


def test_json_limits_are_settings() -> None:
    app = echo_app(limits=Limits(max_json_depth=200, max_number_digits=10_000))
    client = TestClient(app)
    deep = b"[" * 150 + b"]" * 150
    assert (
        client.post("/json", content=deep, headers={"content-type": "application/json"}).status_code
        == 200
    )
    big = b"9" * 4000
    response = client.post("/json", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 200


def test_body_is_cached_and_streamed_in_chunks() -> None:
    client = TestClient(echo_app())
    assert client.post("/body", content=b"x" * 1000).json() == {"size": 1000, "same": True}

    def chunks() -> Iterator[bytes]:
        yield b"a" * 3
        yield b"b" * 5

    assert client.post("/stream", content=chunks()).json() == [3, 5]


def test_body_limit_per_app_and_per_route() -> None:
    client = TestClient(echo_app(limits=Limits(max_body_size=100)))
    assert client.post("/body", content=b"x" * 100).status_code == 200
    response = client.post("/body", content=b"x" * 101)
    assert response.status_code == 413
    assert client.post("/small", content=b"x" * 10).json() == 10
    assert client.post("/small", content=b"x" * 11).status_code == 413

    def chunked() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 10

    assert client.post("/body", content=chunked()).status_code == 413


def test_body_limit_counts_bytes_received_not_content_length() -> None:
    app = echo_app(limits=Limits(max_body_size=50))
    messages: list[Message] = [
        {"type": "http.request", "body": b"x" * 40, "more_body": True},
        {"type": "http.request", "body": b"x" * 40, "more_body": False},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/body",
        "raw_path": b"/body",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", b"5")],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413


def test_too_many_query_params_is_400() -> None:
    client = TestClient(echo_app(limits=Limits(max_query_params=10)))
    assert client.get("/inspect?" + "&".join(f"k{i}=1" for i in range(10))).status_code == 200
    assert client.get("/inspect?" + "&".join(f"k{i}=1" for i in range(11))).status_code == 400


def test_urlencoded_form() -> None:
    client = TestClient(echo_app())
    response = client.post("/form", data={"name": "Ann Lee", "tags": ["a", "b"]})
    assert response.json() == {"name": ["Ann Lee"], "tags": ["a", "b"]}


def test_multipart_form_with_file() -> None:
    client = TestClient(echo_app())
    response = client.post(
        "/form", data={"title": "hi"}, files={"upload": ("notes.txt", b"hello", "text/plain")}
    )
    data = response.json()
    assert data["title"] == ["hi"]
    assert data["upload"] == ["notes.txt:5"]


def test_client_disconnect_while_reading_body() -> None:
    async def run() -> None:
        messages: list[Message] = [
            {"type": "http.request", "body": b"part", "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> Message:
            return messages.pop(0)

        request = Request({"type": "http", "method": "POST", "headers": []}, receive)
        with pytest.raises(ClientDisconnectError):
            await request.body()

    asyncio.run(run())


def test_is_disconnected_does_not_lose_body() -> None:
    async def run() -> None:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        await queue.put({"type": "http.request", "body": b"hello", "more_body": False})
        request = Request({"type": "http", "method": "POST", "headers": []}, queue.get)
        assert await request.is_disconnected() is False
        assert await request.body() == b"hello"
        assert await request.is_disconnected() is False
        await queue.put({"type": "http.disconnect"})
        assert await request.is_disconnected() is True

    asyncio.run(run())


def test_request_is_a_read_only_view_of_the_scope() -> None:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "headers": [], "path": "/"}
    request = Request(scope)
    assert request["path"] == "/"
    assert dict(request) == scope
    assert json.loads(json.dumps(request.path_params)) == {}
