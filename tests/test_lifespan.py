"""Lifespan: hooks, context managers, state in requests, composition across routers and apps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from covet import CovetPy, Request, Router
from covet.testing import TestClient


@dataclass
class AppState:
    db: str
    counter: list[int]


def test_lifespan_state_reaches_requests_typed_and_untyped() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[AppState]:
        events.append("start")
        yield AppState(db="sqlite://", counter=[])
        events.append("stop")

    app = CovetPy(lifespan=lifespan)

    @app.get("/")
    async def index(request: Request) -> dict[str, Any]:
        state = request.state_of(AppState)
        state.counter.append(1)
        return {"db": request.state.db, "typed": state.db, "count": len(state.counter)}

    with TestClient(app) as client:
        assert events == ["start"]
        assert client.get("/").json() == {"db": "sqlite://", "typed": "sqlite://", "count": 1}
        assert client.get("/").json()["count"] == 2
    assert events == ["start", "stop"]


def test_request_state_is_per_request() -> None:
    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[dict[str, Any]]:
        yield {"shared": "yes"}

    app = CovetPy(lifespan=lifespan)

    @app.get("/set")
    async def set_value(request: Request) -> str:
        request.state.user = "ann"
        return "set"

    @app.get("/get")
    async def get_value(request: Request) -> bool:
        return "user" in request.state

    with TestClient(app) as client:
        client.get("/set")
        assert client.get("/get").json() is False


def test_missing_typed_state_is_a_lookup_error() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(request: Request) -> None:
        request.state_of(AppState)

    with TestClient(app) as client, pytest.raises(LookupError, match="AppState"):
        client.get("/")


def test_lifespans_compose_across_routers_and_mounted_apps() -> None:
    events: list[str] = []

    def tracking(name: str, value: dict[str, str]):  # type: ignore[no-untyped-def]
        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
            events.append(f"{name} up")
            yield value
            events.append(f"{name} down")

        return lifespan

    router = Router(lifespan=tracking("router", {"from_router": "r"}))

    @router.get("/r")
    async def from_router(request: Request) -> str:
        return str(request.state.from_router)

    sub = CovetPy(lifespan=tracking("sub", {"from_sub": "s"}))

    @sub.get("/s")
    async def from_sub(request: Request) -> list[str]:
        return [request.state.from_sub, request.state.from_app]

    app = CovetPy(
        lifespan=tracking("app", {"from_app": "a"}),
        on_startup=[lambda: events.append("hook up")],
        on_shutdown=[lambda: events.append("hook down")],
    )
    app.include_router(router)
    app.mount("/sub", sub)

    with TestClient(app) as client:
        assert events == ["hook up", "app up", "router up", "sub up"]
        assert client.get("/r").json() == "r"
        assert client.get("/sub/s").json() == ["s", "a"]
    assert events[4:] == ["sub down", "router down", "app down", "hook down"]


def test_async_hooks_and_startup_failure() -> None:
    async def fail() -> None:
        raise RuntimeError("database unreachable")

    app = CovetPy(on_startup=[fail])
    with pytest.raises(Exception, match="database unreachable"), TestClient(app):
        pass


def test_shutdown_runs_even_if_handler_failed() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[None]:
        yield
        events.append("closed")

    app = CovetPy(lifespan=lifespan)

    @app.get("/")
    async def index() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/").status_code == 500
    assert events == ["closed"]
