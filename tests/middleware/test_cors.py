"""CORSMiddleware: preflights answered by the middleware, headers for allowed origins, Vary."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from covet import CovetPy, HTTPException, Response, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import CORSConfig, CORSMiddleware
from covet.middleware.cors import normalize_origin
from covet.testing import TestClient
from covet.types import Receive, Scope, Send
from tests.support.asgi import serve

APP_ORIGIN = "https://app.example.org"
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
)
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def make_app(**options: Any) -> tuple[CovetPy, list[str]]:
    app = CovetPy()
    app.add_middleware(CORSMiddleware, **options)
    runs: list[str] = []

    @app.get("/items")
    async def items() -> list[int]:
        runs.append("items")
        return [1, 2]

    @app.put("/items")
    async def put_items() -> str:
        runs.append("put")
        return "put"

    @app.get("/varies")
    async def varies() -> Response:
        return Response("x", headers={"Vary": "Accept-Encoding"})

    @app.get("/own-cors")
    async def own_cors() -> Response:
        return Response("x", headers={"Access-Control-Allow-Origin": "https://other.example"})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the database fell over")

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "No such item.")

    return app, runs


def client_for(**options: Any) -> tuple[TestClient, list[str]]:
    app, runs = make_app(**options)
    return TestClient(app, raise_server_exceptions=False), runs


def cors_headers(response: Any) -> dict[str, str]:
    return {name: response.headers[name] for name in CORS_HEADERS if name in response.headers}


def preflight(
    client: TestClient,
    path: str = "/items",
    *,
    origin: str = APP_ORIGIN,
    method: str = "PUT",
    headers: str | None = None,
    extra: dict[str, str] | None = None,
) -> Any:
    sent = {"Origin": origin, "Access-Control-Request-Method": method, **(extra or {})}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=sent)


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allow_origins": ["*"], "allow_credentials": True}, "browsers refuse a wildcard"),
        (
            {"allow_origins": [APP_ORIGIN], "allow_methods": ["*"], "allow_credentials": True},
            "'*' in allow_methods",
        ),
        (
            {"allow_origins": [APP_ORIGIN], "allow_headers": ["*"], "allow_credentials": True},
            "'*' in allow_headers",
        ),
        (
            {"allow_origins": [APP_ORIGIN], "expose_headers": ["*"], "allow_credentials": True},
            "'*' in expose_headers",
        ),
        ({"allow_origins": "https://app.example.org"}, "must be a list of origins"),
        ({"allow_origins": ["https://app.example.org/"]}, "without a path"),
        ({"allow_origins": ["https://app.example.org/api"]}, "without a path"),
        ({"allow_origins": ["app.example.org"]}, "is not an origin"),
        ({"allow_origins": ["https://user@app.example.org"]}, "is not an origin"),
        ({"allow_origins": ["https://*.example.org"]}, "allow_origin_regex"),
        ({"allow_origins": ["https://app.example.org:99999"]}, "no valid host"),
        ({"allow_origins": ["null"]}, "allowing it allows everyone"),
        ({"allow_origins": [42]}, "takes origins as strings"),
        ({"allow_origins": ["*", APP_ORIGIN]}, "instead of mixing them with '*'"),
        ({"allow_origins": ["*"], "allow_origin_regex": "https://.*"}, "mixing"),
        ({"allow_origin_regex": "https://(unclosed"}, "not a valid ASCII regular expression"),
        ({"allow_origin_regex": "https://bücher\\.de"}, "not a valid ASCII regular expression"),
        ({"allow_origin_regex": b"https://x"}, "must be a str"),
        ({"allow_methods": ["GET", "NOT A METHOD"]}, "is not a valid name"),
        ({"allow_methods": "GET"}, "must be a list of strings"),
        ({"allow_headers": ["X-Ok", "bad header"]}, "is not a valid name"),
        ({"expose_headers": ["X-Ok:"]}, "is not a valid name"),
        ({"max_age": -1}, "max_age must be"),
        ({"max_age": True}, "max_age must be"),
        ({"max_age": 1.5}, "max_age must be"),
        ({"allow_credentials": "yes"}, "allow_credentials must be True or False"),
        ({"allow_private_network": 1}, "allow_private_network must be True or False"),
        ({"allow_origin": [APP_ORIGIN]}, "unknown option(s) ['allow_origin']"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_options_are_refused_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CORSMiddleware(make_app()[0], **options)
    assert message in str(caught.value)


def test_config_and_options_together_are_refused() -> None:
    config = CORSConfig(allow_origins=[APP_ORIGIN])
    with pytest.raises(ConfigurationError, match="not both"):
        CORSMiddleware(make_app()[0], config=config, max_age=5)


@pytest.mark.parametrize(
    ("written", "normalized"),
    [
        ("HTTPS://App.Example.ORG", "https://app.example.org"),
        ("https://app.example.org:443", "https://app.example.org"),
        ("http://app.example.org:80", "http://app.example.org"),
        ("http://app.example.org:443", "http://app.example.org:443"),
        ("http://localhost:5173", "http://localhost:5173"),
        ("https://bücher.de", "https://xn--bcher-kva.de"),
        ("http://[0:0:0:0:0:0:0:1]:8000", "http://[::1]:8000"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("capacitor://localhost", "capacitor://localhost"),
        ("https://app.example.org.", "https://app.example.org"),
    ],
)
def test_origins_are_normalized_as_browsers_send_them(written: str, normalized: str) -> None:
    assert normalize_origin(written) == normalized
    client, _ = client_for(allow_origins=[written])
    response = client.get("/items", headers={"Origin": normalized})
    assert response.headers["access-control-allow-origin"] == normalized


# -- actual (simple) requests -------------------------------------------------------------------


def test_an_allowed_origin_gets_its_origin_credentials_and_exposed_headers() -> None:
    client, runs = client_for(
        allow_origins=[APP_ORIGIN, "http://localhost:5173"],
        allow_credentials=True,
        expose_headers=["X-Request-ID", "X-Total-Count"],
    )
    response = client.get("/items", headers={"Origin": APP_ORIGIN})
    assert response.json() == [1, 2]
    assert cors_headers(response) == {
        "access-control-allow-origin": APP_ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "X-Request-ID, X-Total-Count",
    }
    assert response.headers["vary"] == "Origin"
    assert runs == ["items"]


def test_a_disallowed_origin_is_served_without_cors_headers_but_with_vary() -> None:
    client, runs = client_for(allow_origins=[APP_ORIGIN], allow_credentials=True)
    response = client.get("/items", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert runs == ["items"]  # served: the browser, not the server, keeps the page from it
    assert cors_headers(response) == {}
    assert response.headers["vary"] == "Origin"


def test_without_origin_an_allowlist_still_adds_vary_for_caches() -> None:
    # A shared cache must not hand this (ACAO-less) answer to a browser asking with Origin.
    client, _ = client_for(allow_origins=[APP_ORIGIN])
    response = client.get("/items")
    assert cors_headers(response) == {}
    assert response.headers["vary"] == "Origin"


def test_every_origin_gets_a_star_without_vary() -> None:
    client, _ = client_for(allow_origins=["*"], expose_headers=["X-Total-Count"])
    for origin in (APP_ORIGIN, "https://anyone.example", "null"):
        response = client.get("/items", headers={"Origin": origin})
        assert cors_headers(response) == {
            "access-control-allow-origin": "*",
            "access-control-expose-headers": "X-Total-Count",
        }
        assert "vary" not in response.headers  # the same answer for every origin
    response = client.get("/items")
    assert cors_headers(response) == {}
    assert "vary" not in response.headers


def test_without_origin_and_star_the_app_gets_the_servers_own_send() -> None:
    seen: list[Send] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = CORSMiddleware(app, allow_origins=["*"])
    asyncio.run(serve(middleware, "GET", "/"))
    asyncio.run(serve(middleware, "GET", "/", headers=[(b"origin", b"https://a.example")]))
    assert seen[0].__name__ == "send"  # tests.support.asgi's own: no wrapper
    assert seen[1].__name__ == "send_with_cors"


@pytest.mark.parametrize(
    ("path", "vary"),
    [("/varies", "Accept-Encoding, Origin")],
)
def test_origin_is_merged_into_the_apps_vary(path: str, vary: str) -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN])
    for headers in ({"Origin": APP_ORIGIN}, {"Origin": "https://evil.example"}, {}):
        response = client.get(path, headers=headers)
        assert response.headers.get_list("vary") == [vary]


@pytest.mark.parametrize(
    "app_vary",
    [[b"Origin"], [b"accept-encoding, ORIGIN"], [b"*"], [b"Accept", b"origin"]],
    ids=["origin", "in-a-list", "star", "second-line"],
)
def test_a_vary_already_naming_origin_is_left_alone(app_vary: list[bytes]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"vary", value) for value in app_vary]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    middleware = CORSMiddleware(app, allow_origins=[APP_ORIGIN])
    _, headers, _ = asyncio.run(serve(middleware, "GET", "/"))
    assert [value for name, value in headers if name == b"vary"] == app_vary


def test_an_empty_vary_becomes_origin() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"vary", b"")]})
        await send({"type": "http.response.body", "body": b""})

    _, headers, _ = asyncio.run(serve(CORSMiddleware(app, allow_origins=[APP_ORIGIN]), "GET", "/"))
    assert headers == [(b"vary", b"Origin")]


def test_the_apps_own_access_control_allow_origin_wins() -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN], allow_credentials=True)
    response = client.get("/own-cors", headers={"Origin": APP_ORIGIN})
    assert response.headers.get_list("access-control-allow-origin") == ["https://other.example"]
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["vary"] == "Origin"


def test_errors_of_the_app_carry_the_cors_headers_so_the_browser_shows_them() -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN], allow_credentials=True)
    response = client.get("/boom", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 500
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert cors_headers(response) == {
        "access-control-allow-origin": APP_ORIGIN,
        "access-control-allow-credentials": "true",
    }
    assert response.headers.get_list("vary") == ["Origin"]
    response = client.get("/missing", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    refused = client.get("/boom", headers={"Origin": "https://evil.example"})
    assert cors_headers(refused) == {}
    assert refused.headers.get_list("vary") == ["Origin"]
    assert client.get("/boom").headers.get_list("vary") == ["Origin"]


def test_errors_of_middleware_inside_cors_carry_the_headers_too() -> None:
    class Broken:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            raise RuntimeError("middleware bug")

    app = CovetPy()
    app.add_middleware(Broken)
    app.add_middleware(CORSMiddleware, allow_origins=["*"])  # added last: outermost
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_mounted_apps_error_carries_one_set_of_headers() -> None:
    inner = CovetPy()

    @inner.get("/boom")
    async def boom() -> None:
        raise RuntimeError("inner")

    outer = CovetPy()
    outer.add_middleware(CORSMiddleware, allow_origins=[APP_ORIGIN])
    outer.mount("/inner", inner)
    client = TestClient(outer, raise_server_exceptions=False)
    response = client.get("/inner/boom", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 500
    assert response.headers.get_list("access-control-allow-origin") == [APP_ORIGIN]
    assert response.headers.get_list("vary") == ["Origin"]


# -- preflights ---------------------------------------------------------------------------------


def test_an_allowed_preflight_is_answered_204_by_the_middleware() -> None:
    client, runs = client_for(
        allow_origins=[APP_ORIGIN],
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Custom"],
        allow_credentials=True,
        expose_headers=["X-Total-Count"],
        max_age=3600,
    )
    response = preflight(client, headers="content-type,x-custom")
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": APP_ORIGIN,
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-headers": "content-type, x-custom",
        "access-control-allow-credentials": "true",
        "access-control-max-age": "3600",
    }
    assert response.headers["vary"] == PREFLIGHT_VARY
    assert runs == []  # the app never saw it
    assert preflight(client, "/no/such/route").status_code == 204


def test_preflight_defaults_allow_get_and_cache_ten_minutes() -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN])
    response = preflight(client, method="GET")
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": APP_ORIGIN,
        "access-control-allow-methods": "GET",
        "access-control-max-age": "600",
    }
    assert preflight(client, method="PUT").status_code == 403


@pytest.mark.parametrize(
    ("origin", "method", "headers", "detail"),
    [
        ("https://evil.example", "GET", None, "This origin is not allowed"),
        ("null", "GET", None, "This origin is not allowed"),
        (APP_ORIGIN, "DELETE", None, "The method DELETE is not allowed"),
        (APP_ORIGIN, "put", None, "The method put is not allowed"),
        (APP_ORIGIN, "GET", "x-custom, x-secret", "The header 'x-secret' is not allowed"),
    ],
)
def test_a_refused_preflight_is_a_403_problem_without_cors_headers(
    origin: str, method: str, headers: str | None, detail: str
) -> None:
    client, runs = client_for(
        allow_origins=[APP_ORIGIN], allow_methods=["GET", "PUT"], allow_headers=["x-custom"]
    )
    response = preflight(client, origin=origin, method=method, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "CORS preflight refused"
    assert detail in response.json()["detail"]
    assert cors_headers(response) == {}
    assert response.headers["vary"] == PREFLIGHT_VARY
    assert runs == []


@pytest.mark.parametrize(
    ("method", "headers"),
    [("", None), ("GET PUT", None), ("GET", "x-ok, bad header"), ("GET", "x-ok;x")],
    ids=["empty-method", "two-methods", "space-in-header", "semicolon"],
)
def test_a_malformed_preflight_is_a_400(method: str, headers: str | None) -> None:
    client, _ = client_for(allow_origins=["*"], allow_headers=["*"], allow_methods=["*"])
    response = preflight(client, method=method, headers=headers)
    assert response.status_code == 400
    assert cors_headers(response) == {}


def test_allow_headers_are_case_insensitive_and_safelisted_ones_always_allowed() -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN], allow_headers=["X-Custom"])
    for asked in ("x-custom", "X-CUSTOM", "Content-Type, x-custom", "accept,accept-language"):
        assert preflight(client, method="GET", headers=asked).status_code == 204, asked
    response = preflight(client, method="GET", headers=" X-Custom ,, content-language ")
    assert response.headers["access-control-allow-headers"] == "x-custom, content-language"


def test_star_methods_and_headers_reflect_what_was_asked() -> None:
    client, _ = client_for(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    response = preflight(client, method="PURGE", headers="authorization,x-anything")
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "PURGE",
        "access-control-allow-headers": "authorization, x-anything",
        "access-control-max-age": "600",
    }


def test_an_options_request_without_a_requested_method_goes_to_the_app() -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN])
    response = client.options("/items", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 204
    assert set(response.headers["allow"].split(", ")) >= {"GET", "PUT"}  # the router's answer
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "access-control-allow-methods" not in response.headers


def test_private_network_preflights_need_allow_private_network() -> None:
    ask = {"Access-Control-Request-Private-Network": "true"}
    client, _ = client_for(allow_origins=[APP_ORIGIN], allow_private_network=True)
    response = preflight(client, method="GET", extra=ask)
    assert response.status_code == 204
    assert response.headers["access-control-allow-private-network"] == "true"
    assert "access-control-allow-private-network" not in preflight(client, method="GET").headers
    client, _ = client_for(allow_origins=[APP_ORIGIN])
    response = preflight(client, method="GET", extra=ask)
    assert response.status_code == 403
    assert "Private network access" in response.json()["detail"]


# -- origin patterns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.org", True),
        ("https://admin.example.org", True),
        ("https://admin.example.org:8443", False),
        ("https://app.example.org.evil.com", False),  # would match a prefix search
        ("https://evil-app.example.org", False),  # would match a suffix search
        ("https://evilapp.example.org", False),
        ("http://app.example.org", False),
        ("https://app.example.org/", False),
        ("https://APP.example.org", False),  # browsers send lower case: never a match
    ],
)
def test_allow_origin_regex_must_match_the_whole_origin(origin: str, allowed: bool) -> None:
    client, _ = client_for(allow_origin_regex=r"https://(app|admin)\.example\.org")
    response = client.get("/items", headers={"Origin": origin})
    assert ("access-control-allow-origin" in response.headers) is allowed
    assert response.headers["vary"] == "Origin"
    assert (preflight(client, origin=origin, method="GET").status_code == 204) is allowed


def test_regex_and_list_combine() -> None:
    client, _ = client_for(
        allow_origins=["http://localhost:5173"],
        allow_origin_regex=r"https://[a-z0-9-]+\.example\.org",
    )
    for origin in ("http://localhost:5173", "https://pr-42.example.org"):
        response = client.get("/items", headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == origin
    response = client.get("/items", headers={"Origin": "https://x.example.org.evil.com"})
    assert "access-control-allow-origin" not in response.headers


def test_origin_null_is_refused_by_an_allowlist_and_a_regex() -> None:
    client, _ = client_for(allow_origins=[APP_ORIGIN], allow_origin_regex=r".*")
    response = client.get("/items", headers={"Origin": "null"})
    assert "access-control-allow-origin" not in response.headers
    assert preflight(client, origin="null", method="GET").status_code == 403


# -- other kinds of connection ------------------------------------------------------------------


def test_websockets_pass_untouched_even_from_a_disallowed_origin() -> None:
    app, _ = make_app(allow_origins=[APP_ORIGIN])

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.headers["origin"])
        await websocket.close()

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", headers={"Origin": "https://evil.example"}) as ws,
    ):
        assert ws.receive_text() == "https://evil.example"
