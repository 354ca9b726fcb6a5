"""``typing_extensions.TypedDict`` classes (pydantic users' habit) work as ``typing``'s do."""

from __future__ import annotations

from typing import Any

from covet import CovetPy
from covet.testing import TestClient
from tests.support.optional import require

typing_extensions = require("typing_extensions")


class Item(typing_extensions.TypedDict):
    name: str
    price: float
    tags: typing_extensions.NotRequired[list[str]]


def make_app() -> CovetPy:
    app = CovetPy()

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    return app


def test_a_typing_extensions_typeddict_is_a_validated_body_and_response_model() -> None:
    with TestClient(make_app()) as client:
        ok = client.post("/items", json={"name": "pen", "price": 2})
        assert ok.status_code == 200
        assert ok.json() == {"name": "pen", "price": 2.0}
        bad = client.post("/items", json={"name": "pen", "price": "cheap"})
        assert bad.status_code == 422
        missing = client.post("/items", json={"price": 1})
        assert missing.status_code == 422


def test_its_schema_names_the_required_keys() -> None:
    document: dict[str, Any] = make_app().openapi()
    schema = document["components"]["schemas"]["Item"]
    assert set(schema["properties"]) == {"name", "price", "tags"}
    assert sorted(schema["required"]) == ["name", "price"]
