"""The covet.testing package surface and its optional-dependency gate."""

from __future__ import annotations

import subprocess
import sys

import httpx

import covet.testing
from covet.exceptions import CovetError, WebSocketDisconnect
from covet.testing import TestClient
from covet.types import Receive, Scope, Send


def test_all_names_are_exported() -> None:
    assert sorted(covet.testing.__all__) == [
        "ASGIProtocolError",
        "AsyncTestClient",
        "AsyncWebSocketTestSession",
        "LifespanError",
        "TestClient",
        "WebSocketRejectedError",
        "WebSocketTestSession",
    ]
    for name in covet.testing.__all__:
        assert getattr(covet.testing, name).__module__.startswith("covet.testing")


def test_errors_live_under_covet_error() -> None:
    assert issubclass(covet.testing.ASGIProtocolError, CovetError)
    assert issubclass(covet.testing.LifespanError, CovetError)
    assert issubclass(covet.testing.WebSocketRejectedError, WebSocketDisconnect)


def test_missing_httpx_names_the_extra_to_install() -> None:
    code = "import sys; sys.modules['httpx'] = None; import covet.testing"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode != 0
    assert "MissingDependencyError" in result.stderr
    assert "pip install 'covetpy[testing]'" in result.stderr


def test_httpx_cookies_object_keeps_its_domain() -> None:
    cookies = httpx.Cookies()
    cookies.set("scoped", "1", domain="example.com")
    cookies.set("elsewhere", "2", domain="other.example")
    seen: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        seen.append(dict(scope["headers"]).get(b"cookie", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with TestClient(app, base_url="http://example.com", cookies=cookies) as client:
        client.get("/")

    assert seen == [b"scoped=1"]
