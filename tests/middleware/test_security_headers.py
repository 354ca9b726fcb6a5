"""SecurityHeadersMiddleware: safe defaults, HSTS on https only, the response's own headers kept."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from covet import CovetPy, HTTPException, Response, Router, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import (
    ProxyHeadersMiddleware,
    SecurityHeadersConfig,
    SecurityHeadersMiddleware,
)
from covet.middleware.security_headers import DEFAULT_CSP, csp_text
from covet.responses import StreamingResponse
from covet.testing import TestClient
from covet.testing.exceptions import LifespanError

DEFAULTS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
        "object-src 'none'; img-src 'self' data:"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
}
HSTS = "max-age=31536000; includeSubDomains"
EVERY_HEADER = (
    *DEFAULTS,
    "strict-transport-security",
    "content-security-policy-report-only",
    "cross-origin-embedder-policy",
)


def make_app(**options: Any) -> CovetPy:
    app = CovetPy()
    app.add_middleware(SecurityHeadersMiddleware, **options)

    @app.get("/")
    async def index() -> dict[str, int]:
        return {"a": 1}

    @app.get("/own")
    async def own() -> Response:
        return Response(
            "x",
            headers={
                "Content-Security-Policy": "default-src 'none'",
                "X-Frame-Options": "SAMEORIGIN",
            },
        )

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the database fell over")

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "No such item.")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"one,"
            yield b"two"

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


def ours(response: Any) -> dict[str, str]:
    return {name: response.headers[name] for name in EVERY_HEADER if name in response.headers}


def test_defaults_on_a_plain_http_request() -> None:
    response = TestClient(make_app()).get("/")

    assert response.json() == {"a": 1}
    assert ours(response) == DEFAULTS  # no HSTS over plain HTTP: browsers ignore it there


def test_hsts_is_sent_on_https_requests() -> None:
    response = TestClient(make_app(), base_url="https://shop.example.org").get("/")

    assert ours(response) == {**DEFAULTS, "strict-transport-security": HSTS}


def test_hsts_follows_the_scheme_a_trusted_proxy_reports() -> None:
    app = make_app()
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["127.0.0.1"])
    client = TestClient(app, client=("127.0.0.1", 50000))

    forwarded = {"X-Forwarded-For": "198.51.100.7"}

    behind_tls = client.get("/", headers={**forwarded, "X-Forwarded-Proto": "https"})
    plain = client.get("/", headers={**forwarded, "X-Forwarded-Proto": "http"})
    spoofed = TestClient(app, client=("203.0.113.9", 50000)).get(
        "/", headers={**forwarded, "X-Forwarded-Proto": "https"}
    )

    assert behind_tls.headers["strict-transport-security"] == HSTS
    assert "strict-transport-security" not in plain.headers
    assert "strict-transport-security" not in spoofed.headers


def test_headers_the_response_set_are_kept_and_never_doubled() -> None:
    response = TestClient(make_app()).get("/own")

    assert response.headers.get_list("content-security-policy") == ["default-src 'none'"]
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_error_responses_carry_the_headers() -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)

    boom = client.get("/boom")
    missing = client.get("/missing")
    no_route = client.get("/nowhere")

    assert boom.status_code == 500
    assert "fell over" not in boom.text
    for response in (boom, missing, no_route):
        assert ours(response) == DEFAULTS, response.status_code


def test_streamed_and_head_responses_get_the_headers() -> None:
    client = TestClient(make_app())

    streamed = client.get("/stream")
    head = client.head("/")

    assert streamed.text == "one,two"
    assert ours(streamed) == DEFAULTS
    assert head.content == b""
    assert ours(head) == DEFAULTS


def test_none_leaves_a_header_out() -> None:
    response = TestClient(
        make_app(
            content_security_policy=None,
            x_frame_options=None,
            permissions_policy=None,
            strict_transport_security=None,
        ),
        base_url="https://shop.example.org",
    ).get("/")

    assert set(ours(response)) == set(DEFAULTS) - {
        "content-security-policy",
        "x-frame-options",
        "permissions-policy",
    }


def test_every_header_configured() -> None:
    app = make_app(
        strict_transport_security="max-age=63072000; includeSubDomains; preload",
        content_security_policy={**DEFAULT_CSP, "script-src": ["'self'", "https://cdn.example"]},
        content_security_policy_report_only="default-src 'none'; report-to csp",
        x_content_type_options=False,
        x_frame_options="sameorigin",
        referrer_policy="no-referrer",
        cross_origin_opener_policy="same-origin-allow-popups",
        cross_origin_resource_policy="cross-origin",
        cross_origin_embedder_policy="require-corp",
        permissions_policy={"camera": ["self"], "fullscreen": "*", "geolocation": []},
    )

    response = TestClient(app, base_url="https://shop.example.org").get("/")

    assert ours(response) == {
        "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
        "content-security-policy": DEFAULTS["content-security-policy"]
        + "; script-src 'self' https://cdn.example",
        "content-security-policy-report-only": "default-src 'none'; report-to csp",
        "x-frame-options": "SAMEORIGIN",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin-allow-popups",
        "cross-origin-resource-policy": "cross-origin",
        "cross-origin-embedder-policy": "require-corp",
        "permissions-policy": "camera=(self), fullscreen=*, geolocation=()",
    }


def test_a_config_object_is_accepted_and_an_empty_permissions_mapping_sends_none() -> None:
    config = SecurityHeadersConfig(
        permissions_policy={}, content_security_policy="default-src 'self'"
    )
    app = CovetPy()
    app.add_middleware(SecurityHeadersMiddleware, config=config)

    @app.get("/")
    async def index() -> str:
        return "x"

    response = TestClient(app).get("/")
    assert "permissions-policy" not in response.headers
    assert response.headers["content-security-policy"] == "default-src 'self'"


def test_csp_text_joins_directives() -> None:
    assert csp_text({"default-src": "'self'", "img-src": ["'self'", "data:"]}) == (
        "default-src 'self'; img-src 'self' data:"
    )


# -- per route ------------------------------------------------------------------------------


def test_a_route_changes_or_drops_its_headers() -> None:
    app = make_app()

    @app.get("/embeddable", opt={"security_headers": {"x_frame_options": "SAMEORIGIN"}})
    async def embeddable() -> str:
        return "x"

    @app.get("/raw", opt={"security_headers": False})
    async def raw() -> str:
        return "x"

    client = TestClient(app, base_url="https://shop.example.org")
    embeddable_response = client.get("/embeddable")
    assert ours(embeddable_response) == {
        **DEFAULTS,
        "strict-transport-security": HSTS,
        "x-frame-options": "SAMEORIGIN",
    }
    assert ours(client.get("/raw")) == {}
    assert ours(client.get("/")) == {**DEFAULTS, "strict-transport-security": HSTS}


def test_a_router_option_covers_its_routes() -> None:
    app = make_app()
    widgets = Router(prefix="/widgets", opt={"security_headers": {"content_security_policy": None}})

    @widgets.get("/{name}")
    async def widget(name: str) -> str:
        return name

    app.include_router(widgets)

    with TestClient(app) as client:
        response = client.get("/widgets/clock")

    assert response.json() == "clock"
    assert ours(response) == {k: v for k, v in DEFAULTS.items() if k != "content-security-policy"}


@pytest.mark.parametrize(
    ("opt", "message"),
    [
        ("no", r"must be False or a mapping"),
        (True, r"must be False or a mapping"),
        ({"x_frame_option": "DENY"}, r"unknown field\(s\) \['x_frame_option'\]"),
        ({"_plain": ()}, r"unknown field\(s\) \['_plain'\]"),
        ({"x_frame_options": "ALLOW-FROM https://a"}, r"x_frame_options='ALLOW-FROM"),
    ],
)
def test_a_bad_route_opt_stops_start_up(opt: Any, message: str) -> None:
    app = make_app()

    @app.get("/bad", opt={"security_headers": opt})
    async def bad() -> str:
        return "x"

    with pytest.raises(LifespanError, match=message), TestClient(app):
        pass


def test_websocket_connections_pass_untouched() -> None:
    app = make_app()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    with TestClient(app) as client, client.websocket_connect("/ws") as socket:
        assert socket.receive_text() == "hi"


# -- configuration errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"x_frame_options": "ALLOWALL"}, r"x_frame_options='ALLOWALL' is not one of"),
        ({"referrer_policy": "never"}, r"referrer_policy='never'"),
        ({"cross_origin_opener_policy": "open"}, r"cross_origin_opener_policy"),
        ({"cross_origin_resource_policy": 1}, r"cross_origin_resource_policy=1"),
        ({"cross_origin_embedder_policy": "corp"}, r"cross_origin_embedder_policy"),
        ({"x_content_type_options": "nosniff"}, r"x_content_type_options must be True or False"),
        ({"strict_transport_security": "includeSubDomains"}, r"'max-age=<seconds>'"),
        ({"strict_transport_security": "max-age=1; max-age=2"}, r"'max-age=<seconds>'"),
        ({"strict_transport_security": "max-age=-1"}, r"'max-age=<seconds>'"),
        ({"strict_transport_security": "max-age=60; nosniff"}, r"'max-age=<seconds>'"),
        ({"strict_transport_security": "max-age=63072000; preload"}, r"'preload' needs"),
        (
            {"strict_transport_security": "max-age=600; includeSubDomains; preload"},
            r"'preload' needs",
        ),
        ({"strict_transport_security": "max-age=60\r\nSet-Cookie: a=b"}, r"without line breaks"),
        ({"content_security_policy": "default-src 'self'\nx: y"}, r"without line breaks"),
        ({"content_security_policy": ""}, r"non-empty header value"),
        ({"content_security_policy": {"default-src": "'self'; script-src *"}}, r"not a source"),
        ({"content_security_policy": {"default-src": "a, b"}}, r"not a source"),
        ({"content_security_policy": {"default-src": [""]}}, r"not a source"),
        ({"content_security_policy": {"Default Src": "'self'"}}, r"not a CSP directive name"),
        ({"content_security_policy": ["default-src 'self'"]}, r"mapping of directives"),
        ({"content_security_policy_report_only": {"img-src": "\x00"}}, r"not a source"),
        ({"permissions_policy": {"camera": ["https://a.example"]}}, r"quoted origin"),
        ({"permissions_policy": {"camera": "none"}}, r"not an allowlist member"),
        ({"permissions_policy": {"Camera!": []}}, r"not a Permissions-Policy feature"),
        ({"permissions_policy": ["camera=()"]}, r"text or a mapping"),
        ({"permissions_policy": "camera=()\r\n"}, r"without line breaks"),
        ({"x_frame": "DENY"}, r"unknown option\(s\) \['x_frame'\]"),
    ],
)
def test_invalid_options_are_refused_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SecurityHeadersMiddleware(make_app(), **options)


def test_a_config_and_options_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        SecurityHeadersMiddleware(
            CovetPy(), config=SecurityHeadersConfig(), x_frame_options="SAMEORIGIN"
        )


# -- the docs pages under the default policy ------------------------------------------------


def test_docs_pages_send_their_own_policy_which_the_middleware_keeps() -> None:
    client = TestClient(make_app())

    swagger = client.get("/docs")
    redoc = client.get("/redoc")

    swagger_policy = swagger.headers.get_list("content-security-policy")
    redoc_policy = redoc.headers.get_list("content-security-policy")
    assert len(swagger_policy) == len(redoc_policy) == 1
    assert swagger_policy != [DEFAULTS["content-security-policy"]]
    # The page's only inline script is allowed by its hash, and nothing else inline.
    inline = re.findall(r"<script>(.*?)</script>", swagger.text, re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in swagger_policy[0]
    assert "'unsafe-inline'" not in swagger_policy[0].split("script-src")[1].split(";")[0]
    assert "<script>" not in redoc.text
    assert swagger.headers["x-content-type-options"] == "nosniff"
