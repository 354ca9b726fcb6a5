"""``RateLimit`` as a route, router or parameter dependency, on memory and on the real Redis."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import pytest

from covet import CovetPy, Request, Router
from covet.exceptions import ConfigurationError
from covet.params import Depends
from covet.ratelimit import RateLimit, RateLimitExceededError
from covet.responses import JSONResponse
from covet.stores import RateLimitDecision, RedisStore
from covet.testing import TestClient
from tests.ratelimit.backends import Backend, Recording
from tests.support.redis import ThrowawayRedis


def test_a_route_limit_counts_exactly(backend: Backend) -> None:
    app = CovetPy()

    @app.post("/login", dependencies=[RateLimit("3/minute", store=backend.store())])
    async def login() -> dict[str, bool]:
        return {"in": True}

    with TestClient(app) as client:
        responses = [client.post("/login") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["ratelimit"] for r in responses] == [
        '"3-per-60s";r=2;t=20',
        '"3-per-60s";r=1;t=40',
        '"3-per-60s";r=0;t=60',
        '"3-per-60s";r=0;t=20',
    ]
    assert all(r.headers["ratelimit-policy"] == '"3-per-60s";q=3;w=60' for r in responses)
    refused = responses[3]
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Rate limit of 3 per minute exceeded; retry in 20 seconds.",
        "instance": "/login",
    }


def test_the_window_refills(backend: Backend) -> None:
    app = CovetPy()

    @app.get("/", dependencies=[RateLimit("2/second", store=backend.store())])
    async def index() -> None:
        return None

    with TestClient(app) as client:
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
        backend.wait(1.0)
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_two_routes_have_separate_budgets_with_one_limit(backend: Backend) -> None:
    limit = RateLimit("1/minute", store=backend.store())
    app = CovetPy()

    @app.get("/a", dependencies=[limit])
    async def a() -> str:
        return "a"

    @app.get("/b", dependencies=[limit])
    async def b() -> str:
        return "b"

    with TestClient(app) as client:
        assert [client.get("/a").status_code, client.get("/a").status_code] == [200, 429]
        assert [client.get("/b").status_code, client.get("/b").status_code] == [200, 429]


def test_a_named_limit_is_one_budget_for_every_route_using_it(backend: Backend) -> None:
    shared = RateLimit("2/minute", name="search", store=backend.store())
    app = CovetPy()

    @app.get("/a", dependencies=[shared])
    async def a() -> str:
        return "a"

    @app.get("/b", dependencies=[shared])
    async def b() -> str:
        return "b"

    with TestClient(app) as client:
        assert client.get("/a").headers["ratelimit-policy"] == '"search";q=2;w=60'
        assert client.get("/b").status_code == 200
        assert client.get("/a").status_code == 429
        assert client.get("/b").status_code == 429


def test_a_router_limit_applies_to_each_route_unless_exempt(backend: Backend) -> None:
    api = Router(prefix="/api", dependencies=[RateLimit("1/minute", store=backend.store())])

    @api.get("/items")
    async def items() -> list[int]:
        return [1]

    @api.get("/status", opt={"rate_limit": False})
    async def status() -> str:
        return "up"

    app = CovetPy()
    app.include_router(api)
    with TestClient(app) as client:
        assert [client.get("/api/items").status_code for _ in range(2)] == [200, 429]
        for _ in range(3):
            response = client.get("/api/status")
            assert response.status_code == 200
            assert "ratelimit" not in response.headers


def test_include_router_dependencies(backend: Backend) -> None:
    api = Router()

    @api.get("/items")
    async def items() -> list[int]:
        return [1]

    app = CovetPy()
    app.include_router(api, prefix="/v1", dependencies=[RateLimit("2/hour", store=backend.store())])
    with TestClient(app) as client:
        statuses = [client.get("/v1/items").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_as_a_parameter_it_gives_the_tightest_decision(backend: Backend) -> None:
    app = CovetPy()

    @app.get("/quota")
    async def quota(
        decision: Annotated[
            RateLimitDecision | None, RateLimit("10/second;3/minute", store=backend.store())
        ],
    ) -> dict[str, Any]:
        assert decision is not None
        return {"remaining": decision.remaining, "limit": decision.limit}

    with TestClient(app) as client:
        first = client.get("/quota")
        assert first.json() == {"remaining": 2, "limit": 3}
        assert first.headers["ratelimit"] == '"10-per-1s";r=9;t=1, "3-per-60s";r=2;t=20'
        assert client.get("/quota").json() == {"remaining": 1, "limit": 3}


def test_the_headers_join_the_middlewares_and_a_returned_response(backend: Backend) -> None:
    from covet.middleware import RateLimitMiddleware

    app = CovetPy()
    app.add_middleware(RateLimitMiddleware, limit="100/hour", store=backend.store())

    @app.get("/", dependencies=[RateLimit("5/minute", store=backend.store())])
    async def index() -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"x-own": "1"})

    with TestClient(app) as client:
        response = client.get("/")
    assert response.headers["x-own"] == "1"
    assert response.headers.get_list("ratelimit-policy") == [
        '"5-per-60s";q=5;w=60',
        '"100-per-3600s";q=100;w=3600',
    ]
    assert response.headers.get_list("ratelimit") == [
        '"5-per-60s";r=4;t=12',
        '"100-per-3600s";r=99;t=36',
    ]


def user_from_header(request: Request) -> str:
    user = request.headers.get("x-user")
    if user:
        request.state.user = user
    return user or ""


def test_keyed_by_user(backend: Backend) -> None:
    app = CovetPy()

    @app.get(
        "/me",
        dependencies=[
            Depends(user_from_header),
            RateLimit("1/minute", key="user", store=backend.store()),
        ],
    )
    async def me() -> str:
        return "me"

    with TestClient(app) as client:
        assert client.get("/me", headers={"x-user": "ann"}).status_code == 200
        assert client.get("/me", headers={"x-user": "ann"}).status_code == 429
        assert client.get("/me", headers={"x-user": "bob"}).status_code == 200
        assert client.get("/me").status_code == 200  # anonymous: by address
        assert client.get("/me").status_code == 429


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_key_function(backend: Backend, kind: str) -> None:
    def by_key(request: Request) -> str | None:
        return request.query_params.get("api_key")

    async def by_key_async(request: Request) -> str | None:
        return by_key(request)

    limit = RateLimit("1/minute", key=by_key if kind == "sync" else by_key_async)
    app = CovetPy()

    @app.get("/data", dependencies=[limit])
    async def data() -> str:
        return "data"

    with TestClient(app) as client:
        assert client.get("/data?api_key=a").status_code == 200
        assert client.get("/data?api_key=a").status_code == 429
        assert client.get("/data?api_key=b").status_code == 200
        assert [client.get("/data").status_code for _ in range(3)] == [200] * 3


def test_an_exception_handler_can_answer_the_429() -> None:
    app = CovetPy()

    @app.exception_handler(RateLimitExceededError)
    async def slow_down(request: Request, exc: RateLimitExceededError) -> JSONResponse:
        return JSONResponse(
            {"slow_down": exc.rate.limit, "retry": exc.decision.retry_after > 0},
            429,
            headers=exc.headers,
        )

    @app.get("/", dependencies=[RateLimit("1/minute")])
    async def index() -> None:
        return None

    with TestClient(app) as client:
        client.get("/")
        refused = client.get("/")
    assert refused.json() == {"slow_down": 1, "retry": True}
    assert refused.headers["retry-after"] == "60"


def test_openapi_documents_the_429() -> None:
    app = CovetPy()

    @app.post("/login", dependencies=[RateLimit("5/minute")])
    async def login() -> None:
        return None

    @app.get("/open")
    async def open_route() -> None:
        return None

    with TestClient(app) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "429" not in paths["/open"]["get"]["responses"]
    too_many = paths["/login"]["post"]["responses"]["429"]
    assert too_many["description"] == "Too Many Requests: over the rate limit (5 per minute)."
    assert set(too_many["headers"]) == {"Retry-After", "RateLimit-Policy", "RateLimit"}
    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}
    assert '"5-per-60s";q=5;w=60' in too_many["headers"]["RateLimit-Policy"]["description"]
    problem = too_many["content"]["application/problem+json"]["schema"]
    assert problem["required"] == ["type", "title", "status"]


def test_the_default_store_is_per_app_and_closed_at_shutdown() -> None:
    limit = RateLimit("1/minute")

    def make() -> CovetPy:
        app = CovetPy()
        app.get("/", dependencies=[limit])(lambda: None)
        return app

    with TestClient(make()) as one, TestClient(make()) as two:
        assert one.get("/").status_code == 200
        assert two.get("/").status_code == 200
        assert one.get("/").status_code == 429


def test_a_given_store_is_closed_at_shutdown() -> None:
    Recording.closed = 0
    app = CovetPy()
    app.get("/", dependencies=[RateLimit("5/minute", store=Recording())])(lambda: None)
    with TestClient(app) as client:
        client.get("/")
        client.get("/")
        assert Recording.closed == 0
    assert Recording.closed == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": "5 a minute"}, "'5 a minute' is not understood"),
        ({"limit": "5/minute", "key": "cookie"}, "key='cookie' is not a known key"),
        ({"limit": "5/minute", "key": 3}, "key must be 'ip', 'user' or a function"),
        ({"limit": "5/minute", "name": "two words"}, "must be 1 to 64 letters"),
    ],
)
def test_bad_settings_fail_when_declared(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RateLimit(**options)


def test_repr_and_equality() -> None:
    limit = RateLimit("5/minute;100/hour")
    assert repr(limit) == "RateLimit('5/60s;100/3600s')"
    assert limit == limit
    assert limit != RateLimit("5/minute;100/hour")


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
def test_a_redis_outage_and_recovery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fail_open: bool
) -> None:
    with ThrowawayRedis(tmp_path) as redis_server:
        store = RedisStore(redis_server.url, namespace="outage:")
        app = CovetPy()

        @app.get("/", dependencies=[RateLimit("2/minute", store=store, fail_open=fail_open)])
        async def index() -> str:
            return "ok"

        with TestClient(app) as client, caplog.at_level(logging.INFO, "covet.ratelimit"):
            assert client.get("/").status_code == 200
            redis_server.stop()
            statuses = [client.get("/").status_code for _ in range(4)]
            assert statuses == ([200] * 4 if fail_open else [503] * 4)
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 1
            redis_server.start()
            assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
