"""Hostile input as raw ASGI messages: what a lax server or a lying client could hand the app."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest

from covet import CovetPy, Limits, Request
from covet.types import Message, Scope

BODY_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Reply:
    """What the app sent back."""

    status: int
    headers: dict[bytes, bytes]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def build_app() -> CovetPy:
    app = CovetPy(limits=Limits(max_body_size=BODY_LIMIT))

    @app.post("/body")
    async def body_size(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/where")
    async def where(request: Request) -> dict[str, Any]:
        return {"host": request.url.hostname, "port": request.url.port, "path": request.url.path}

    @app.get("/dashboard")
    async def dashboard() -> dict[str, str]:
        return {"page": "dashboard"}

    @app.get("/{name}")
    async def page(name: str) -> dict[str, str]:
        return {"name": name}

    return app


def scope(
    method: str = "GET",
    path: str = "/",
    raw_path: bytes | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    query_string: bytes = b"",
    root_path: str = "",
) -> Scope:
    """An HTTP scope as a server builds it; ``raw_path`` is left out when ``None``."""
    result: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": query_string,
        "root_path": root_path,
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("192.0.2.1", 40000),
        "server": ("testserver", 80),
    }
    if raw_path is not None:
        result["raw_path"] = raw_path
    return result


def run(app: CovetPy, http_scope: Scope, chunks: list[bytes] | None = None) -> Reply:
    """Send ``chunks`` as the request body (several ``http.request`` messages) and collect."""
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks or []
    ]
    pending.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(http_scope, receive, send))
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return Reply(start["status"], dict(start["headers"]), body)


def post_body(declared: str | None, chunks: list[bytes]) -> Reply:
    headers = [] if declared is None else [(b"content-length", declared.encode())]
    return run(build_app(), scope("POST", "/body", b"/body", headers), chunks)


# -- body size is counted on bytes received -------------------------------------------


@pytest.mark.parametrize(
    ("declared", "chunks"),
    [
        ("10", [b"x" * 4000, b"x" * 4000]),
        ("10", [b"x" * (BODY_LIMIT + 1)]),
        (str(BODY_LIMIT), [b"x" * BODY_LIMIT, b"x"]),
        ("0", [b"x" * (BODY_LIMIT + 1)]),
        ("-1", [b"x" * (BODY_LIMIT + 1)]),
        ("abc", [b"x" * (BODY_LIMIT + 1)]),
        ("+10", [b"x" * (BODY_LIMIT + 1)]),
        (None, [b"x"] * (BODY_LIMIT + 1)),
        (str(10**30), [b"x" * 10]),
    ],
    ids=[
        "claims-10-sends-8000",
        "claims-10-sends-limit-plus-1",
        "claims-limit-sends-one-more",
        "claims-0",
        "negative",
        "not-a-number",
        "signed",
        "no-length-4097-one-byte-chunks",
        "claims-huge-sends-10",
    ],
)
def test_body_over_the_limit_is_413_whatever_content_length_says(
    declared: str | None, chunks: list[bytes]
) -> None:
    reply = post_body(declared, chunks)

    assert reply.status == 413
    assert reply.headers[b"content-type"] == b"application/problem+json"


@pytest.mark.parametrize(
    ("declared", "chunks"),
    [("10", [b"x" * 10]), ("abc", [b"x" * 10]), (None, [b"x" * 1000] * 4)],
    ids=["honest", "garbage-length-small-body", "chunked-under-limit"],
)
def test_body_within_the_limit_is_read_in_full(declared: str | None, chunks: list[bytes]) -> None:
    reply = post_body(declared, chunks)

    assert reply.status == 200
    assert reply.json() == {"size": sum(map(len, chunks))}


# -- paths a lax server could pass ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw_path", "root_path"),
    [
        ("/cafÃ", b"/caf\xc3", ""),
        ("/ÿþ", b"/\xff\xfe", ""),
        ("/\ufffd", b"/%ff", ""),
        ("/a\x00b", b"/a\x00b", ""),
        ("/a\x00b", None, ""),
        ("/api/%zz", b"/api/%zz", "/api"),
        ("/api/\x00", b"/api/%00", "/api"),
    ],
    ids=[
        "raw-invalid-utf8",
        "raw-ff-fe",
        "escaped-ff",
        "raw-nul",
        "nul-without-raw-path",
        "bad-escape-under-root-path",
        "nul-under-root-path",
    ],
)
def test_malformed_path_is_400(path: str, raw_path: bytes | None, root_path: str) -> None:
    reply = run(build_app(), scope(path=path, raw_path=raw_path, root_path=root_path))

    assert reply.status == 400
    assert b"Traceback" not in reply.body


# -- Host header ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        b"[",
        b"[::1",
        b"a:notaport",
        b"a:99999999",
        b"a/b?c#d",
        b"evil.com@good.com",
        b"a b",
        b"\xff",
    ],
    ids=[
        "open-bracket",
        "unclosed-ipv6",
        "port-not-a-number",
        "port-out-of-range",
        "path-query-fragment",
        "userinfo",
        "space",
        "non-ascii",
    ],
)
def test_invalid_host_header_is_400_not_500(host: bytes) -> None:
    http_scope = scope(path="/where", raw_path=b"/where")
    http_scope["headers"] = [(b"host", host)]

    reply = run(build_app(), http_scope)

    assert reply.status == 400
    assert b"Traceback" not in reply.body


@pytest.mark.parametrize(
    ("host", "hostname", "port"),
    [
        (b"example.com", "example.com", None),
        (b"example.com:8080", "example.com", 8080),
        (b"[::1]:8000", "::1", 8000),
        (b"127.0.0.1", "127.0.0.1", None),
        (b"xn--caf-dma.example", "xn--caf-dma.example", None),
    ],
    ids=["name", "name-port", "ipv6-port", "ipv4", "punycode"],
)
def test_valid_host_header_builds_the_url(host: bytes, hostname: str, port: int | None) -> None:
    http_scope = scope(path="/where", raw_path=b"/where")
    http_scope["headers"] = [(b"host", host)]

    reply = run(build_app(), http_scope)

    assert reply.json() == {"host": hostname, "port": port, "path": "/where"}


# -- redirects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [b"next=\r\nSet-Cookie:%20a=b", b"x=\x00\xff", b"a=1&b=//evil.com"],
    ids=["crlf", "nul-and-high-byte", "url-in-query"],
)
def test_slash_redirect_with_a_hostile_query_stays_one_safe_header(query: bytes) -> None:
    reply = run(build_app(), scope(path="/dashboard/", raw_path=b"/dashboard/", query_string=query))

    assert reply.status == 307
    location = reply.headers[b"location"]
    assert location.startswith(b"/dashboard?")
    assert not any(byte in location for byte in b"\r\n\x00")
    assert b"set-cookie" not in reply.headers


def test_lone_surrogate_path_without_raw_path_is_400() -> None:
    import asyncio

    from covet import CovetPy

    app = CovetPy()

    @app.get("/{name}")
    async def echo(name: str) -> str:
        return name

    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/caf\udce9",
        "query_string": b"",
        "root_path": "",
        "headers": [],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400
