"""String annotations resolved where the handler was decorated (app factories, tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from covet import CovetPy, Router
from covet.testing import LifespanError, TestClient

if TYPE_CHECKING:
    from decimal import Decimal


def create_app() -> CovetPy:
    """An app factory importing what its handlers and dependencies annotate, locally."""
    from dataclasses import dataclass

    from covet import CovetPy as App
    from covet import Depends, Header, Request, WebSocket

    @dataclass
    class Item:
        name: str

    def current_user(request: Request, x_user: str = Header("anon")) -> str:
        return f"{x_user}@{request.url.path}"

    app = App()

    @app.post("/items")
    async def create_item(item: Item, user: str = Depends(current_user)) -> dict[str, Any]:
        return {"name": item.name, "user": user}

    @app.websocket("/ws")
    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("hello")
        await ws.close()

    return app


def test_an_app_factory_with_local_imports_starts_and_answers() -> None:
    client = TestClient(create_app())
    response = client.post("/items", json={"name": "pen"}, headers={"X-User": "ada"})
    assert response.status_code == 200
    assert response.json() == {"name": "pen", "user": "ada@/items"}
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hello"


def test_routes_of_an_included_router_keep_their_decoration_namespace() -> None:
    def make_router() -> Router:
        from covet import Request

        router = Router(prefix="/r")

        @router.get("/path")
        async def path(request: Request) -> str:
            return request.url.path

        return router

    app = CovetPy()
    app.include_router(make_router())
    assert TestClient(app).get("/r/path").json() == "/r/path"


def widget_app(**options: Any) -> CovetPy:
    app = CovetPy(**options.pop("app", {}))
    router = Router(**options.pop("router", {}))

    @router.get("/price", **options)
    async def price(amount: Decimal) -> str:
        return str(amount * 2)

    app.include_router(router)
    return app


@pytest.mark.parametrize(
    "options",
    [
        {"signature_namespace": {"Decimal": __import__("decimal").Decimal}},
        {"router": {"signature_namespace": {"Decimal": __import__("decimal").Decimal}}},
        {"app": {"signature_namespace": {"Decimal": __import__("decimal").Decimal}}},
    ],
    ids=["route", "router", "app"],
)
def test_signature_namespace_names_what_is_imported_only_for_type_checking(
    options: dict[str, Any],
) -> None:
    assert TestClient(widget_app(**options)).get("/price?amount=1.5").json() == "3.0"


def test_a_name_found_nowhere_is_reported_with_the_escape_hatch() -> None:
    with (
        pytest.raises(
            LifespanError, match=r"'Decimal' of parameter 'amount'.*signature_namespace="
        ),
        TestClient(widget_app()) as client,
    ):
        client.get("/price?amount=1")


def test_a_controller_built_in_a_factory_sees_the_factorys_imports() -> None:
    def create() -> CovetPy:
        from covet import Controller, Request

        class Items(Controller):
            prefix = "/items"

            @Controller.get("/")
            async def index(self, request: Request) -> str:
                return request.url.path

        app = CovetPy()
        app.include_router(Items.as_router())
        return app

    assert TestClient(create()).get("/items/").json() == "/items/"


def test_a_local_return_annotation_filters_the_result_and_is_documented() -> None:
    from dataclasses import dataclass

    @dataclass
    class Out:
        a: int
        b: str = "x"

    app = CovetPy()

    @app.get("/out")
    async def out() -> Out:
        return {"a": 1, "secret": "s"}  # type: ignore[return-value]

    client = TestClient(app)
    assert client.get("/out").json() == {"a": 1, "b": "x"}
    schema = app.openapi()["paths"]["/out"]["get"]["responses"]["200"]["content"]
    assert schema["application/json"]["schema"] == {"$ref": "#/components/schemas/Out"}
