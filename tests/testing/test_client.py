"""TestClient over HTTP, against hand-written ASGI apps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from covet.testing import ASGIProtocolError, TestClient
from covet.types import ASGIApp, Message, Receive, Scope, Send


def http_only(app: ASGIApp) -> ASGIApp:
    """Make ``app`` ignore lifespan, like an app that does not support it."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await app(scope, receive, send)

    return wrapper


async def send_text(send: Send, body: bytes, status: int = 200, headers: Any = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if not message.get("more_body", False):
            break
    return b"".join(m.get("body", b"") for m in messages), messages


def scope_echo_app() -> tuple[list[Scope], Any]:
    seen: list[Scope] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send_text(send, b"ok")

    return seen, app


def test_get_returns_status_headers_and_body() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send_text(send, b"hello", status=201, headers=[(b"x-app", b"yes")])

    with TestClient(app) as client:
        response = client.get("/")

    assert response.status_code == 201
    assert response.headers["x-app"] == "yes"
    assert response.text == "hello"
    assert response.http_version == "HTTP/1.1"


def test_post_body_is_echoed() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, _ = await read_body(receive)
        await send_text(send, scope["method"].encode() + b":" + body)

    client = TestClient(app)
    response = client.post("/echo", content=b"payload")
    client.close()

    assert response.text == "POST:payload"


def test_empty_body_is_one_message_without_more_body() -> None:
    received: list[Message] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        _, messages = await read_body(receive)
        received.extend(messages)
        await send_text(send, b"")

    with TestClient(app) as client:
        client.get("/")

    assert received == [{"type": "http.request", "body": b"", "more_body": False}]


def test_streamed_request_body_arrives_in_order_with_more_body() -> None:
    received: list[Message] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        _, messages = await read_body(receive)
        received.extend(messages)
        await send_text(send, b"done")

    def chunks() -> Iterator[bytes]:
        yield b"one"
        yield b""  # empty chunks are not forwarded
        yield b"two"
        yield b"three"

    with TestClient(app) as client:
        client.post("/upload", content=chunks())

    assert received == [
        {"type": "http.request", "body": b"one", "more_body": True},
        {"type": "http.request", "body": b"two", "more_body": True},
        {"type": "http.request", "body": b"three", "more_body": False},
    ]


def test_streamed_response_body_is_joined() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a", b"b", b"c"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    with TestClient(app) as client, client.stream("GET", "/") as response:
        assert response.read() == b"abc"


def test_scope_has_asgi_http_fields() -> None:
    seen, app = scope_echo_app()

    with TestClient(app) as client:
        client.get("/items?x=1")

    scope = seen[0]
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["client"] == ("testclient", 50000)
    assert scope["server"] == ("testserver", 80)
    assert scope["root_path"] == ""
    assert (b"host", b"testserver") in scope["headers"]
    assert all(name == name.lower() for name, _ in scope["headers"])
    assert "state" not in scope  # lifespan did not run (the app does not support it)


def test_https_base_url_sets_scheme_and_port() -> None:
    seen, app = scope_echo_app()

    with TestClient(app, base_url="https://example.org:8443", client=("10.0.0.1", 1234)) as c:
        c.get("/")

    assert seen[0]["scheme"] == "https"
    assert seen[0]["server"] == ("example.org", 8443)
    assert seen[0]["client"] == ("10.0.0.1", 1234)


@pytest.mark.parametrize(
    ("url", "path", "raw_path", "query_string"),
    [
        ("/plain", "/plain", b"/plain", b""),
        ("/a%20b/caf%C3%A9?q=a%20b&x=1", "/a b/café", b"/a%20b/caf%C3%A9", b"q=a%20b&x=1"),
        ("/slash%2Finside", "/slash/inside", b"/slash%2Finside", b""),
        ("/list?tag=a&tag=b", "/list", b"/list", b"tag=a&tag=b"),
    ],
    ids=["plain", "percent-encoded", "encoded-slash", "repeated-query"],
)
def test_path_is_decoded_and_raw_path_is_not(
    url: str, path: str, raw_path: bytes, query_string: bytes
) -> None:
    seen, app = scope_echo_app()

    with TestClient(app) as client:
        client.get(url)

    assert seen[0]["path"] == path
    assert seen[0]["raw_path"] == raw_path
    assert seen[0]["query_string"] == query_string


def test_query_params_argument_reaches_query_string() -> None:
    seen, app = scope_echo_app()

    with TestClient(app) as client:
        client.get("/search", params={"q": "x y", "page": "2"})

    assert seen[0]["query_string"] == b"q=x+y&page=2"


def test_root_path_is_prefixed_to_path_like_a_server() -> None:
    seen, app = scope_echo_app()

    with TestClient(app, root_path="/api") as client:
        client.get("/users/1")

    assert seen[0]["root_path"] == "/api"
    assert seen[0]["path"] == "/api/users/1"
    assert seen[0]["raw_path"] == b"/api/users/1"


def test_multi_valued_request_headers_all_reach_the_app() -> None:
    seen, app = scope_echo_app()

    with TestClient(app, headers={"X-Default": "d"}) as client:
        client.get("/", headers=[("X-Tag", "a"), ("X-Tag", "b")])

    headers = seen[0]["headers"]
    assert [v for k, v in headers if k == b"x-tag"] == [b"a", b"b"]
    assert (b"x-default", b"d") in headers
    assert (b"user-agent", b"testclient") in headers


def test_multi_valued_response_headers_are_kept() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send_text(send, b"", headers=[(b"x-multi", b"1"), (b"x-multi", b"2")])

    with TestClient(app) as client:
        response = client.get("/")

    assert response.headers.get_list("x-multi") == ["1", "2"]


def test_cookies_set_by_one_response_are_sent_on_the_next_request() -> None:
    cookie_headers: list[bytes | None] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        cookie_headers.append(dict(scope["headers"]).get(b"cookie"))
        if scope["path"] == "/login":
            await send_text(send, b"", headers=[(b"set-cookie", b"session=abc123; Path=/")])
        else:
            await send_text(send, b"")

    with TestClient(app) as client:
        client.get("/login")
        client.get("/me")

    assert cookie_headers == [None, b"session=abc123"]


def test_constructor_cookies_are_sent() -> None:
    seen, app = scope_echo_app()

    with TestClient(app, cookies={"theme": "dark"}) as client:
        client.get("/")

    assert dict(seen[0]["headers"])[b"cookie"] == b"theme=dark"


def test_redirects_are_followed_by_default() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/old":
            await send_text(send, b"", status=307, headers=[(b"location", b"/new")])
        else:
            await send_text(send, scope["path"].encode())

    with TestClient(app) as client:
        followed = client.get("/old")
    with TestClient(app, follow_redirects=False) as client:
        not_followed = client.get("/old")

    assert followed.text == "/new"
    assert not_followed.status_code == 307


def test_app_exception_is_reraised_in_the_test() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("handler exploded")

    with TestClient(app) as client, pytest.raises(ValueError, match="handler exploded"):
        client.get("/")


def test_app_exception_becomes_empty_500_when_not_raising() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("handler exploded")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")

    assert response.status_code == 500
    assert response.content == b""


def test_exception_after_response_start_keeps_started_response_when_not_raising() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("mid-stream")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")

    assert response.status_code == 200
    assert response.content == b"partial"


def test_app_returning_without_response_is_an_error_or_500() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    with TestClient(app) as client, pytest.raises(ASGIProtocolError, match="GET /nothing"):
        client.get("/nothing")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/nothing").status_code == 500


def test_body_before_start_is_a_protocol_error() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.body", "body": b"x"})

    with TestClient(app) as client, pytest.raises(ASGIProtocolError, match="before"):
        client.get("/")


def test_disconnect_is_delivered_only_after_the_response_is_complete() -> None:
    events: list[str] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)

        async def watch_disconnect() -> None:
            message = await receive()
            events.append(message["type"])

        watcher = asyncio.create_task(watch_disconnect())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"1", b"2", b"3"):
            await asyncio.sleep(0)
            events.append(f"sent {part.decode()}")
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        await watcher

    with TestClient(app) as client:
        response = client.get("/")

    assert response.content == b"123"
    assert events == ["sent 1", "sent 2", "sent 3", "http.disconnect"]


def test_requests_share_one_event_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        loops.append(asyncio.get_running_loop())
        await send_text(send, b"")

    client = TestClient(app)
    client.get("/")
    client.get("/")
    client.close()

    assert loops[0] is loops[1]
    assert loops[0].is_closed()


def test_closed_client_refuses_requests() -> None:
    _, app = scope_echo_app()
    client = TestClient(app)
    client.get("/")
    client.close()

    with pytest.raises(RuntimeError):
        client.get("/")


def test_json_round_trip() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, _ = await read_body(receive)
        data = json.loads(body)
        payload = json.dumps({"doubled": data["n"] * 2}).encode()
        await send_text(send, payload, headers=[(b"content-type", b"application/json")])

    with TestClient(app) as client:
        response = client.post("/", json={"n": 21})

    assert response.json() == {"doubled": 42}


def test_testclient_is_an_httpx_client() -> None:
    _, app = scope_echo_app()
    with TestClient(app) as client:
        assert isinstance(client, httpx.Client)
