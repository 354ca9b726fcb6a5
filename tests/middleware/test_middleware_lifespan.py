"""A middleware's ``lifespan(app)`` runs with the app's lifespan, around the app's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from covet import CovetPy
from covet.testing import TestClient
from covet.types import ASGIApp, Receive, Scope, Send


class Opening:
    """Records when its lifespan enters and exits, like a middleware owning a store."""

    def __init__(self, app: ASGIApp, *, name: str, events: list[str]) -> None:
        self.app = app
        self.name = name
        self.events = events

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        self.events.append(f"open {self.name}")
        try:
            yield
        finally:
            self.events.append(f"close {self.name}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def test_middleware_lifespans_wrap_the_apps_own_outermost_first() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def own(app: CovetPy) -> AsyncIterator[None]:
        events.append("open app")
        yield
        events.append("close app")

    app = CovetPy(lifespan=own)
    app.add_middleware(Opening, name="inner", events=events)
    app.add_middleware(Opening, name="outer", events=events)

    @app.get("/")
    async def index() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as client:
        assert events == ["open outer", "open inner", "open app"]
        assert client.get("/").json() == {"ok": True}
    assert events[3:] == ["close app", "close inner", "close outer"]


def test_a_rebuilt_stack_runs_only_the_current_middlewares_lifespans() -> None:
    events: list[str] = []
    app = CovetPy()
    app.add_middleware(Opening, name="first", events=events)
    app.build()
    app.user_middleware.clear()
    app.invalidate()
    with TestClient(app):
        pass
    assert events == []
