"""Route identity in the scope: middleware label by template and read per-route settings."""

from __future__ import annotations

from typing import Any

import pytest

from covet import CovetPy, Router, WebSocket
from covet.testing import TestClient
from covet.types import ASGIApp, Message, Receive, Scope, Send


class RecordRoute:
    """A metrics-style pure ASGI middleware: records the matched template per response."""

    def __init__(self, app: ASGIApp, seen: list[Any]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def labelled_send(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                route = scope.get("route")
                self.seen.append(None if route is None else route.path)
            await send(message)

        await self.app(scope, receive, labelled_send)


def recorded_app() -> tuple[CovetPy, list[Any]]:
    seen: list[Any] = []
    app = CovetPy(middleware=[(RecordRoute, {"seen": seen})])

    @app.get("/items")
    async def items() -> list[str]:
        return []

    @app.get("/users/{user_id:int}")
    async def user(user_id: int) -> int:
        return user_id

    @app.get("/orders/{order_id}")
    async def order(order_id: int) -> int:
        return order_id

    @app.post("/orders/{order_id}")
    async def update_order(order_id: int) -> int:
        return order_id

    return app, seen


@pytest.mark.parametrize(
    ("method", "path", "status", "template"),
    [
        ("GET", "/items", 200, "/items"),
        ("GET", "/users/42", 200, "/users/{user_id:int}"),
        ("GET", "/orders/7", 200, "/orders/{order_id}"),
        ("POST", "/orders/7", 200, "/orders/{order_id}"),
        ("GET", "/orders/x", 422, "/orders/{order_id}"),
        ("HEAD", "/items", 200, "/items"),
        ("DELETE", "/orders/7", 405, "/orders/{order_id}"),
        ("OPTIONS", "/orders/7", 204, "/orders/{order_id}"),
        ("GET", "/nothing-here", 404, None),
        ("GET", "/users/abc", 404, None),
        ("GET", "/items/", 200, "/items"),  # followed slash redirect: 307 unlabelled, then 200
    ],
    ids=[
        "static",
        "typed-path",
        "annotated-path",
        "other-method",
        "validation-error",
        "head",
        "405",
        "options",
        "404",
        "typed-path-mismatch",
        "slash-redirect",
    ],
)
def test_middleware_labels_each_response_by_the_route_template(
    method: str, path: str, status: int, template: str | None
) -> None:
    app, seen = recorded_app()
    response = TestClient(app).request(method, path)
    assert response.status_code == status
    assert seen[-1] == template
    if path == "/items/":
        assert seen == [None, "/items"]


def test_scope_route_carries_name_methods_and_opt() -> None:
    captured: list[Any] = []

    async def capture(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        captured.append(scope["route"])

    class Capture:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await capture(self.app, scope, receive, send)

    app = CovetPy(middleware=[(Capture, {})])

    @app.get("/report/{year:int}", name="yearly-report", opt={"rate_limit": "5/minute"})
    async def report(year: int) -> int:
        return year

    assert TestClient(app).get("/report/2024").status_code == 200
    (route,) = captured
    assert (route.name, route.path, route.methods) == (
        "yearly-report",
        "/report/{year:int}",
        frozenset({"GET"}),
    )
    assert route.opt == {"rate_limit": "5/minute"}
    with pytest.raises(TypeError):
        route.opt["rate_limit"] = "unlimited"  # read-only: middleware cannot change settings


def test_mounted_apps_are_labelled_by_the_mount_outside_and_their_route_inside() -> None:
    outer_seen: list[Any] = []
    inner_seen: list[Any] = []
    sub = CovetPy(middleware=[(RecordRoute, {"seen": inner_seen})])

    @sub.get("/things/{thing_id:int}")
    async def thing(thing_id: int) -> int:
        return thing_id

    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"raw"})

    app = CovetPy(middleware=[(RecordRoute, {"seen": outer_seen})])
    app.mount("/sub", sub)
    app.mount("/raw", raw, opt={"public": True})
    client = TestClient(app)
    assert client.get("/sub/things/3").json() == 3
    assert client.get("/sub/missing").status_code == 404
    assert client.get("/raw/anything").text == "raw"
    assert outer_seen == ["/sub", "/sub", "/raw"]
    # Inside the mounted app, its own match (or none, for its 404), never the parent's mount.
    assert inner_seen == ["/things/{thing_id:int}", None]
    assert [m.opt for m in app.router.mounts] == [{}, {"public": True}]


def test_websocket_routes_are_in_the_scope_too() -> None:
    seen: list[Any] = []
    app = CovetPy(middleware=[(RecordRoute, {"seen": seen})])

    @app.websocket("/ws/{room}")
    async def chat(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    with TestClient(app).websocket_connect("/ws/lobby"):
        pass
    assert seen == ["/ws/{room}"]


# -- opt: an open mapping on routes, routers and includes ------------------------------------


class RequireKey:
    """An auth-style route middleware: routes with opt ``{"public": True}`` need no key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public = scope["route"].opt.get("public", False)
        if not public and (b"x-key", b"k") not in scope["headers"]:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def test_route_middleware_reads_per_route_settings_before_the_handler() -> None:
    router = Router(prefix="/api", middleware=[(RequireKey, {})], opt={"public": False})

    @router.get("/health", opt={"public": True})
    async def health() -> str:
        return "ok"

    @router.get("/secret")
    async def secret() -> str:
        return "s"

    app = CovetPy()
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/secret").status_code == 401
    assert client.get("/api/secret", headers={"x-key": "k"}).status_code == 200


def test_opt_merges_route_over_router_over_include() -> None:
    router = Router(opt={"team": "router", "tier": "router"})

    @router.get("/a", opt={"tier": "route"})
    async def a() -> str:
        return "a"

    @router.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.close()

    parent = Router(opt={"owner": "parent"})
    parent.include_router(router, prefix="/v1", opt={"team": "include", "region": "eu"})
    app = CovetPy()
    app.include_router(parent, opt={"region": "us", "app": True})
    route_a, route_ws = app.routes
    assert dict(route_a.opt) == {
        "app": True,
        "owner": "parent",
        "region": "eu",
        "team": "router",
        "tier": "route",
    }
    assert route_ws.path == "/v1/ws"
    assert dict(route_ws.opt) == {**route_a.opt, "tier": "router"}


def test_opt_is_a_known_route_option_for_typo_hints() -> None:
    from covet import ConfigurationError

    app = CovetPy()
    with pytest.raises(ConfigurationError, match="did you mean 'opt'"):
        app.get("/a", otp={"x": 1})


def test_controller_opt_reaches_its_routes() -> None:
    from covet.routing.controller import Controller

    class Reports(Controller, prefix="/reports", opt={"public": True, "tier": "controller"}):
        @Controller.get("/daily", opt={"tier": "route"})
        async def daily(self) -> str:
            return "daily"

    app = CovetPy()
    app.include_router(Reports.as_router())
    (route,) = app.routes
    assert dict(route.opt) == {"public": True, "tier": "route"}
