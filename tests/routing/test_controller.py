"""Class-based controllers group handlers under a prefix, tags and dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest

from covet import CovetPy, Depends, Header, HTTPException, Query
from covet.exceptions import ConfigurationError
from covet.routing.controller import Controller
from covet.testing import TestClient


@dataclass
class ItemIn:
    name: str
    price: float


async def require_token(x_token: Annotated[str, Header()]) -> str:
    if x_token != "secret":
        raise HTTPException(401, "bad token")
    return x_token


class Items(Controller, prefix="/items", tags=["items"], dependencies=[Depends(require_token)]):
    def __init__(self) -> None:
        self.store: dict[int, ItemIn] = {}

    @Controller.get("")
    async def list_items(self, limit: Annotated[int, Query(ge=1)] = 10) -> list[str]:
        return [item.name for item in self.store.values()][:limit]

    @Controller.post("", status_code=201)
    async def create(self, item: ItemIn) -> dict[str, int]:
        item_id = len(self.store) + 1
        self.store[item_id] = item
        return {"id": item_id}

    @Controller.get("/{item_id:int}")
    def read(self, item_id: int) -> ItemIn:
        if item_id not in self.store:
            raise HTTPException(404, f"no item {item_id}")
        return self.store[item_id]


def test_controller_routes_share_prefix_tags_dependencies_and_state() -> None:
    app = CovetPy()
    app.include_router(Items.as_router(), prefix="/api")
    client = TestClient(app, headers={"X-Token": "secret"})
    assert client.post("/api/items", json={"name": "pen", "price": 1.5}).json() == {"id": 1}
    assert client.get("/api/items").json() == ["pen"]
    assert client.get("/api/items/1").json() == {"name": "pen", "price": 1.5}
    assert client.get("/api/items/2").status_code == 404
    assert client.get("/api/items", headers={"X-Token": "wrong"}).status_code == 401
    assert client.get("/api/items?limit=0").status_code == 422
    names = {route.name for route in app.routes}
    assert names == {"Items.list_items", "Items.create", "Items.read"}
    assert all(route.tags == ["items"] for route in app.routes)
    assert app.url_path_for("Items.read", item_id=3) == "/api/items/3"


def test_a_controller_without_routes_is_a_configuration_error() -> None:
    class Empty(Controller, prefix="/empty"):
        pass

    with pytest.raises(ConfigurationError, match="declares no routes"):
        Empty.as_router()
