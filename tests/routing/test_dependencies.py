"""Dependency injection: nesting, caching, sync and generator dependencies, overrides, cycles."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, Header, HTTPException, Query, Request, Router, Settings
from covet.exceptions import ConfigurationError
from covet.testing import LifespanError, TestClient


async def current_user(x_token: Annotated[str, Header()]) -> str:
    if x_token != "secret":
        raise HTTPException(401, "bad token")
    return "ann"


def test_issue_example_dependency_reads_a_header() -> None:
    app = CovetPy()

    @app.get("/me")
    async def me(user: Annotated[str, Depends(current_user)]) -> dict[str, str]:
        return {"user": user}

    client = TestClient(app)
    assert client.get("/me", headers={"X-Token": "secret"}).json() == {"user": "ann"}
    assert client.get("/me", headers={"X-Token": "nope"}).status_code == 401
    missing = client.get("/me")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["header", "x-token"]


def test_nested_dependencies_are_cached_per_request() -> None:
    calls: list[str] = []

    def settings() -> dict[str, int]:
        calls.append("settings")
        return {"page_size": 10}

    async def pagination(
        config: dict[str, int] = Depends(settings), page: int = Query(1, ge=1)
    ) -> dict[str, int]:
        return {"page": page, "size": config["page_size"]}

    def uncached() -> int:
        calls.append("uncached")
        return len(calls)

    app = CovetPy()

    @app.get("/items")
    async def items(
        paging: dict[str, int] = Depends(pagination),
        config: dict[str, int] = Depends(settings),
        a: int = Depends(uncached, use_cache=False),
        b: int = Depends(uncached, use_cache=False),
    ) -> dict[str, Any]:
        return {"paging": paging, "size": config["page_size"], "distinct": a != b}

    client = TestClient(app)
    assert client.get("/items?page=2").json() == {
        "paging": {"page": 2, "size": 10},
        "size": 10,
        "distinct": True,
    }
    assert calls.count("settings") == 1
    assert client.get("/items?page=0").status_code == 422


def test_sync_dependencies_run_in_the_thread_pool() -> None:
    def which_thread() -> str:
        return threading.current_thread().name

    app = CovetPy()

    @app.get("/")
    async def index(thread: str = Depends(which_thread)) -> str:
        return thread

    assert TestClient(app).get("/").json().startswith("covet-worker")


def test_generator_dependencies_are_torn_down_after_the_response() -> None:
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        events.append("open")
        try:
            yield "db-session"
        except RuntimeError as exc:
            events.append(f"rollback: {exc}")
            raise
        finally:
            events.append("close")

    def sync_resource() -> Iterator[str]:
        events.append("acquire")
        yield "resource"
        events.append("release")

    app = CovetPy()

    @app.get("/ok")
    async def ok(db: str = Depends(session), res: str = Depends(sync_resource)) -> list[str]:
        events.append("handler")
        return [db, res]

    @app.get("/fail")
    async def fail(db: str = Depends(session)) -> None:
        raise RuntimeError("boom")

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/ok").json() == ["db-session", "resource"]
    assert events == ["open", "acquire", "handler", "release", "close"]
    events.clear()
    assert client.get("/fail").status_code == 500
    assert events == ["open", "rollback: boom", "close"]


def test_route_router_and_app_dependencies_run_for_their_effect() -> None:
    seen: list[str] = []

    def tag(name: str) -> Any:
        def record(request: Request) -> None:
            seen.append(f"{name}:{request.url.path}")

        return record

    router = Router(prefix="/r", dependencies=[Depends(tag("router"))])

    @router.get("/x", dependencies=[Depends(tag("route"))])
    async def x() -> str:
        return "x"

    app = CovetPy(dependencies=[Depends(tag("app"))])
    app.include_router(router, dependencies=[Depends(tag("include"))])
    assert TestClient(app).get("/r/x").json() == "x"
    assert seen == ["app:/r/x", "include:/r/x", "router:/r/x", "route:/r/x"]


def test_dependency_overrides_for_tests() -> None:
    app = CovetPy()

    @app.get("/me")
    async def me(user: str = Depends(current_user)) -> str:
        return user

    client = TestClient(app)
    assert client.get("/me").status_code == 422
    app.dependency_overrides[current_user] = lambda: "test-user"
    assert client.get("/me").json() == "test-user"
    app.dependency_overrides.clear()
    assert client.get("/me").status_code == 422


def test_cycles_are_reported_at_startup_with_the_chain() -> None:
    def a(b: Any = None) -> Any:
        return b

    def b(x: Any = Depends(a)) -> Any:
        return x

    a.__defaults__ = (Depends(b),)
    app = CovetPy()

    @app.get("/")
    async def index(value: Any = Depends(a)) -> Any:
        return value

    with pytest.raises(ConfigurationError, match=r"cycle.*\.a -> .*\.b -> .*\.a"):
        app.build()


def test_app_scoped_dependencies_are_shared_and_torn_down_in_reverse_order() -> None:
    events: list[str] = []

    async def engine() -> AsyncIterator[str]:
        events.append("engine up")
        yield "engine"
        events.append("engine down")

    async def client(db: str = Depends(engine, scope="app")) -> AsyncIterator[str]:
        events.append("client up")
        yield f"client({db})"
        events.append("client down")

    app = CovetPy()

    @app.get("/")
    async def index(http: str = Depends(client, scope="app")) -> str:
        return http

    with TestClient(app) as test_client:
        assert test_client.get("/").json() == "client(engine)"
        assert test_client.get("/").json() == "client(engine)"
        assert events == ["engine up", "client up"]
    assert events == ["engine up", "client up", "client down", "engine down"]


def test_app_scoped_dependencies_are_created_at_start_up() -> None:
    events: list[str] = []

    async def engine() -> AsyncIterator[str]:
        events.append("engine up")
        yield "engine"

    app = CovetPy()

    @app.get("/")
    async def index(db: str = Depends(engine, scope="app")) -> str:
        return db

    with TestClient(app) as test_client:
        assert events == ["engine up"]  # before any request
        assert test_client.get("/").json() == "engine"
    assert events == ["engine up"]


def test_an_app_scoped_dependency_failing_stops_the_start_up() -> None:
    def unreachable() -> str:
        raise ConnectionRefusedError("database at 127.0.0.1:1 refused the connection")

    app = CovetPy()

    @app.get("/")
    async def index(db: str = Depends(unreachable, scope="app")) -> str:
        return db

    with pytest.raises(LifespanError, match="refused the connection"), TestClient(app):
        pass


def test_app_scoped_dependency_cannot_use_request_data() -> None:
    async def per_user(x_token: str = Header()) -> str:
        return x_token

    app = CovetPy()

    @app.get("/")
    async def index(value: str = Depends(per_user, scope="app")) -> str:
        return value

    with pytest.raises(ConfigurationError, match="App-scoped dependency"):
        app.build()


def test_container_resolves_providers_outside_http() -> None:
    import asyncio

    events: list[str] = []

    def settings() -> dict[str, str]:
        return {"dsn": "sqlite://"}

    async def database(config: dict[str, str] = Depends(settings)) -> AsyncIterator[str]:
        events.append("open")
        yield config["dsn"]
        events.append("close")

    app = CovetPy()

    async def job() -> str:
        async with app.container() as container:
            dsn = await container.resolve(database)
            assert await container.resolve(database) == dsn
            assert events == ["open"]
        return dsn

    assert asyncio.run(job()) == "sqlite://"
    assert events == ["open", "close"]
    events.clear()
    app.dependency_overrides[settings] = lambda: {"dsn": "postgresql://test"}
    assert asyncio.run(job()) == "postgresql://test"


def test_container_refuses_request_dependencies() -> None:
    import asyncio

    app = CovetPy()

    async def job() -> None:
        async with app.container() as container:
            await container.resolve(current_user)

    with pytest.raises(ConfigurationError, match="outside a request"):
        asyncio.run(job())


class ShopSettings(Settings, env_prefix="SHOPX_"):
    port: int = 8000


def test_settings_are_injectable_app_scoped_and_overridable() -> None:
    def get_settings() -> ShopSettings:
        return ShopSettings(_environ={"SHOPX_PORT": "8080"})

    app = CovetPy()

    @app.get("/port")
    async def port(settings: ShopSettings = Depends(get_settings, scope="app")) -> int:
        return settings.port

    client = TestClient(app)
    assert client.get("/port").json() == 8080
    app.dependency_overrides[get_settings] = lambda: ShopSettings(port=1, _environ={})
    assert client.get("/port").json() == 1
