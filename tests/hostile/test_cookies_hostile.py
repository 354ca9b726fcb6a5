"""Hostile Cookie headers and session cookies against a real session app: fast 2xx/4xx only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from covet import CovetPy
from covet.middleware import SessionMiddleware
from covet.requests import Request
from covet.sessions import Sessions
from covet.stores import MemoryStore
from covet.testing import TestClient

KEY = "hostile-" + "k" * 40


@pytest.fixture(params=["cookie", "store"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    app = CovetPy()
    options: dict[str, Any] = (
        {"sessions": Sessions(MemoryStore())} if request.param == "store" else {}
    )
    app.add_middleware(SessionMiddleware, secret_keys=[KEY], **options)

    @app.post("/login")
    async def login(request: Request) -> dict[str, bool]:
        request.session.login("ann")
        return {"ok": True}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, bool]:
        request.session.logout()
        return {"ok": True}

    @app.get("/me")
    async def me(request: Request) -> dict[str, Any]:
        return {"user": request.session.user_id}

    with TestClient(app, base_url="https://testserver") as client:
        client.kind = request.param  # type: ignore[attr-defined]
        yield client


def timed_get(client: TestClient, cookie: bytes) -> Any:
    start = time.perf_counter()
    response = client.get("/me", headers={"cookie": cookie})
    assert time.perf_counter() - start < 0.5
    return response


@pytest.mark.parametrize(
    "cookie",
    [
        b"\\" * 60_000,
        b'"' * 60_000,
        b"__Host-session=" + b"\\" * 60_000,
        b'__Host-session="' + b'\\"' * 30_000 + b'"',
        b";" * 60_000,
        b"a=b;" * 15_000,
        b"=" * 60_000,
    ],
    ids=[
        "backslashes",
        "quotes",
        "session-backslashes",
        "escaped-quotes",
        "semicolons",
        "many-cookies",
        "equals",
    ],
)
def test_pathological_cookie_headers_are_linear(client: TestClient, cookie: bytes) -> None:
    response = timed_get(client, cookie)
    assert response.status_code == 200
    assert response.json() == {"user": None}


def test_prefix_spoofed_session_cookies_are_not_the_session(client: TestClient) -> None:
    client.post("/login")
    real = client.cookies["__Host-session"].encode()
    client.cookies.clear()
    for spoof in (
        b"\xa0__Host-session=",
        b"\xc2\xa0__Host-session=",
        b"\xe2\x80\x80__Host-session=",
        b"\x85__Host-session=",
        b"=__Host-session=",
    ):
        response = timed_get(client, spoof + real)
        assert response.json() == {"user": None}, spoof
    assert timed_get(client, b"__Host-session=" + real).json() == {"user": "ann"}


def test_a_session_cookie_replayed_after_logout_is_empty(client: TestClient) -> None:
    client.post("/login")
    stolen = client.cookies["__Host-session"].encode()
    client.post("/logout")
    replayed = timed_get(client, b"__Host-session=" + stolen)
    expected = None if client.kind == "store" else "ann"  # type: ignore[attr-defined]
    # Signed cookies cannot be revoked server-side (documented); server-side ones can.
    assert replayed.json() == {"user": expected}


def test_tampered_session_cookies_are_empty_and_the_app_keeps_serving(client: TestClient) -> None:
    client.post("/login")
    good = client.cookies["__Host-session"]
    client.cookies.clear()
    for position in range(0, len(good), 7):
        flipped = good[:position] + ("A" if good[position] != "A" else "B") + good[position + 1 :]
        assert timed_get(client, f"__Host-session={flipped}".encode()).json() == {"user": None}
    assert timed_get(client, f"__Host-session={good}".encode()).json() == {"user": "ann"}
