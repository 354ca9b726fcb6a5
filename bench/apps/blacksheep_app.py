"""The benchmark scenarios written the idiomatic BlackSheep way.

Handlers take typed parameters bound by name (route values and query strings) and return
``text(...)``/``json(...)`` responses; ``POST /items`` takes ``FromJSON[ItemIn]`` with a
dataclass, which BlackSheep parses and builds (an invalid body gets 400).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from blacksheep import Application, FromJSON, Response, json, text
from blacksheep.server.routing import Router

from apps import FILLER_ROUTES, filler_paths


@dataclass
class ItemIn:
    """The item in the ``POST /items`` body."""

    name: str
    price: float
    tags: list[str]
    in_stock: bool
    quantity: int


async def plaintext() -> Response:
    """Return a fixed plain-text body."""
    return text("Hello, World!")


async def json_() -> Response:
    """Return a fixed JSON object."""
    return json({"message": "Hello, World!"})


async def user(user_id: int) -> Response:
    """Echo the integer route parameter."""
    return json({"user_id": user_id})


async def query(page: int) -> Response:
    """Echo the ``page`` query parameter."""
    return json({"page": page})


async def search(q: str, limit: int = 20) -> Response:
    """Echo a required string and a defaulted int query parameter."""
    return json({"q": q, "limit": limit})


async def item(item_id: int) -> Response:
    """Echo the item id; serves the filler routes and ``/last/items/{item_id}``."""
    return json({"item_id": item_id})


async def create(item: FromJSON[ItemIn]) -> Response:
    """Echo the parsed item."""
    return json(asdict(item.value))


def build(filler: int = 0) -> Application:
    """Build the app with ``filler`` routes in front of the scenario routes."""
    # Each app gets its own router: the default one is shared by every Application.
    app = Application(router=Router())
    get = app.router.add_get
    for path in filler_paths(filler, convertor=False):
        get(path, item)
    get("/plaintext", plaintext)
    get("/json", json_)
    get("/users/{int:user_id}", user)
    get("/query", query)
    get("/search", search)
    get("/last/items/{int:item_id}", item)
    app.router.add_post("/items", create)
    return app


app = build()
app_200 = build(FILLER_ROUTES)
