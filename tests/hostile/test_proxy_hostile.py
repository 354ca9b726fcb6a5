"""Hostile forwarding headers: spoofing attempts are ignored, garbage never becomes a 500.

The shapes are the ones that broke peers: X-Forwarded-For believed from any peer (the classic
rate-limit and audit-log bypass), the leftmost entry taken as the client (a client prepends
whatever it likes), ``X_Forwarded_For`` with underscores (which some servers and proxies map
to the same name, CVE-2022-31813-style header smuggling), malformed and enormous values.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from covet import CovetPy, Request
from covet.middleware import ProxyHeadersMiddleware
from covet.testing import TestClient
from tests.support.asgi import serve

PROXY = ("10.0.0.5", 40000)
ATTACKER = ("198.51.100.66", 6666)


def build(**options: Any) -> CovetPy:
    app = CovetPy()
    app.add_middleware(ProxyHeadersMiddleware, **({"trusted_proxies": ["10.0.0.0/24"]} | options))

    @app.get("/")
    async def whoami(request: Request) -> dict[str, object]:
        assert request.client is not None
        return {"client": request.client.host, "url": str(request.url)}

    return app


def raw(app: CovetPy, headers: list[tuple[bytes, bytes]], peer: tuple[str, int]) -> dict[str, Any]:
    """One request with exactly these header bytes from ``peer``; returns the JSON body."""
    status, _, body = asyncio.run(
        serve(app, "GET", "/", headers=[(b"host", b"internal"), *headers], client=peer)
    )
    assert status == 200
    result: dict[str, Any] = json.loads(body)
    return result


SPOOFS = {
    "X-Forwarded-For": "127.0.0.1",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "admin.internal",
    "X-Forwarded-Port": "443",
    "Forwarded": "for=127.0.0.1;proto=https;host=admin.internal",
}


@pytest.mark.parametrize("mode", ["x-forwarded", "forwarded"])
def test_headers_from_an_untrusted_peer_are_ignored(mode: str) -> None:
    with TestClient(build(mode=mode), client=ATTACKER, base_url="http://internal") as client:
        body = client.get("/", headers=SPOOFS).json()
    assert body == {"client": ATTACKER[0], "url": "http://internal/"}


def test_a_spoofed_prefix_does_not_become_the_client() -> None:
    app = build()
    # The client sent "X-Forwarded-For: 10.0.0.9, 127.0.0.1" (addresses we trust) and
    # "X-Forwarded-Proto: https"; the proxy appended what it saw.
    headers = [
        (b"x-forwarded-for", b"10.0.0.9, 127.0.0.1, 203.0.113.9"),
        (b"x-forwarded-proto", b"https, http"),
    ]
    body = raw(app, headers, PROXY)
    assert body == {"client": "203.0.113.9", "url": "http://internal/"}


def test_a_spoofed_forwarded_element_does_not_become_the_client() -> None:
    app = build(mode="forwarded")
    headers = [
        (b"forwarded", b'for=10.0.0.9;proto=https;host="admin.internal"'),
        (b"forwarded", b"for=203.0.113.9;proto=http"),
    ]
    assert raw(app, headers, PROXY) == {"client": "203.0.113.9", "url": "http://internal/"}


@pytest.mark.parametrize(
    "name", [b"x_forwarded_for", b"x-forwarded_for", b"x_forwarded-for", b"x-forwarded-for "]
)
def test_underscored_and_odd_header_names_are_ignored(name: bytes) -> None:
    body = raw(build(), [(name, b"203.0.113.9"), (b"x_forwarded_proto", b"https")], PROXY)
    assert body == {"client": PROXY[0], "url": "http://internal/"}


def test_underscores_through_a_real_client_are_ignored() -> None:
    with TestClient(build(), client=PROXY, base_url="http://internal") as client:
        body = client.get("/", headers={"X_Forwarded_For": "6.6.6.6", "X_Forwarded_Proto": "https"})
    assert body.json() == {"client": PROXY[0], "url": "http://internal/"}


@pytest.mark.parametrize(
    "value",
    [
        b"not-an-ip",
        b"1.2.3.4.5",
        b"999.1.1.1",
        b"1.2.3.4:99999",
        b"1.2.3.4:port",
        b"[::1",
        b"[::1]x",
        b"fe80::1%eth0",
        b"<script>alert(1)</script>",
        b"\x00\x01",
        b"\xff\xfe",
        "203.0.113.9\u2028".encode(),
        b"203.0.113.9 203.0.113.10",
        b"",
        b",,,",
        b"_" + b"x" * 200,
    ],
)
def test_garbage_chains_are_ignored_whole(value: bytes) -> None:
    headers = [(b"x-forwarded-for", value), (b"x-forwarded-proto", b"https")]
    assert raw(build(), headers, PROXY) == {"client": PROXY[0], "url": "http://internal/"}


@pytest.mark.parametrize(
    "value",
    [
        b'for="unterminated',
        b"for=1.2.3.4;for=5.6.7.8",
        b"proto=https",
        b"for=<script>",
        b"for",
        b"=",
        b"for=1.2.3.4 junk",
        b'for="[::1"',
        b"\xff",
    ],
)
def test_garbage_forwarded_values_are_ignored(value: bytes) -> None:
    headers = [(b"forwarded", value)]
    assert raw(build(mode="forwarded"), headers, PROXY) == {
        "client": PROXY[0],
        "url": "http://internal/",
    }


@pytest.mark.parametrize(
    "host",
    [b"evil.com/admin", b"admin@evil.com", b"evil.com#x", b"a b", b"\xff", b"x" * 400, b"[::1"],
)
def test_hostile_forwarded_hosts_are_ignored(host: bytes) -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-host", host)]
    assert raw(build(), headers, PROXY) == {"client": "203.0.113.9", "url": "http://internal/"}


@pytest.mark.parametrize("mode", ["x-forwarded", "forwarded"])
def test_huge_headers_are_handled_quickly(mode: str) -> None:
    app = build(mode=mode, trusted_proxies=["*"])
    if mode == "forwarded":
        value = b", ".join([b'for="[2001:db8::1]:1";proto=https'] * 40_000) + b", for=203.0.113.9"
        name = b"forwarded"
    else:
        value = b", ".join([b"6.6.6.6"] * 100_000) + b", 203.0.113.9"
        name = b"x-forwarded-for"
    lines = [(name, value)] + [(name, b"10.0.0.7")] * 5_000
    started = time.perf_counter()
    body = raw(app, lines, PROXY)
    assert time.perf_counter() - started < 1.0
    # Everything is trusted ("*") and the chain is longer than any real one: not believed.
    assert body["client"] == PROXY[0]


def test_a_long_chain_of_untrusted_entries_is_walked_from_the_right_only() -> None:
    value = b", ".join([b"6.6.6.6"] * 100_000) + b", 203.0.113.9"
    started = time.perf_counter()
    body = raw(build(), [(b"x-forwarded-for", value)], PROXY)
    assert time.perf_counter() - started < 1.0
    assert body["client"] == "203.0.113.9"
