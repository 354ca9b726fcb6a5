"""The benchmark scenarios written the idiomatic CovetPy way.

Path parameters arrive as keyword arguments by name, ``Request`` is injected by annotation and
returned dicts become JSON. ``POST /items`` takes a dataclass parameter, which CovetPy reads from
the JSON body and validates; the return annotation filters and serialises the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from apps import FILLER_ROUTES, filler_paths
from covet import CovetPy, PlainTextResponse, Query, Request


async def plaintext() -> PlainTextResponse:
    """Return a fixed plain-text body."""
    return PlainTextResponse("Hello, World!")


async def json_() -> dict[str, str]:
    """Return a fixed JSON object."""
    return {"message": "Hello, World!"}


async def user(user_id: int) -> dict[str, int]:
    """Echo the ``:int``-converted path parameter."""
    return {"user_id": user_id}


async def query(request: Request) -> dict[str, int]:
    """Echo the ``page`` query parameter as an int."""
    return {"page": int(request.query_params["page"])}


async def search(q: str, limit: Annotated[int, Query()] = 20) -> dict[str, str | int]:
    """Echo a required string and a defaulted int query parameter."""
    return {"q": q, "limit": limit}


async def item(item_id: int) -> dict[str, int]:
    """Echo the item id; serves the filler routes and ``/last/items/{item_id:int}``."""
    return {"item_id": item_id}


@dataclass
class ItemIn:
    """The item in the ``POST /items`` body."""

    name: str
    price: float
    tags: list[str]
    in_stock: bool
    quantity: int


async def create(item: ItemIn) -> ItemIn:
    """Echo the validated item."""
    return item


def build(filler: int = 0) -> CovetPy:
    """Build the app with ``filler`` routes in front of the scenario routes."""
    app = CovetPy()
    for path in filler_paths(filler):
        app.get(path)(item)
    app.get("/plaintext")(plaintext)
    app.get("/json")(json_)
    app.get("/users/{user_id:int}")(user)
    app.get("/query")(query)
    app.get("/search")(search)
    app.get("/last/items/{item_id:int}")(item)
    app.post("/items")(create)
    return app


app = build()
app_200 = build(FILLER_ROUTES)
