"""CovetPy served by real ASGI servers over real sockets: uvicorn, hypercorn and granian."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.sync.client import connect

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = pytest.mark.e2e

DISCONNECT_WAIT = 5.0


def wait_for_file(path: Path, timeout: float) -> bool:
    """Poll until ``path`` exists; return whether it did within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.02)
    return path.exists()


def test_json_route(http: httpx.Client) -> None:
    response = http.get("/json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "hello": "world",
        "unicode": "café ✓",
        "numbers": [1, 2.5, None, True],
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/items/42", {"item_id": 42, "q": None, "tags": []}),
        ("/items/7?q=caf%C3%A9&tag=a&tag=b", {"item_id": 7, "q": "café", "tags": ["a", "b"]}),
        ("/users/bob/files/a/b/c.txt", {"name": "bob", "path": "a/b/c.txt"}),
        ("/users/caf%C3%A9/files/x%20y", {"name": "café", "path": "x y"}),
    ],
    ids=["int-param", "query-params", "path-convertor", "percent-encoded"],
)
def test_path_and_query_params(http: httpx.Client, path: str, expected: dict[str, object]) -> None:
    response = http.get(path)

    assert response.status_code == 200
    assert response.json() == expected


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/items/abc", 404), ("GET", "/nowhere", 404), ("DELETE", "/json", 405)],
    ids=["int-mismatch", "unknown", "wrong-method"],
)
def test_errors_are_problem_details(
    http: httpx.Client, method: str, path: str, status: int
) -> None:
    response = http.request(method, path)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_post_json_echo(http: httpx.Client) -> None:
    payload = {"name": "Zoë", "tags": ["a", "b"], "nested": {"n": [1, 2, {"x": None}]}}

    response = http.post("/echo/json", json=payload)

    assert response.status_code == 200
    assert response.json() == {"received": payload}


def test_chunked_request_body_is_echoed_intact(http: httpx.Client) -> None:
    payload = os.urandom(40_000)
    pieces = [payload[i : i + 4096] for i in range(0, len(payload), 4096)]

    def body() -> Iterator[bytes]:
        yield from pieces

    request = http.build_request("POST", "/echo/body", content=body())
    assert request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in request.headers
    response = http.send(request)

    assert response.status_code == 200
    assert response.content == payload


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("path", "route_limit"),
    [("/echo/body", None), ("/echo/small", 1024)],
    ids=["app-limit", "route-limit"],
)
def test_body_over_the_limit_is_413(
    http: httpx.Client, server: LiveServer, chunked: bool, path: str, route_limit: int | None
) -> None:
    size = (route_limit or server.body_limit) + 1
    payload = b"x" * size
    content: bytes | Iterator[bytes] = iter([payload[:500], payload[500:]]) if chunked else payload

    response = http.post(path, content=content)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_body_at_the_route_limit_is_accepted(http: httpx.Client) -> None:
    response = http.post("/echo/small", content=b"y" * 1024)

    assert response.status_code == 200
    assert response.content == b"y" * 1024


def test_streaming_response_arrives_in_chunks(http: httpx.Client) -> None:
    arrivals: list[tuple[float, bytes]] = []
    with http.stream("GET", "/stream") as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            arrivals.append((time.monotonic(), chunk))

    body = b"".join(chunk for _, chunk in arrivals)
    assert body == b"".join(f"chunk-{i}\n".encode() for i in range(5))
    assert len(arrivals) >= 3
    assert arrivals[-1][0] - arrivals[0][0] >= 0.1


def test_client_disconnect_stops_the_generator(server: LiveServer) -> None:
    token = uuid.uuid4().hex
    started = server.marker_dir / f"{token}.started"
    stopped = server.marker_dir / f"{token}.stopped"

    with (
        httpx.Client(base_url=server.url, timeout=10.0) as client,
        client.stream("GET", "/slow-stream", params={"token": token}) as response,
    ):
        chunks = response.iter_raw()  # kept: dropping the iterator closes the response
        assert next(chunks).startswith(b"tick-0")
        assert next(chunks).startswith(b"tick-1")
        assert started.exists()
        assert not stopped.exists()

    assert wait_for_file(stopped, DISCONNECT_WAIT), "the generator kept running"
    assert not (server.marker_dir / f"{token}.completed").exists()


def test_unhandled_exception_is_a_generic_500(http: httpx.Client, server: LiveServer) -> None:
    response = http.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 500
    assert problem["request_id"] == response.headers["x-request-id"]
    raw = response.text + json.dumps(dict(response.headers))
    for leak in (server.secret, "RuntimeError", "password", "Traceback"):
        assert leak not in raw


def test_head_has_no_body_but_content_length(http: httpx.Client) -> None:
    expected = http.get("/json").content

    response = http.head("/json")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(expected))


def test_multipart_upload_is_echoed(http: httpx.Client) -> None:
    response = http.post(
        "/upload",
        data={"title": "report", "lang": "fr"},
        files={
            "doc": ("report.pdf", os.urandom(5000), "application/pdf"),
            "empty": ("empty.txt", b"", "text/plain"),
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "fields": {"title": "report", "lang": "fr"},
        "files": {
            "doc": {"filename": "report.pdf", "size": 5000, "content_type": "application/pdf"},
            "empty": {"filename": "empty.txt", "size": 0, "content_type": "text/plain"},
        },
    }


def test_lifespan_state_is_visible_in_requests(http: httpx.Client) -> None:
    response = http.get("/state")

    assert response.status_code == 200
    state = response.json()
    assert state["greeting"] == "hello from lifespan"
    assert state["server_pid"] != os.getpid()


def test_client_address_is_the_real_peer(http: httpx.Client) -> None:
    response = http.get("/client")

    assert response.json() == {"host": "127.0.0.1"}


def test_websocket_echoes_text(server: LiveServer) -> None:
    with connect(server.ws_url + "/ws/echo", open_timeout=5) as ws:
        ws.send("hello")
        first = ws.recv(timeout=5)
        ws.send("ünïcødé ✓")
        second = ws.recv(timeout=5)

    assert (first, second) == ("hello", "ünïcødé ✓")


def test_websocket_echoes_json_with_lifespan_state(server: LiveServer) -> None:
    with connect(server.ws_url + "/ws/json", open_timeout=5) as ws:
        ws.send(json.dumps({"n": [1, 2, 3]}))
        reply = json.loads(ws.recv(timeout=5))

    assert reply == {"echo": {"n": [1, 2, 3]}, "greeting": "hello from lifespan"}


def test_root_path_from_the_server_is_in_urls(root_path_server: LiveServer) -> None:
    base = root_path_server.url

    response = httpx.get(base + "/where", timeout=10.0)

    assert response.status_code == 200
    where = response.json()
    assert where["url"] == base + "/api/where"
    assert where["root_path"] == "/api"
    assert where["url_for"] == base + "/api/items/7"
    assert httpx.get(base + "/items/7", timeout=10.0).json()["item_id"] == 7


def test_root_path_of_the_app_is_in_urls(prefixed_server: LiveServer) -> None:
    base = prefixed_server.url

    response = httpx.get(base + "/api/where", timeout=10.0)

    assert response.status_code == 200
    assert response.json() == {
        "url": base + "/api/where",
        "root_path": "/api",
        "url_for": base + "/api/items/7",
        "url_path_for": "/api/items/7",
    }
