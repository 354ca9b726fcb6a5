"""Bodies that are not JSON, with ``error_format="fastapi"``: FastAPI's 422, never parsed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from covet import Body, CovetPy, Query
from covet.testing import TestClient


@dataclass
class Item:
    name: str
    price: float


def shop(error_format: Any) -> tuple[CovetPy, list[str]]:
    app = CovetPy(error_format=error_format)
    called: list[str] = []

    @app.post("/items/")
    async def create_item(item: Item) -> Item:
        called.append("items")
        return item

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: Item, q: str | None = None) -> dict[str, Any]:
        called.append("update")
        return {"item_id": item_id, "item": item}

    @app.post("/offers/")
    async def offer(
        importance: Annotated[int, Body(embed=True)],
        limit: Annotated[int, Query()] = 10,
    ) -> int:
        called.append("offers")
        return importance

    return app, called


# The JSON body runner, the generic binder (path + body + query), and embedded body fields.
ROUTES = [
    pytest.param("POST", "/items/", id="json-body-runner"),
    pytest.param("PUT", "/items/3?q=x", id="generic-binding"),
    pytest.param("POST", "/offers/", id="embedded-field"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_invalid_json_is_fastapis_json_invalid(method: str, path: str) -> None:
    app, called = shop("fastapi")
    response = TestClient(app).request(
        method,
        path,
        content=b'{"name": "Foo", "price": }',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "json_invalid",
                "loc": ["body", 25],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": "Expecting value"},
            }
        ]
    }
    assert called == []


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/plain"}, {}, {"Content-Type": "application/x-www-form-urlencoded"}],
    ids=["text-plain", "no-content-type", "form"],
)
def test_a_body_not_declared_json_is_refused_unparsed(
    method: str, path: str, headers: dict[str, str]
) -> None:
    app, called = shop("fastapi")
    body = b'{"name": "Foo", "price": 1, "importance": 3}'
    response = TestClient(app).request(method, path, content=body, headers=headers)
    assert response.status_code == 422
    (issue,) = response.json()["detail"]
    assert issue["type"] == "model_attributes_type"
    assert issue["loc"] == ["body"]
    assert issue["input"] == body.decode()
    assert called == []  # the CSRF guard: the handler never ran


def test_declared_json_still_works() -> None:
    app, called = shop("fastapi")
    client = TestClient(app)
    assert client.post("/items/", json={"name": "Foo", "price": 1.5}).status_code == 200
    vendor = client.post(
        "/items/",
        content=b'{"name": "Foo", "price": 2}',
        headers={"Content-Type": "application/vnd.api+json; charset=utf-8"},
    )
    assert vendor.status_code == 200
    assert called == ["items", "items"]


def test_json_over_a_limit_keeps_its_400() -> None:
    app, _ = shop("fastapi")
    response = TestClient(app).post(
        "/items/", content=b"[" * 100 + b"]" * 100, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON nesting is deeper")


def test_nan_is_json_invalid() -> None:
    app, _ = shop("fastapi")
    response = TestClient(app).post(
        "/items/",
        content=b'{"name": "a", "price": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    (issue,) = response.json()["detail"]
    assert (issue["type"], issue["loc"]) == ("json_invalid", ["body", 23])


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_default_format_keeps_415_and_400_problems(method: str, path: str) -> None:
    app, called = shop("problem")
    client = TestClient(app)
    plain = client.request(method, path, content=b"{}", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert plain.headers["content-type"] == "application/problem+json"
    broken = client.request(
        method, path, content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("Invalid JSON: Expecting property name")
    assert called == []
