"""The application object: one build generation invalidates everything built from it."""

from __future__ import annotations

from typing import Any

from covet import CovetPy, Depends, HTTPException, Limits, Request
from covet.routing import Route
from covet.testing import TestClient


def require_token(request: Request) -> None:
    if request.headers.get("x-token") != "secret":
        raise HTTPException(403, "No token.")


def test_a_route_added_through_app_router_after_serving_keeps_app_dependencies() -> None:
    app = CovetPy(dependencies=[Depends(require_token)])

    @app.get("/a")
    async def a() -> str:
        return "a"

    client = TestClient(app)
    assert client.get("/a").status_code == 403

    async def b() -> str:
        return "b"

    app.router.add_route(Route("/b", b))
    assert client.get("/b").status_code == 403
    assert client.get("/b", headers={"x-token": "secret"}).json() == "b"


def test_a_route_added_after_serving_keeps_the_app_limits() -> None:
    app = CovetPy(limits=Limits(max_body_size=10))

    @app.post("/a")
    async def a(body: dict[str, Any]) -> Any:
        return body

    client = TestClient(app)
    assert client.post("/a", content=b'{"x": "0123456789"}').status_code == 413

    async def b(body: dict[str, Any]) -> Any:
        return body

    app.router.add_route(Route("/b", b, methods=["POST"]))
    assert client.post("/b", content=b'{"x": "0123456789"}').status_code == 413


def test_middleware_added_after_serving_wraps_the_next_request() -> None:
    app = CovetPy()

    @app.get("/")
    async def home() -> str:
        return "home"

    client = TestClient(app)
    assert "x-wrapped" not in client.get("/").headers

    @app.middleware("http")
    async def mark(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["x-wrapped"] = "1"
        return response

    assert client.get("/").headers["x-wrapped"] == "1"


def test_the_openapi_document_follows_every_change() -> None:
    app = CovetPy()

    @app.get("/a")
    async def a() -> str:
        return "a"

    assert set(app.openapi()["paths"]) == {"/a"}
    assert app.openapi() is app.openapi()  # cached while nothing changes

    @app.get("/b")
    async def b() -> str:
        return "b"

    assert set(app.openapi()["paths"]) == {"/a", "/b"}


def test_every_change_bumps_the_generation() -> None:
    app = CovetPy()
    seen = [app.router.generation]

    @app.get("/a")
    async def a() -> str:
        return "a"

    seen.append(app.router.generation)
    app.dependency_overrides[require_token] = lambda: None
    seen.append(app.router.generation)
    app.add_middleware(lambda inner: inner)
    seen.append(app.router.generation)
    app.dependency_overrides = {}
    seen.append(app.router.generation)
    assert seen == sorted(set(seen))
