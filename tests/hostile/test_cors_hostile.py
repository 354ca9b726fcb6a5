"""Hostile Origin headers against CORSMiddleware: never allowed, never a 500, always quick.

The shapes come from CORS misconfiguration write-ups (PortSwigger's "Exploiting CORS
misconfigurations", the regex bugs of reflected-origin allowlists): an allowed name as a
prefix or suffix of the attacker's, user info and paths, unicode look-alikes, upper case,
a trailing dot, ``null``, huge and repeated headers, control bytes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from covet import CovetPy
from covet.middleware import CORSMiddleware
from covet.testing import TestClient
from tests.support.asgi import serve

ALLOWED = "https://app.example.org"


def build() -> tuple[CovetPy, list[str]]:
    app = CovetPy()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[ALLOWED, "https://bücher.de"],
        allow_origin_regex=r"https://[a-z0-9-]+\.apps\.example\.org",
        allow_methods=["GET", "PUT"],
        allow_credentials=True,
    )
    runs: list[str] = []

    @app.get("/")
    async def home() -> str:
        runs.append("home")
        return "home"

    return app, runs


HOSTILE = [
    "https://app.example.org.evil.com",
    "https://app.example.org.evil.com.",
    "https://evil-app.example.org",
    "https://evilapp.example.org",
    "https://app.example.org.",  # a trailing dot is another origin to the browser
    "https://APP.EXAMPLE.ORG",
    "HTTPS://app.example.org",
    "http://app.example.org",
    "https://app.example.org:443",  # browsers never send the default port
    "https://app.example.org/",
    "https://app.example.org/path",
    "https://app.example.org@evil.com",
    "https://evil.com#app.example.org",
    "https://evil.com?app.example.org",
    "https://evil.com/.apps.example.org",
    "https://x.apps.example.org.evil.com",
    "https://x.apps.example.org:443",
    "https://x.apps.example.org/",
    "https://x.y.apps.example.org",  # the pattern allows one label only
    "https://.apps.example.org",
    "https://apps.example.org",
    " https://app.example.org",
    "https://app.example.org ",
    "https://app.example.org, https://evil.com",
    "https://app.example.org https://evil.com",
    "null",
    "NULL",
    "",
    "*",
    "file://",
    "https://bücher.de",  # unencoded: a browser sends punycode
    "https://xn--bcher-kva.de.evil.com",
    "https://app.ex\u0430mple.org",  # a Cyrillic a: a look-alike
    "https://" + "a" * 70_000 + ".apps.example.org",
    "https://" + "a-" * 30_000 + "a.apps.example.org",
    "https://" + "a." * 30_000 + "apps.example.org",
]


@pytest.mark.parametrize("origin", HOSTILE, ids=lambda o: o[:40] or "empty")
def test_hostile_origins_get_no_cors_headers_quickly(origin: str) -> None:
    app, runs = build()
    raw = origin.encode("utf-8")
    app.build()
    started = time.perf_counter()
    status, headers, body = asyncio.run(serve(app, "GET", "/", headers=[(b"origin", raw)]))
    assert status == 200
    assert body == b'"home"'  # served: the browser, not the server, keeps the page from it
    assert not [name for name, _ in headers if name.startswith(b"access-control-")]
    assert (b"vary", b"Origin") in headers
    preflight = [(b"origin", raw), (b"access-control-request-method", b"GET")]
    status, headers, _ = asyncio.run(serve(app, "OPTIONS", "/", headers=preflight))
    assert status == 403
    assert not [name for name, _ in headers if name.startswith(b"access-control-")]
    assert time.perf_counter() - started < 0.5
    assert runs == ["home"]


def test_the_punycode_of_an_allowed_idn_is_allowed() -> None:
    app, _ = build()
    response = TestClient(app).get("/", headers={"Origin": "https://xn--bcher-kva.de"})
    assert response.headers["access-control-allow-origin"] == "https://xn--bcher-kva.de"


def call(app: Any, headers: list[tuple[bytes, bytes]], method: str = "GET") -> list[Any]:
    app.build()
    status, response_headers, _ = asyncio.run(serve(app, method, "/", headers=headers))
    assert status in (200, 400, 403)
    return [name for name, _ in response_headers if name.startswith(b"access-control-")]


@pytest.mark.parametrize(
    "headers",
    [
        [(b"origin", ALLOWED.encode()), (b"origin", b"https://evil.com")],
        [(b"origin", b"https://evil.com"), (b"origin", ALLOWED.encode())],
        [(b"origin", ALLOWED.encode()), (b"origin", ALLOWED.encode())],
        [(b"origin", ALLOWED.encode())] * 1000,
        [(b"origin", b"https://x.apps.example.org\r\nSet-Cookie: a=b")],
        [(b"origin", b"https://x.apps.example.org\n")],
        [(b"origin", b"https://x.apps.example.org\x00")],
        [(b"origin", b"https://x.apps.example.org\xff")],
        [(b"origin", b"https://\xe2\x80\xaex.apps.example.org")],
        [(b"origin", b"https://x.apps.example.org\t")],
    ],
    ids=[
        "allowed-then-evil",
        "evil-then-allowed",
        "allowed-twice",
        "allowed-a-thousand-times",
        "crlf",
        "lf",
        "nul",
        "latin1-byte",
        "rtl-override",
        "tab",
    ],
)
def test_origins_httpx_cannot_send_are_never_allowed(headers: list[tuple[bytes, bytes]]) -> None:
    app, _ = build()
    assert call(app, headers) == []
    preflight = [*headers, (b"access-control-request-method", b"GET")]
    assert call(app, preflight, "OPTIONS") == []


@pytest.mark.parametrize(
    "requested",
    [
        b"x-" + b"a" * 20_000,
        b",".join([b"x-a"] * 5_000),
        b"x-a\r\nx-b",
        b"x-\xff",
        b"\xe2\x80\xae",
    ],
    ids=["one-huge-name", "five-thousand-names", "crlf", "latin1-byte", "rtl-override"],
)
def test_hostile_requested_headers_are_a_quick_400(requested: bytes) -> None:
    app = CovetPy()
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_headers=["*"])
    app.build()
    preflight = [
        (b"origin", ALLOWED.encode()),
        (b"access-control-request-method", b"GET"),
        (b"access-control-request-headers", requested),
    ]
    started = time.perf_counter()
    status, headers, _ = asyncio.run(serve(app, "OPTIONS", "/", headers=preflight))
    assert status == 400
    assert not [name for name, _ in headers if name.startswith(b"access-control-")]
    assert time.perf_counter() - started < 0.5


def test_a_hostile_requested_method_is_a_400_not_echoed() -> None:
    app = CovetPy()
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])
    app.build()
    for method in (b"GET\r\nSet-Cookie: a=b", b"G\xffT", b"", b"A" * 100_000 + b" B"):
        preflight = [(b"origin", ALLOWED.encode()), (b"access-control-request-method", method)]
        status, headers, _ = asyncio.run(serve(app, "OPTIONS", "/", headers=preflight))
        assert status == 400
        assert not [name for name, _ in headers if name.startswith(b"access-control-")]
