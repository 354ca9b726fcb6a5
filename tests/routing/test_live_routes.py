"""Routes added and removed while the app serves: swapped in whole, middleware kept."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from covet import CovetPy, Request
from covet.exceptions import ConfigurationError, RouteConflictError
from covet.testing import AsyncTestClient, TestClient
from covet.types import ASGIApp, Receive, Scope, Send

pytestmark = pytest.mark.anyio


class CountingMiddleware:
    """Counts how often the middleware stack is built (and so would lose its state)."""

    built = 0

    def __init__(self, app: ASGIApp) -> None:
        type(self).built += 1
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _serving_app() -> CovetPy:
    CountingMiddleware.built = 0

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[dict[str, str]]:
        yield {"greeting": "hello"}

    app = CovetPy(lifespan=lifespan)
    app.add_middleware(CountingMiddleware)

    @app.get("/stable")
    async def stable() -> dict[str, bool]:
        return {"stable": True}

    return app


def test_a_route_added_while_serving_answers_and_the_middleware_is_kept() -> None:
    app = _serving_app()
    with TestClient(app) as client:
        assert client.get("/new/1").status_code == 404

        async def new(item: int, request: Request) -> dict[str, Any]:
            return {"item": item, "greeting": request.state.greeting}

        app.add_api_route("/new/{item}", new, name="new")
        assert client.get("/new/1").json() == {"item": 1, "greeting": "hello"}
        assert client.get("/new/x").status_code == 422  # planned like any route
        assert client.get("/stable").json() == {"stable": True}
        assert "/new/{item}" in client.get("/openapi.json").json()["paths"]
        assert app.url_path_for("new", item=7) == "/new/7"
    assert CountingMiddleware.built == 1


def test_a_route_removed_while_serving_is_a_404_and_leaves_the_docs() -> None:
    app = _serving_app()

    @app.get("/page/{slug}", name="page")
    async def page(slug: str) -> str:
        return slug

    with TestClient(app) as client:
        assert client.get("/page/a").json() == "a"
        removed = app.remove_route("page")
        assert removed.name == "page"
        assert client.get("/page/a").status_code == 404
        assert "/page/{slug}" not in client.get("/openapi.json").json()["paths"]
        assert client.get("/stable").status_code == 200
        with pytest.raises(LookupError, match="no route named 'page'"):
            app.remove_route("page")
        with pytest.raises(LookupError, match="is not a route"):
            app.remove_route(removed)
        app.router.add_route(removed)  # the same route object can come back
        assert client.get("/page/b").json() == "b"
    assert CountingMiddleware.built == 1


def test_two_routes_of_one_name_must_be_removed_by_object() -> None:
    app = CovetPy()

    async def handler() -> None:
        return None

    app.add_api_route("/a", handler, name="twin")
    app.add_api_route("/b", handler, name="twin")
    with pytest.raises(LookupError, match="2 routes named 'twin'"):
        app.remove_route("twin")
    first = next(route for route in app.router.routes if route.name == "twin")
    app.remove_route(first)
    with TestClient(app) as client:
        assert client.get("/a").status_code == 404
        assert client.get("/b").status_code == 200


def test_a_route_that_cannot_be_planned_or_conflicts_leaves_the_table_as_it_was() -> None:
    app = _serving_app()
    with TestClient(app) as client:
        client.get("/stable")

        async def unplannable(lock: asyncio.Lock) -> None:
            return None

        with pytest.raises(ConfigurationError, match="Unsupported annotation"):
            app.add_api_route("/bad", unplannable)
        assert client.get("/bad").status_code == 404

        async def other() -> dict[str, bool]:
            return {"stable": False}

        with pytest.raises(RouteConflictError):
            app.add_api_route("/stable", other)
        assert client.get("/stable").json() == {"stable": True}
        assert [route.path for route in app.router.routes if not route.system] == ["/stable"]
    assert CountingMiddleware.built == 1


async def test_requests_during_swaps_from_another_thread_see_a_whole_table() -> None:
    """A thread adds and removes routes while many requests are served concurrently."""
    app = _serving_app()
    stop = threading.Event()
    swaps = 0

    async def toggled(n: int) -> dict[str, int]:
        return {"n": n}

    def swapper() -> None:
        nonlocal swaps
        while not stop.is_set():
            for index in range(5):
                app.add_api_route(f"/toggled{index}/{{n}}", toggled, name=f"toggled{index}")
            for index in range(5):
                app.remove_route(f"toggled{index}")
            swaps += 1

    async with AsyncTestClient(app) as client:
        thread = threading.Thread(target=swapper)
        thread.start()
        try:
            for _ in range(20):
                answers = await asyncio.gather(
                    *(client.get("/stable") for _ in range(10)),
                    *(client.get(f"/toggled{index}/3") for index in range(5)),
                )
                assert [r.status_code for r in answers[:10]] == [200] * 10
                for answer in answers[10:]:
                    assert answer.status_code in (200, 404), answer.text
                    if answer.status_code == 200:
                        assert answer.json() == {"n": 3}
        finally:
            stop.set()
            thread.join()
    assert swaps > 0
    assert CountingMiddleware.built == 1


def test_routes_added_before_the_first_request_are_built_with_the_app() -> None:
    """Before the app is built nothing is swapped: routes are planned at the first request."""
    app = CovetPy()
    generation = app.router.generation

    @app.get("/a")
    async def a() -> int:
        return 1

    assert app.router.generation == generation + 1
    with TestClient(app) as client:
        assert client.get("/a").json() == 1
