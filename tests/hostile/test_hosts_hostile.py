"""Hostile Host headers against TrustedHostMiddleware: each is a quick 400, the route never runs.

The shapes come from the peers' host-header bugs: Django's and Werkzeug's Host validation
(user info, paths, ports smuggling a second name), suffix and prefix tricks against
wildcard allowlists, repeated Host fields (RFC 9112 section 3.2 requires a 400).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from covet import CovetPy
from covet.middleware import TrustedHostMiddleware
from covet.testing import TestClient
from tests.support.asgi import serve

ALLOWED = ["allowed.example.org", "*.apps.example.org"]


def build() -> tuple[CovetPy, list[str]]:
    app = CovetPy()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED)
    runs: list[str] = []

    @app.get("/")
    async def home() -> str:
        runs.append("home")
        return "home"

    return app, runs


HOSTILE = [
    "evil.com/allowed?x=",
    "evil.com/allowed.example.org",
    "allowed.example.org.evil.com",
    "allowed.example.org.evil.com.",
    "evil.com#allowed.example.org",
    "evil.com?allowed.example.org",
    "allowed.example.org@evil.com",
    "allowed.example.org:80@evil.com",
    "evil.com\\allowed.example.org",
    "allowed.example.org:evil.com",
    "allowed.example.org:80:80",
    "allowed.example.org:99999",
    "allowed.example.org evil.com",
    "evil.com,allowed.example.org",
    "evilapps.example.org",
    "x.apps.example.org.evil.com",
    "apps.example.org",
    "[allowed.example.org]",
    "[::1]@evil.com",
    "allowed.example.org..",
    "",
    "a" * 70_000,
    ("a." * 30_000) + "apps.example.org",
    "%61llowed.example.org",
]


@pytest.mark.parametrize("host", HOSTILE, ids=lambda h: h[:40] or "empty")
def test_hostile_hosts_are_refused_quickly(host: str) -> None:
    app, runs = build()
    with TestClient(app) as client:
        started = time.perf_counter()
        response = client.get("/", headers={"Host": host})
        elapsed = time.perf_counter() - started
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert elapsed < 0.5
        assert client.get("/", headers={"Host": "allowed.example.org"}).json() == "home"
    assert runs == ["home"]


def call(app: Any, headers: list[tuple[bytes, bytes]]) -> int:
    """One raw ASGI request with exactly these header bytes; returns the status."""
    status, _, _ = asyncio.run(serve(app, "GET", "/", headers=headers))
    return status


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"allowed.example.org"), (b"host", b"evil.com")],
        [(b"host", b"evil.com"), (b"host", b"allowed.example.org")],
        [(b"host", b"allowed.example.org"), (b"host", b"allowed.example.org")],
        [],
        [(b"host", "allowed.exämple.org".encode())],
        [(b"host", b"allowed.example.org\xff")],
        [(b"host", b"allowed.example.org\x00")],
        [(b"host", b"allowed.example.org\r\nX-Injected: 1")],
        [(b"host", b"\xe2\x80\xaeallowed.example.org")],
        [(b"host", b"allowed.example.org\t")],
    ],
    ids=[
        "allowed-then-evil",
        "evil-then-allowed",
        "same-twice",
        "missing",
        "non-ascii",
        "latin1-byte",
        "nul",
        "crlf",
        "rtl-override",
        "tab",
    ],
)
def test_hosts_httpx_cannot_send_are_refused(headers: list[tuple[bytes, bytes]]) -> None:
    app, runs = build()
    app.build()
    assert call(app, headers) == 400
    assert call(app, [(b"host", b"x.apps.example.org")]) == 200
    assert runs == ["home"]
