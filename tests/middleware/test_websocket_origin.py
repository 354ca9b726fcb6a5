"""WebSocketOriginMiddleware: cross-site WebSocket hijacking refused before accept."""

from __future__ import annotations

import pytest

from covet import CovetPy, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import WebSocketOriginConfig, WebSocketOriginMiddleware
from covet.testing import TestClient, WebSocketRejectedError

ran: list[str] = []


def make_app(**options: object) -> CovetPy:
    app = CovetPy()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        ran.append("handler")
        await websocket.accept()
        await websocket.send_text("welcome")
        await websocket.close()

    @app.get("/")
    async def page() -> str:
        return "page"

    app.add_middleware(WebSocketOriginMiddleware, **options)
    return app


CASES = [
    ({"allow_origins": ["https://app.example.org"]}, "https://app.example.org", True),
    ({"allow_origins": ["https://app.example.org"]}, "HTTPS://APP.EXAMPLE.ORG", True),
    ({"allow_origins": ["https://app.example.org:443"]}, "https://app.example.org", True),
    ({"allow_origins": ["https://app.example.org"]}, "https://evil.example", False),
    ({"allow_origins": ["https://app.example.org"]}, "http://app.example.org", False),
    ({"allow_origins": ["https://app.example.org"]}, "https://app.example.org.evil", False),
    ({"allow_origins": ["https://app.example.org"]}, "null", False),
    ({"allow_origin_regex": r"https://[a-z]+\.example\.org"}, "https://shop.example.org", True),
    ({"allow_origin_regex": r"https://[a-z]+\.example\.org"}, "https://x.example.org/a", False),
    ({}, "http://testserver", True),  # the app's own origin (Host: testserver)
    ({}, "http://testserver:80", True),
    ({}, "https://testserver", False),  # ws:// is the http origin
    ({}, "http://testserver:8080", False),
    ({"allow_same_origin": False}, "http://testserver", False),
    ({}, None, True),  # no Origin: not a browser
    ({"allow_missing_origin": False}, None, False),
]


@pytest.mark.parametrize(("options", "origin", "allowed"), CASES, ids=lambda v: repr(v))
def test_only_allowed_origins_reach_the_handler(
    options: dict[str, object], origin: str | None, allowed: bool
) -> None:
    ran.clear()
    client = TestClient(make_app(**options))
    headers = {"origin": origin} if origin is not None else {}
    if allowed:
        with client.websocket_connect("/ws", headers=headers) as ws:
            assert ws.receive_text() == "welcome"
        assert ran == ["handler"]
    else:
        with (
            pytest.raises(WebSocketRejectedError) as refused,
            client.websocket_connect("/ws", headers=headers),
        ):
            pass
        assert refused.value.code == 1008
        assert ran == []
    assert client.get("/", headers=headers).text == '"page"'  # HTTP is never refused


def test_a_repeated_origin_header_is_refused() -> None:
    ran.clear()
    client = TestClient(make_app(allow_origins=["https://app.example.org"]))
    headers = [("origin", "https://app.example.org")] * 2  # each allowed, but two
    with pytest.raises(WebSocketRejectedError), client.websocket_connect("/ws", headers=headers):
        pass
    assert ran == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allow_origins": ["*"]}, "do not add the middleware"),
        ({"allow_origins": ["https://a.example/"]}, "WebSocketOriginMiddleware: .* not an origin"),
        ({"allow_origins": ["null"]}, "'null' cannot be an allowed origin"),
        ({"allow_origin_regex": "("}, "not a valid ASCII regular expression"),
        ({"allow_same_origin": "yes"}, "allow_same_origin must be True or False"),
        ({"allow_origin": ["x"]}, "unknown option"),
    ],
    ids=["star", "path", "null", "regex", "flag", "typo"],
)
def test_bad_settings_fail_at_start_up(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        WebSocketOriginMiddleware(make_app(), **options)


def test_a_config_object_can_be_shared() -> None:
    config = WebSocketOriginConfig(allow_origins=["https://app.example.org"])
    middleware = WebSocketOriginMiddleware(make_app(), config=config)
    assert middleware.config is config
    assert config.allow_origins == ("https://app.example.org",)
