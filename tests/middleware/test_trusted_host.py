"""TrustedHostMiddleware: the Host allowlist (names, ports, wildcards, IPv6), 400 otherwise."""

from __future__ import annotations

import pytest

from covet import CovetPy, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import TrustedHostConfig, TrustedHostMiddleware
from covet.middleware.trusted_host import parse_host
from covet.testing import TestClient
from covet.testing.exceptions import WebSocketRejectedError

ALLOWED = [
    "example.org",
    "*.example.org",
    "api.test:8443",
    "[2001:db8::1]",
    "203.0.113.7",
    "bücher.de",
]


def make_app(**options: object) -> tuple[CovetPy, list[str]]:
    app = CovetPy()
    app.add_middleware(TrustedHostMiddleware, **options)
    runs: list[str] = []

    @app.get("/where")
    async def where() -> str:
        runs.append("where")
        return "ok"

    return app, runs


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.org", True),
        ("EXAMPLE.org", True),
        ("example.org.", True),
        ("example.org:8000", True),
        ("shop.example.org", True),
        ("a.b.example.org", True),
        ("Shop.Example.Org.", True),
        ("badexample.org", False),
        ("example.org.evil.com", False),
        ("example.com", False),
        ("api.test:8443", True),
        ("api.test", False),
        ("api.test:443", False),
        ("[2001:db8::1]", True),
        ("[2001:DB8:0:0::1]:8080", True),
        ("[2001:db8::2]", False),
        ("203.0.113.7:80", True),
        ("203.0.113.8", False),
        ("xn--bcher-kva.de", True),
    ],
)
def test_the_allowlist(host: str, allowed: bool) -> None:
    app, runs = make_app(allowed_hosts=ALLOWED)
    with TestClient(app) as client:
        response = client.get("/where", headers={"Host": host})
    assert response.status_code == (200 if allowed else 400)
    assert runs == (["where"] if allowed else [])


def test_the_wildcard_does_not_match_the_apex() -> None:
    app, _ = make_app(allowed_hosts=["*.example.org"])
    with TestClient(app) as client:
        assert client.get("/where", headers={"Host": "www.example.org"}).status_code == 200
        assert client.get("/where", headers={"Host": "example.org"}).status_code == 400
        assert client.get("/where", headers={"Host": ".example.org"}).status_code == 400


def test_a_refused_host_is_a_problem_document() -> None:
    app, runs = make_app(allowed_hosts=["example.org"])
    with TestClient(app) as client:
        response = client.get("/where", headers={"Host": "evil.com"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert body["title"] == "Bad Request"
    assert "evil.com" not in response.text  # the hostile value is not echoed
    assert runs == []


def test_a_port_in_the_pattern_matches_the_default_port_of_the_scheme() -> None:
    app, _ = make_app(allowed_hosts=["secure.test:443"])
    with TestClient(app, base_url="https://secure.test") as client:
        assert client.get("/where").status_code == 200
    with TestClient(app, base_url="http://secure.test") as client:
        assert client.get("/where").status_code == 400


def test_star_allows_any_well_formed_host() -> None:
    app, _ = make_app(allowed_hosts=["*"])
    with TestClient(app) as client:
        assert client.get("/where", headers={"Host": "anything.test:81"}).status_code == 200
        assert client.get("/where", headers={"Host": "bad host"}).status_code == 400


def test_www_redirect() -> None:
    app, runs = make_app(allowed_hosts=["www.example.org"], www_redirect=True)
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/where?x=1", headers={"Host": "example.org:8080"})
        other = client.get("/where", headers={"Host": "other.org"})
    assert response.status_code == 301
    assert response.headers["location"] == "http://www.example.org:8080/where?x=1"
    assert other.status_code == 400
    assert runs == []


def test_config_object_and_a_user_shaped_app() -> None:
    config = TrustedHostConfig(allowed_hosts=["shop.example.org", "localhost"])
    app = CovetPy()
    app.add_middleware(TrustedHostMiddleware, config=config)

    @app.get("/reset-link")
    async def reset_link() -> dict[str, str]:
        return {"link": "/reset"}

    with TestClient(app, base_url="http://shop.example.org") as client:
        assert client.get("/reset-link").status_code == 200
        assert client.get("/reset-link", headers={"Host": "attacker.test"}).status_code == 400
        assert client.get("/missing").status_code == 404  # allowed host, normal routing


def test_websocket_with_a_bad_host_is_refused() -> None:
    app = CovetPy()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.org"])

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    with TestClient(app, base_url="http://example.org") as client:
        with client.websocket_connect("/ws") as session:
            assert session.receive_text() == "hello"
        with (
            pytest.raises(WebSocketRejectedError) as refused,
            client.websocket_connect("/ws", headers={"Host": "evil.com"}),
        ):
            pass
    assert refused.value.code == 1008


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs allowed_hosts"),
        ({"allowed_hosts": []}, "non-empty list"),
        ({"allowed_hosts": "example.org"}, "non-empty list"),
        ({"allowed_hosts": ["exa mple.org"]}, "not a host name"),
        ({"allowed_hosts": ["*example.org"]}, "not a host name"),
        ({"allowed_hosts": ["foo.*.org"]}, "not a host name"),
        ({"allowed_hosts": ["example.org/path"]}, "not a host name"),
        ({"allowed_hosts": ["*.[::1]"]}, "not IP addresses"),
        ({"allowed_hosts": [42]}, "takes host names"),
        ({"allowed_hosts": ["example.org"], "www_redirect": "yes"}, "www_redirect"),
        ({"allowed_hosts": ["example.org"], "allow": ["x"]}, "unknown option"),
    ],
    ids=[
        "missing",
        "empty",
        "a-string",
        "space",
        "bad-wildcard",
        "inner-wildcard",
        "path",
        "ip-wildcard",
        "not-a-string",
        "redirect-not-bool",
        "unknown-option",
    ],
)
def test_bad_settings_fail_at_start_up(options: dict[str, object], message: str) -> None:
    app = CovetPy()
    app.add_middleware(TrustedHostMiddleware, **options)
    with pytest.raises(ConfigurationError, match=message):
        app.build()


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("Example.ORG", ("example.org", None)),
        ("example.org.:443", ("example.org", 443)),
        ("example.org:", ("example.org", None)),
        ("[::1]", ("[::1]", None)),
        ("[0:0::1]:8000", ("[::1]", 8000)),
        ("127.0.0.1:65535", ("127.0.0.1", 65535)),
        ("under_score.internal", ("under_score.internal", None)),
        ("example.org:65536", None),
        ("example.org:-1", None),
        ("example.org:80:80", None),
        ("[::1", None),
        ("[::1]x", None),
        ("[fe80::1%eth0]", None),
        ("[not-ip]", None),
        ("a..b", None),
        ("-a.b", None),
        ("", None),
        (".", None),
    ],
)
def test_parse_host(value: str, parsed: tuple[str, int | None] | None) -> None:
    assert parse_host(value) == parsed
