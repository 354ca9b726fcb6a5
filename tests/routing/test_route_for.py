"""``Router.route_for``: the route a request will reach, found before it is served."""

from __future__ import annotations

from typing import Any

from covet import CovetPy
from covet.routing import Mount
from covet.testing import TestClient
from covet.types import ASGIApp, Receive, Scope, Send


def http_scope(method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "headers": [],
        "query_string": b"",
        **extra,
    }


def make_app() -> CovetPy:
    app = CovetPy()

    @app.post("/items/{item_id:int}", name="update_item", opt={"csrf": False})
    async def update_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.websocket("/ws")
    async def ws(websocket: Any) -> None:
        await websocket.close()

    sub = CovetPy()
    app.mount("/sub", sub, name="sub")
    return app


def test_finds_the_route_without_changing_the_scope() -> None:
    router = make_app().router
    scope = http_scope("POST", "/items/3")
    route = router.route_for(scope)
    assert route is not None
    assert route.name == "update_item"
    assert route.opt["csrf"] is False
    assert "route" not in scope
    assert "path_params" not in scope


def test_none_for_404_405_and_malformed_paths() -> None:
    router = make_app().router
    assert router.route_for(http_scope("POST", "/nowhere")) is None
    assert router.route_for(http_scope("GET", "/items/3")) is None
    assert router.route_for(http_scope("POST", "/items/%zz", raw_path=b"/items/%zz")) is None


def test_websockets_and_mounts() -> None:
    router = make_app().router
    ws = router.route_for({"type": "websocket", "path": "/ws", "raw_path": b"/ws"})
    assert ws is not None
    assert ws.name == "ws"
    mount = router.route_for(http_scope("GET", "/sub/anything"))
    assert isinstance(mount, Mount)
    assert mount.name == "sub"


def test_a_middleware_sees_the_same_route_the_handler_is_served_by() -> None:
    seen: list[tuple[str | None, str | None]] = []

    class Peek:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            before = scope["app"].router.route_for(scope)
            await self.app(scope, receive, send)
            seen.append((getattr(before, "name", None), getattr(scope.get("route"), "name", None)))

    app = make_app()
    app.add_middleware(Peek)
    with TestClient(app) as client:
        assert client.post("/items/7").json() == {"item_id": 7}
        assert client.post("/missing").status_code == 404
    assert seen == [("update_item", "update_item"), (None, None)]
