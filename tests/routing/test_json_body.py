"""The JSON-body runner answers exactly as the generic path does, for good and bad requests.

``create(item)`` takes only a JSON body, so it gets the dedicated runner; ``create_generic``
also takes the Request, which sends it through the generic resolution. Every request below is
sent to both and must get the same status, content type and body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from covet import BackgroundTask, CovetPy, JSONResponse, Limits, Request
from covet.testing import TestClient


@dataclass
class Item:
    name: str
    price: float
    tags: list[str]
    in_stock: bool = True


@dataclass
class Secretive:
    name: str
    password_hash: str


@dataclass
class Public:
    name: str


def build_app() -> CovetPy:
    app = CovetPy(limits=Limits(max_body_size=200, max_json_depth=4))

    @app.post("/fast")
    async def create(item: Item) -> Item:
        return item

    @app.post("/generic")
    async def create_generic(item: Item, request: Request) -> Item:
        return item

    return app


def runner_of(client: TestClient, method: str, path: str) -> str:
    """The name of the function that runs the route (routes compile on the first request)."""
    client.get("/")
    found = client.app.router.match(method, path)
    assert found is not None
    return str(found[0].app.__name__)


CASES: list[tuple[str, bytes, dict[str, str]]] = [
    ("valid", b'{"name": "pen", "price": 2, "tags": ["a"]}', {}),
    ("every field", b'{"name":"pen","price":1.5,"tags":[],"in_stock":false,"x":1}', {}),
    ("whitespace around", b' \n {"name":"p","price":1,"tags":[]} \t', {}),
    ("bad fields", b'{"name": 1, "price": "x", "tags": ["a", 2], "in_stock": "yes"}', {}),
    ("missing fields", b"{}", {}),
    ("not an object", b"[1, 2]", {}),
    ("empty body", b"", {}),
    ("malformed", b'{"name": ', {}),
    ("extra data", b'{"name":"p","price":1,"tags":[]} {}', {}),
    ("too deep", b'{"name":"p","price":1,"tags":[[[[["x"]]]]]}', {}),
    ("NaN", b'{"name":"p","price":NaN,"tags":[]}', {}),
    ("overflowing float", b'{"name":"p","price":1e999,"tags":[]}', {}),
    ("bad UTF-8", b'{"name":"\xff","price":1,"tags":[]}', {}),
    ("lone surrogate", b'{"name":"\\ud800","price":1,"tags":[]}', {}),
    ("too large", b'{"name":"' + b"x" * 300 + b'","price":1,"tags":[]}', {}),
    ("wrong media type", b'{"name":"p","price":1,"tags":[]}', {"content-type": "text/plain"}),
    ("no media type", b'{"name":"p","price":1,"tags":[]}', {"content-type": ""}),
    ("json suffix", b'{"name":"p","price":1,"tags":[]}', {"content-type": "application/x+json"}),
]


@pytest.mark.parametrize(("body", "headers"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_runner_answers_like_the_generic_path(body: bytes, headers: dict[str, str]) -> None:
    client = TestClient(build_app())
    assert runner_of(client, "POST", "/fast") == "run_json_body"
    assert runner_of(client, "POST", "/generic") == "run_planned"
    headers = {"content-type": "application/json", **headers}
    fast = client.post("/fast", content=body, headers=headers)
    generic = client.post("/generic", content=body, headers=headers)

    assert fast.status_code == generic.status_code
    assert fast.headers["content-type"] == generic.headers["content-type"]
    assert fast.json() == {**generic.json(), **_same_instance(fast.json())}


def _same_instance(problem: Any) -> dict[str, Any]:
    # Problem documents name the request's own path; everything else must match.
    return {"instance": problem["instance"]} if "instance" in problem else {}


def test_valid_body_is_validated_converted_and_echoed() -> None:
    response = TestClient(build_app()).post(
        "/fast", json={"name": "pen", "price": 2, "tags": ["a"], "extra": True}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "pen", "price": 2.0, "tags": ["a"], "in_stock": True}
    assert response.content == b'{"name":"pen","price":2.0,"tags":["a"],"in_stock":true}'


def test_bad_body_lists_every_issue_under_body() -> None:
    response = TestClient(build_app()).post("/fast", json={"name": 1, "tags": ["a", 2]})
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["errors"]]
    assert locations == [["body", "name"], ["body", "price"], ["body", "tags", 1]]


def test_body_arriving_in_several_messages_is_joined() -> None:
    app = build_app()
    body = json.dumps({"name": "pen", "price": 1, "tags": ["a", "b"]}).encode()
    chunks = [body[:5], body[5:20], b"", body[20:]]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    status, answer = asyncio.run(_call(app, "/fast", messages))
    assert status == 200
    assert json.loads(answer)["tags"] == ["a", "b"]


def test_declared_oversize_body_is_refused_before_the_rest_arrives() -> None:
    app = build_app()
    first = {"type": "http.request", "body": b'{"name":', "more_body": True}
    # Only one message is available: a runner waiting for the rest would fail the test.
    status, answer = asyncio.run(_call(app, "/fast", [first], content_length=10_000))
    assert status == 413
    assert b"limit of 200 bytes" in answer


@pytest.mark.parametrize("path", ["/fast", "/generic"])
def test_disconnect_while_the_body_arrives_is_not_an_error(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="covet.error")
    app = build_app()
    messages = [
        {"type": "http.request", "body": b'{"name":', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = asyncio.run(_call_raw(app, path, messages))
    assert sent == []  # the client is gone: nothing to answer
    assert [record.levelname for record in caplog.records] == ["INFO"]


async def _call(
    app: CovetPy, path: str, messages: list[dict[str, Any]], content_length: int | None = None
) -> tuple[int, bytes]:
    sent = await _call_raw(app, path, messages, content_length)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


async def _call_raw(
    app: CovetPy, path: str, messages: list[dict[str, Any]], content_length: int | None = None
) -> list[dict[str, Any]]:
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
    }
    pending = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            raise AssertionError("the app asked for more of the body than was sent")
        return pending.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_path_parameters_a_default_body_and_a_sync_handler() -> None:
    app = CovetPy()

    @app.put("/items/{item_id}", status_code=202)
    def replace(item_id: str, item: Item | None = None) -> dict[str, Any]:
        return {"id": item_id, "name": item.name if item else None}

    client = TestClient(app)
    assert runner_of(client, "PUT", "/items/7") == "run_json_body"
    assert client.put("/items/7").json() == {"id": "7", "name": None}
    response = client.put("/items/7", json={"name": "pen", "price": 1, "tags": []})
    assert response.status_code == 202
    assert response.json() == {"id": "7", "name": "pen"}


def test_response_model_filters_and_responses_pass_through() -> None:
    app = CovetPy()

    @app.post("/users", response_model=Public)
    async def create_user(user: Secretive) -> Any:
        return user

    @app.post("/raw")
    async def raw(user: Public) -> JSONResponse:
        return JSONResponse({"raw": user.name}, status_code=201)

    @app.post("/background")
    async def with_background(user: Public) -> JSONResponse:
        return JSONResponse(
            {"queued": user.name}, background=BackgroundTask(done.append, user.name)
        )

    done: list[str] = []
    client = TestClient(app)
    assert runner_of(client, "POST", "/background") == "run_json_body"
    response = client.post("/users", json={"name": "ann", "password_hash": "x"})
    assert response.json() == {"name": "ann"}
    assert client.post("/raw", json={"name": "bob"}).json() == {"raw": "bob"}
    assert client.post("/background", json={"name": "cy"}).json() == {"queued": "cy"}
    assert done == ["cy"]


@pytest.mark.parametrize("path", ["/fast", "/generic"])
def test_declared_oversize_body_is_refused_before_any_of_it_is_asked_for(path: str) -> None:
    # With "Expect: 100-continue" the first receive() makes the server invite the body: an
    # oversize one must be refused first. No message is available: receiving fails the test.
    status, answer = asyncio.run(_call(build_app(), path, [], content_length=10_000))
    assert status == 413
    assert b"limit of 200 bytes" in answer
