"""RateLimitMiddleware through the TestClient, on memory and on the real Redis."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from covet import CovetPy, Request, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import ProxyHeadersMiddleware, RateLimitMiddleware
from covet.middleware.ratelimit import RateLimitConfig
from covet.stores import MemoryStore, RedisStore, Store, StoreUnavailableError
from covet.testing import TestClient
from covet.testing.exceptions import LifespanError
from covet.types import ASGIApp, Receive, Scope, Send
from tests.ratelimit.backends import Backend, Recording, backend
from tests.support.asgi import serve
from tests.support.redis import ThrowawayRedis

__all__ = ["backend"]


def make_app(store: Store | None = None, **options: Any) -> CovetPy:
    app = CovetPy()
    app.add_middleware(RateLimitMiddleware, store=store, **options)

    @app.get("/")
    async def index() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/other")
    async def other() -> dict[str, bool]:
        return {"other": True}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "up"}

    @app.get("/static/{name}")
    async def static(name: str) -> dict[str, str]:
        return {"name": name}

    @app.get("/free", opt={"rate_limit": False})
    async def free() -> dict[str, bool]:
        return {"free": True}

    @app.post("/login", opt={"rate_limit": "2/minute"})
    async def login() -> dict[str, bool]:
        return {"in": True}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    return app


def test_exactly_the_limit_passes_then_429_with_headers(backend: Backend) -> None:
    app = make_app(backend.store(), limit="5/minute")
    with TestClient(app) as client:
        responses = [client.get("/") for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    for response in responses:
        assert response.headers["ratelimit-policy"] == '"5-per-60s";q=5;w=60'
    assert [r.headers["ratelimit"] for r in responses[:5]] == [
        f'"5-per-60s";r={remaining};t={12 * (5 - remaining)}' for remaining in (4, 3, 2, 1, 0)
    ]
    refused = responses[5]
    assert refused.headers["retry-after"] == "12"
    assert refused.headers["ratelimit"] == '"5-per-60s";r=0;t=12'
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Rate limit of 5 per minute exceeded; retry in 12 seconds.",
        "instance": "/",
    }


def test_the_window_refills(backend: Backend) -> None:
    app = make_app(backend.store(), limit="2/second")
    with TestClient(app) as client:
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
        backend.wait(1.0)
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_a_named_limit_names_its_policy(backend: Backend) -> None:
    app = make_app(backend.store(), limit="3/hour", name="api")
    with TestClient(app) as client:
        response = client.get("/")
    assert response.headers["ratelimit-policy"] == '"api";q=3;w=3600'
    assert response.headers["ratelimit"] == '"api";r=2;t=1200'


def test_several_rates_at_once(backend: Backend) -> None:
    app = make_app(backend.store(), limit="2/second;3/minute")
    with TestClient(app) as client:
        first = client.get("/")
        assert first.headers["ratelimit-policy"] == ('"2-per-1s";q=2;w=1, "3-per-60s";q=3;w=60')
        assert first.headers["ratelimit"] == '"2-per-1s";r=1;t=1, "3-per-60s";r=2;t=20'
        assert client.get("/").status_code == 200
        refused = client.get("/")  # the per-second rate refuses; the minute is not charged
        assert refused.status_code == 429
        assert refused.headers["ratelimit"] == '"2-per-1s";r=0;t=1'
        backend.wait(1.0)
        assert client.get("/").status_code == 200  # the minute's third request
        refused = client.get("/")
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("Rate limit of 3 per minute exceeded")


def test_each_client_address_has_its_own_budget(backend: Backend) -> None:
    app = make_app(backend.store(), limit="1/minute")
    with TestClient(app, client=("10.0.0.1", 1000)) as first:
        assert first.get("/").status_code == 200
        assert first.get("/").status_code == 429
    with TestClient(app, client=("10.0.0.2", 1000)) as second:
        assert second.get("/").status_code == 200
        assert second.get("/").status_code == 429
    with TestClient(app, client=("10.0.0.1", 1000)) as first:
        assert first.get("/").status_code == 429  # the store kept its count across restarts


def test_all_routes_share_the_app_wide_budget(backend: Backend) -> None:
    app = make_app(backend.store(), limit="2/minute")
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        assert client.get("/other").status_code == 200
        assert client.get("/").status_code == 429
        assert client.get("/nowhere").status_code == 429  # a 404 is a request too


def test_a_route_limit_is_counted_apart(backend: Backend) -> None:
    app = make_app(backend.store(), limit="3/minute")
    with TestClient(app) as client:
        logins = [client.post("/login") for _ in range(3)]
        assert [r.status_code for r in logins] == [200, 200, 429]
        assert logins[0].headers["ratelimit-policy"] == '"2-per-60s";q=2;w=60'
        assert [client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_exempt_paths_methods_and_routes(backend: Backend) -> None:
    app = make_app(
        backend.store(),
        limit="1/minute",
        exempt_paths=["/health", "/static/*"],
        exempt_methods=["head"],
    )
    with TestClient(app) as client:
        for _ in range(3):
            for path in ("/health", "/static/app.css", "/free"):
                response = client.get(path)
                assert response.status_code == 200, path
                assert "ratelimit" not in response.headers
            assert client.head("/").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 429


def test_websockets_pass_through(backend: Backend) -> None:
    app = make_app(backend.store(), limit="1/minute")
    with TestClient(app) as client:
        for _ in range(3):
            with client.websocket_connect("/ws") as ws:
                assert ws.receive_text() == "hi"


class Authenticate:
    """Puts the ``X-User`` header's user in ``scope["user"]``, as authentication would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", ()):
            if name == b"x-user":
                scope["user"] = value.decode()
        await self.app(scope, receive, send)


def test_keyed_by_user(backend: Backend) -> None:
    app = make_app(backend.store(), limit="1/minute", key="user")
    app.add_middleware(Authenticate)  # outermost: the user is known before the limit
    with TestClient(app) as client:
        assert client.get("/", headers={"x-user": "ann"}).status_code == 200
        assert client.get("/", headers={"x-user": "ann"}).status_code == 429
        assert client.get("/", headers={"x-user": "bob"}).status_code == 200
        assert client.get("/").status_code == 200  # anonymous: by address
        assert client.get("/").status_code == 429


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_key_function(backend: Backend, kind: str) -> None:
    def by_tenant(request: Request) -> str | None:
        return request.headers.get("x-tenant")

    async def by_tenant_async(request: Request) -> str | None:
        return by_tenant(request)

    key = by_tenant if kind == "sync" else by_tenant_async
    app = make_app(backend.store(), limit="1/minute", key=key)
    with TestClient(app) as client:
        assert client.get("/", headers={"x-tenant": "a"}).status_code == 200
        assert client.get("/", headers={"x-tenant": "a"}).status_code == 429
        assert client.get("/", headers={"x-tenant": "b"}).status_code == 200
        for _ in range(3):  # no key: not limited
            assert client.get("/").status_code == 200


def test_a_huge_key_is_stored_as_its_digest() -> None:
    store = MemoryStore()
    app = make_app(store, limit="1/minute", key=lambda request: request.headers["x-k"])
    with TestClient(app) as client:
        assert client.get("/", headers={"x-k": "k" * 5000}).status_code == 200
        assert client.get("/", headers={"x-k": "k" * 5000}).status_code == 429
        assert client.get("/", headers={"x-k": "k" * 4999}).status_code == 200
    assert len(store) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "limit"),
        ({"limit": "5/fortnight"}, "'5/fortnight' is not understood"),
        ({"limit": "0/minute"}, "'0/minute' is not understood"),
        ({"limit": "5 minute"}, '"5/minute", "100/hour"'),
        ({"limit": "5/minute", "key": "session"}, "key='session' is not a known key"),
        ({"limit": "5/minute", "key": 42}, "key must be 'ip', 'user' or a function"),
        ({"limit": "5/minute", "fail_open": "no"}, "fail_open must be True or False"),
        ({"limit": "5/minute", "exempt_paths": "/health"}, "must be a list of strings"),
        ({"limit": "5/minute", "exempt_paths": ["health"]}, "must start with '/'"),
        ({"limit": "5/minute", "exempt_methods": ["GE T"]}, "is not an HTTP method"),
        ({"limit": "5/minute", "name": 'a"b'}, "name 'a\"b' must be 1 to 64 letters"),
        ({"limit": "5/minute", "store": "redis://x"}, "must be a covet.stores.Store"),
        ({"limit": "5/minute", "config": RateLimitConfig("1/second")}, "not both"),
        ({"limit": "5/minute", "burst": 3}, "unknown option(s) ['burst']"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_settings_fail_at_start_up(options: dict[str, Any], message: str) -> None:
    app = CovetPy()
    app.add_middleware(RateLimitMiddleware, **options)
    with pytest.raises(ConfigurationError) as raised:
        app.build()
    assert message in str(raised.value)


def test_a_bad_route_limit_fails_at_start_up() -> None:
    app = CovetPy()
    app.add_middleware(RateLimitMiddleware, limit="5/minute")

    @app.get("/x", opt={"rate_limit": "lots"})
    async def x() -> None:
        return None

    with (
        pytest.raises(LifespanError, match=r"Route '/x' has opt rate_limit='lots'"),
        TestClient(app),
    ):
        pass


def test_a_config_object() -> None:
    config = RateLimitConfig("1/minute", exempt_paths=("/health",))
    app = make_app(config=config)
    with TestClient(app) as client:
        assert [client.get("/").status_code for _ in range(2)] == [200, 429]
        assert client.get("/health").status_code == 200


def test_the_store_is_closed_at_shutdown() -> None:
    Recording.closed = 0
    app = make_app(Recording(), limit="5/minute")
    with TestClient(app) as client:
        client.get("/")
        assert Recording.closed == 0
    assert Recording.closed == 1


def test_the_default_store_is_the_apps_own() -> None:
    first, second = make_app(limit="1/minute"), make_app(limit="1/minute")
    with TestClient(first) as one, TestClient(second) as two:
        assert one.get("/").status_code == 200
        assert two.get("/").status_code == 200
        assert one.get("/").status_code == 429


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
def test_a_redis_outage_and_recovery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fail_open: bool
) -> None:
    with ThrowawayRedis(tmp_path) as redis_server:
        store = RedisStore(redis_server.url, namespace="outage:")
        app = make_app(store, limit="2/minute", fail_open=fail_open)
        with TestClient(app) as client, caplog.at_level(logging.INFO, "covet.ratelimit"):
            assert client.get("/").status_code == 200
            redis_server.stop()
            during = [client.get("/") for _ in range(5)]
            if fail_open:
                assert [r.status_code for r in during] == [200] * 5
                assert all("ratelimit" not in r.headers for r in during)
            else:
                assert [r.status_code for r in during] == [503] * 5
                assert during[0].headers["retry-after"] == "5"
                assert during[0].json()["detail"] == (
                    "Rate limiting is temporarily unavailable; retry shortly."
                )
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 1
            assert "rate limit store is unavailable" in warnings[0].getMessage()
            redis_server.start()
            # Redis came back empty: the budget starts again, exactly.
            assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
            assert any("answers again" in r.getMessage() for r in caplog.records)


class Flaky(MemoryStore):
    """A memory store whose backend can be switched off, as a Redis outage would."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def rate_limit(self, key: str, *, limit: int, period: float, cost: int = 1) -> Any:
        if self.down:
            raise StoreUnavailableError("connection refused")
        return await super().rate_limit(key, limit=limit, period=period, cost=cost)


def test_an_outage_warns_once_then_at_most_once_a_minute(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Flaky()
    app = make_app(store, limit="1/minute")
    with TestClient(app) as client, caplog.at_level(logging.INFO, "covet.ratelimit"):
        store.down = True
        assert [client.get("/").status_code for _ in range(10)] == [200] * 10
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == [
            "RateLimitMiddleware: the rate limit store is unavailable (connection refused); "
            "letting requests through until it answers again (1 request(s) so far)."
        ]
        monkeypatch.setattr("covet.ratelimit._limiter.OUTAGE_WARNING_INTERVAL", 0.0)
        client.get("/")
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2
        assert "(11 request(s) so far)" in warnings[1]
        store.down = False
        assert [client.get("/").status_code for _ in range(2)] == [200, 429]
        infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
        assert len(infos) == 1
        assert "the rate limit store answers again after" in infos[0]


def test_behind_proxy_headers_each_real_client_is_counted() -> None:

    app = make_app(limit="1/minute")
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["10.0.0.1"])  # runs first
    with TestClient(app, client=("10.0.0.1", 1000)) as proxy:
        for client in ("203.0.113.5", "203.0.113.6"):
            headers = {"x-forwarded-for": client}
            assert [proxy.get("/", headers=headers).status_code for _ in range(2)] == [200, 429]
        # The client cannot spoof its way out: the proxy appends what it saw.
        spoofed = {"x-forwarded-for": "198.51.100.1, 203.0.113.5"}
        assert proxy.get("/", headers=spoofed).status_code == 429


def test_requests_without_a_client_address_share_one_budget() -> None:
    app = make_app(limit="2/minute")

    async def run() -> list[int]:
        statuses = [(await serve(app, "GET", "/", client=None))[0] for _ in range(3)]
        return [*statuses, (await serve(app, "GET", "/", client=("192.0.2.1", 1)))[0]]

    assert asyncio.run(run()) == [200, 200, 429, 200]


def test_a_malformed_path_is_counted_under_the_app_wide_limit() -> None:
    app = make_app(limit="1/minute")

    async def run() -> list[int]:
        return [(await serve(app, "GET", path))[0] for path in ("/%zz", "/")]

    first, second = asyncio.run(run())
    assert first in (400, 404)
    assert second == 429


@pytest.mark.parametrize("limit", ["2/minute", "2/second;3/minute"], ids=["one-rate", "two-rates"])
@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
def test_an_outage_of_any_store_lets_through_or_answers_503(limit: str, fail_open: bool) -> None:
    store = Flaky()
    app = make_app(store, limit=limit, fail_open=fail_open)
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        store.down = True
        during = client.get("/")
        assert during.status_code == (200 if fail_open else 503)
        assert "ratelimit" not in during.headers
        store.down = False
        assert [client.get("/").status_code for _ in range(2)] == [200, 429]
