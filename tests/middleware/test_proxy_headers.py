"""ProxyHeadersMiddleware: client, scheme and host from trusted proxies only, right to left."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import httpx
import pytest

from covet import CovetPy, Request, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import ProxyHeadersConfig, ProxyHeadersMiddleware, TrustedHostMiddleware
from covet.middleware.proxy_headers import parse_forwarded
from covet.testing import TestClient
from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server

PROXY = ("10.0.0.5", 40000)


def make_app(**options: object) -> CovetPy:
    app = CovetPy()
    app.add_middleware(ProxyHeadersMiddleware, **options)

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, object]:
        client = request.client
        return {
            "client": None if client is None else [client.host, client.port],
            "url": str(request.url),
        }

    return app


def ask(
    app: CovetPy, headers: dict[str, str] | list[tuple[str, str]], peer: tuple[str, int] = PROXY
) -> dict[str, object]:
    with TestClient(app, client=peer, base_url="http://internal:8000") as client:
        body: dict[str, object] = client.get("/whoami", headers=headers).json()
    return body


TRUST = {"trusted_proxies": ["10.0.0.0/24"]}


def test_x_forwarded_from_a_trusted_proxy() -> None:
    body = ask(
        make_app(**TRUST),
        {
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "shop.example.org",
        },
    )
    assert body == {"client": ["203.0.113.9", 0], "url": "https://shop.example.org/whoami"}


def test_nothing_changes_for_an_untrusted_peer() -> None:
    headers = {
        "X-Forwarded-For": "1.2.3.4",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.com",
    }
    body = ask(make_app(**TRUST), headers, peer=("198.51.100.7", 5555))
    assert body == {"client": ["198.51.100.7", 5555], "url": "http://internal:8000/whoami"}


def test_the_default_trusts_loopback_only() -> None:
    headers = {"X-Forwarded-For": "203.0.113.9"}
    assert ask(make_app(), headers, peer=("127.0.0.1", 1))["client"] == ["203.0.113.9", 0]
    assert ask(make_app(), headers, peer=("::1", 1))["client"] == ["203.0.113.9", 0]
    assert ask(make_app(), headers, peer=("10.0.0.5", 1))["client"] == ["10.0.0.5", 1]


def test_the_chain_is_walked_right_to_left_past_trusted_proxies() -> None:
    app = make_app(trusted_proxies=["10.0.0.0/24", "192.0.2.1"])
    # The client prepended a fake address; the CDN (192.0.2.1) and nginx (peer) are trusted.
    body = ask(app, {"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 192.0.2.1"})
    assert body["client"] == ["203.0.113.9", 0]
    # Several header lines are one list, in order.
    lines = [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.9, 10.0.0.7")]
    assert ask(app, lines)["client"] == ["203.0.113.9", 0]


def test_every_hop_trusted_gives_the_leftmost() -> None:
    body = ask(make_app(**TRUST), {"X-Forwarded-For": "10.0.0.8, 10.0.0.9"})
    assert body["client"] == ["10.0.0.8", 0]


def test_proto_and_host_come_from_the_hop_that_named_the_client() -> None:
    app = make_app(trusted_proxies=["10.0.0.0/24", "192.0.2.1"])
    # Appending proxies: the client's spoofed values sit left, the chosen hop's at its place.
    body = ask(
        app,
        {
            "X-Forwarded-For": "6.6.6.6, 203.0.113.9, 192.0.2.1",
            "X-Forwarded-Proto": "http, https, http",
            "X-Forwarded-Host": "evil.com, shop.example.org, cdn.internal",
        },
    )
    assert body == {"client": ["203.0.113.9", 0], "url": "https://shop.example.org/whoami"}
    # An overwriting proxy leaves one value: the nearest proxy's, used as it is.
    single = ask(app, {"X-Forwarded-For": "203.0.113.9, 192.0.2.1", "X-Forwarded-Proto": "https"})
    assert single["url"] == "https://internal:8000/whoami"
    # A shorter list that does not reach the chosen hop is not guessed at.
    short = ask(
        app,
        {"X-Forwarded-For": "203.0.113.9, 192.0.2.1, 10.0.0.7", "X-Forwarded-Proto": "https, http"},
    )
    assert short["url"] == "http://internal:8000/whoami"


def test_forwarded_port() -> None:
    app = make_app(**TRUST)
    headers = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "shop.example.org",
        "X-Forwarded-Port": "8443",
    }
    assert ask(app, headers)["url"] == "https://shop.example.org:8443/whoami"
    assert (
        ask(app, {**headers, "X-Forwarded-Port": "443"})["url"] == "https://shop.example.org/whoami"
    )
    without_host = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Port": "9000"}
    assert ask(app, without_host)["url"] == "http://internal:9000/whoami"
    assert (
        ask(app, {**headers, "X-Forwarded-Port": "99999"})["url"] == "https://internal:8000/whoami"
    )


@pytest.mark.parametrize(
    ("value", "client"),
    [
        ("for=203.0.113.9;proto=https;host=shop.example.org", ["203.0.113.9", 0]),
        ('for="[2001:db8::1]:4711";proto=https', ["2001:db8::1", 4711]),
        ("for=203.0.113.9:8080", ["203.0.113.9", 8080]),
        ("For=203.0.113.9;PROTO=https", ["203.0.113.9", 0]),
        ("for=_hidden", ["_hidden", 0]),
        ("for=unknown", ["unknown", 0]),
        ('for="_gazonk:_port"', ["_gazonk", 0]),
        ("for=6.6.6.6, for=203.0.113.9;proto=https, for=10.0.0.7", ["203.0.113.9", 0]),
        ('for=6.6.6.6;host="a,b", for=203.0.113.9', ["203.0.113.9", 0]),
    ],
    ids=[
        "simple",
        "ipv6-port",
        "ipv4-port",
        "case",
        "hidden",
        "unknown",
        "obf-port",
        "chain",
        "quoted-comma",
    ],
)
def test_forwarded(value: str, client: list[object]) -> None:
    body = ask(make_app(mode="forwarded", **TRUST), {"Forwarded": value})
    assert body["client"] == client


def test_forwarded_takes_proto_and_host_from_the_client_element() -> None:
    app = make_app(mode="forwarded", **TRUST)
    body = ask(
        app,
        [
            ("Forwarded", 'for=6.6.6.6;proto=http;host="evil.com"'),
            (
                "Forwarded",
                'for=203.0.113.9;proto=https;host="shop.example.org:8443", for=10.0.0.7;proto=http',
            ),
        ],
    )
    assert body == {"client": ["203.0.113.9", 0], "url": "https://shop.example.org:8443/whoami"}


def test_only_the_configured_kind_of_header_is_read() -> None:
    forwarded = make_app(mode="forwarded", **TRUST)
    assert ask(forwarded, {"X-Forwarded-For": "6.6.6.6"})["client"] == list(PROXY)
    x_forwarded = make_app(**TRUST)
    assert ask(x_forwarded, {"Forwarded": "for=6.6.6.6"})["client"] == list(PROXY)


@pytest.mark.parametrize(
    ("proto", "scheme"),
    [
        ("https", "https"),
        ("HTTPS", "https"),
        ("wss", "https"),
        ("http, https", "https"),
        ("ftp", "http"),
        ("javascript", "http"),
        ("", "http"),
    ],
)
def test_only_known_schemes_are_taken(proto: str, scheme: str) -> None:
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": proto}
    assert ask(make_app(**TRUST), headers)["url"] == f"{scheme}://internal:8000/whoami"


def test_websocket_scheme_and_client() -> None:
    app = CovetPy()
    app.add_middleware(ProxyHeadersMiddleware, **TRUST)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        assert websocket.client is not None
        await websocket.send_json({"scheme": websocket.url.scheme, "client": websocket.client.host})
        await websocket.close()

    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    with (
        TestClient(app, client=PROXY) as client,
        client.websocket_connect("/ws", headers=headers) as session,
    ):
        assert session.receive_json() == {"scheme": "wss", "client": "203.0.113.9"}


def test_the_forwarded_host_is_then_checked_by_trusted_host() -> None:
    app = CovetPy()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["shop.example.org"])
    app.add_middleware(ProxyHeadersMiddleware, **TRUST)  # outermost: rewrites first

    @app.get("/")
    async def home(request: Request) -> str:
        return str(request.url)

    with TestClient(app, client=PROXY, base_url="http://10.0.0.1:8000") as client:
        ok = client.get(
            "/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "shop.example.org"}
        )
        evil = client.get(
            "/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "evil.com"}
        )
    assert ok.json() == "http://shop.example.org/"
    assert evil.status_code == 400


def test_ipv4_mapped_and_ipv6_networks() -> None:
    app = make_app(trusted_proxies=["10.0.0.0/8", "fd00::/8"])
    headers = {"X-Forwarded-For": "203.0.113.9"}
    assert ask(app, headers, peer=("::ffff:10.1.2.3", 1))["client"] == ["203.0.113.9", 0]
    assert ask(app, headers, peer=("fd12::1", 1))["client"] == ["203.0.113.9", 0]
    assert ask(app, headers, peer=("fe80::1", 1))["client"] == ["fe80::1", 1]
    chain = {"X-Forwarded-For": "2001:db8::7, fd00::2"}
    assert ask(app, chain, peer=("fd12::1", 1))["client"] == ["2001:db8::7", 0]
    bracketed = {"X-Forwarded-For": "[2001:db8::7]:5000"}
    assert ask(app, bracketed, peer=("fd12::1", 1))["client"] == ["2001:db8::7", 5000]


def test_star_trusts_every_peer_and_config_object() -> None:
    config = ProxyHeadersConfig(trusted_proxies=["*"])
    body = ask(
        make_app(config=config), {"X-Forwarded-For": "203.0.113.9"}, peer=("198.51.100.1", 1)
    )
    assert body["client"] == ["203.0.113.9", 0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"trusted_proxies": "10.0.0.1"}, "must be a list"),
        ({"trusted_proxies": ["10.0.0.300"]}, "not an IP address"),
        ({"trusted_proxies": ["10.0.0.1/33"]}, "not an IP address"),
        ({"trusted_proxies": ["10.0.0.1/24"]}, "not an IP address"),
        ({"trusted_proxies": ["proxy.internal"]}, "not an IP address"),
        ({"trusted_proxies": [None]}, "not an IP address"),
        ({"mode": "both"}, "mode must be"),
        ({"proxies": ["10.0.0.1"]}, "unknown option"),
    ],
    ids=["string", "bad-ip", "bad-prefix", "host-bits", "name", "none", "bad-mode", "unknown"],
)
def test_bad_settings_fail_at_start_up(options: dict[str, object], message: str) -> None:
    app = CovetPy()
    app.add_middleware(ProxyHeadersMiddleware, **options)
    with pytest.raises(ConfigurationError, match=message):
        app.build()


@pytest.mark.parametrize(
    ("value", "elements"),
    [
        ("for=a", [{"for": "a"}]),
        ('for="\\"q\\""', [{"for": '"q"'}]),
        ("for=a;by=b, for=c", [{"for": "a", "by": "b"}, {"for": "c"}]),
        ("for=a;for=b", None),
        ("for", None),
        ('for="open', None),
        ("for=a;", [{"for": "a"}]),
        ("for=a, , for=b", [{"for": "a"}, {"for": "b"}]),
        ("for=a b", None),
        ("", None),
        ("=a", None),
    ],
)
def test_parse_forwarded(value: str, elements: list[dict[str, str]] | None) -> None:
    assert parse_forwarded(value) == elements


E2E_APP = """
from covet import CovetPy, Request
from covet.middleware import ProxyHeadersMiddleware

app = CovetPy()
app.add_middleware(ProxyHeadersMiddleware)  # the default: trust the loopback proxy


@app.get("/whoami")
async def whoami(request: Request):
    return {"client": request.client.host, "url": str(request.url)}
"""


def test_behind_a_real_uvicorn_without_its_proxy_headers(tmp_path: Path) -> None:
    """uvicorn's own proxy handling off: the middleware alone does the job, on real sockets."""
    require("uvicorn")
    (tmp_path / "proxied_app.py").write_text(E2E_APP, encoding="utf-8")
    port = free_port()
    argv = [
        sys.executable,
        *("-m", "uvicorn", "proxied_app:app", "--app-dir", str(tmp_path)),
        *("--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"),
        *("--log-level", "warning"),
    ]
    ready = functools.partial(answers_http, path="/whoami")
    with running_server(argv, port=port, log_path=tmp_path / "server.log", ready=ready):
        base = f"http://127.0.0.1:{port}/whoami"
        forwarded = httpx.get(
            base,
            headers={
                "X-Forwarded-For": "6.6.6.6, 203.0.113.9",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "shop.example.org",
            },
        ).json()
        underscored = httpx.get(base, headers={"X_Forwarded_For": "6.6.6.6"}).json()
        plain = httpx.get(base).json()
    assert forwarded == {"client": "203.0.113.9", "url": "https://shop.example.org/whoami"}
    assert underscored == {"client": "127.0.0.1", "url": f"http://127.0.0.1:{port}/whoami"}
    assert plain == underscored
