"""Typed parameters: query, header, cookie, path and JSON body, validated with 422 errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.params import Body, Cookie, Header, Path, Query
from covet.testing import TestClient


@dataclass
class ItemIn:
    name: str
    price: float
    tags: list[str]
    in_stock: bool = True


def shop(**options: Any) -> CovetPy:
    app = CovetPy(**options)

    @app.post("/items", status_code=201)
    async def create_item(
        item: ItemIn,
        x_token: Annotated[str, Header()],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        return {"item": item, "token": x_token, "limit": limit}

    @app.get("/search")
    async def search(
        q: str,
        page: int = 1,
        tags: list[str] | None = None,
        session: str | None = Cookie(None),
    ) -> dict[str, Any]:
        return {"q": q, "page": page, "tags": tags, "session": session}

    @app.get("/orders/{order_id}")
    async def order(order_id: Annotated[int, Path(gt=0)]) -> int:
        return order_id

    @app.post("/pair")
    async def pair(first: ItemIn, second: ItemIn, note: str = Body("none", embed=True)) -> Any:
        return [first.name, second.name, note]

    return app


GOOD_ITEM = {"name": "pen", "price": 1.5, "tags": ["office"]}


def test_body_header_and_query_are_bound_and_converted() -> None:
    client = TestClient(shop())
    response = client.post("/items?limit=5", json=GOOD_ITEM, headers={"X-Token": "secret"})
    assert response.status_code == 201
    assert response.json() == {
        "item": {**GOOD_ITEM, "in_stock": True},
        "token": "secret",
        "limit": 5,
    }


def test_every_problem_is_listed_in_one_422() -> None:
    client = TestClient(shop())
    response = client.post("/items?limit=500", json={"name": 3, "tags": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {(tuple(e["loc"]), e["type"]) for e in response.json()["errors"]}
    assert (("header", "x-token"), "missing") in errors
    assert (("query", "limit"), "less_than_equal") in errors
    assert any(loc[:2] == ("body", "name") for loc, _ in errors)
    assert any(loc[:2] == ("body", "price") and kind == "missing" for loc, kind in errors)
    assert any(loc[:2] == ("body", "tags") for loc, _ in errors)


def test_fastapi_error_format() -> None:
    client = TestClient(shop(error_format="fastapi"))
    response = client.get("/search")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "detail": [
            {"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None}
        ]
    }


def test_query_defaults_lists_and_cookies() -> None:
    client = TestClient(shop(), cookies={"session": "abc"})
    assert client.get("/search?q=pens").json() == {
        "q": "pens",
        "page": 1,
        "tags": None,
        "session": "abc",
    }
    data = client.get("/search?q=x&page=3&tags=a&tags=b").json()
    assert data["page"] == 3
    assert data["tags"] == ["a", "b"]
    bad = client.get("/search?q=x&page=three")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "page"]


def test_path_marker_constraints() -> None:
    client = TestClient(shop())
    assert client.get("/orders/7").json() == 7
    response = client.get("/orders/0")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "order_id"]


def test_several_body_parameters_embed_by_name() -> None:
    client = TestClient(shop())
    body = {"first": GOOD_ITEM, "second": {**GOOD_ITEM, "name": "ink"}, "note": "gift"}
    assert client.post("/pair", json=body).json() == ["pen", "ink", "gift"]
    response = client.post("/pair", json={"first": GOOD_ITEM})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:2] == ["body", "second"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{broken", "application/json", 400),
        (b'{"name": "pen"}', "text/plain", 415),
        (b"", "application/json", 422),
        (b"[" * 200 + b"]" * 200, "application/json", 400),
    ],
    ids=["invalid-json", "wrong-content-type", "missing-body", "too-deep"],
)
def test_bad_bodies_get_precise_4xx(content: bytes, content_type: str, status: int) -> None:
    client = TestClient(shop())
    response = client.post(
        "/items", content=content, headers={"content-type": content_type, "X-Token": "t"}
    )
    assert response.status_code == status


def test_unsupported_annotation_fails_at_startup_naming_handler_and_parameter() -> None:
    class Opaque:
        pass

    app = CovetPy()

    @app.get("/")
    async def handler(thing: Opaque) -> None:
        return None

    with pytest.raises(ConfigurationError, match=r"'thing'.*handler"):
        app.build()


def test_handlers_without_bound_parameters_keep_the_fast_path() -> None:
    app = CovetPy()

    @app.get("/users/{user_id:int}")
    async def user(user_id: int) -> int:
        return user_id

    app.build()
    (route,) = app.routes
    assert route.app.__name__ == "run_direct"
