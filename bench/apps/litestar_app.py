"""The benchmark scenarios written the idiomatic Litestar way.

Route handlers with typed parameters (path ``{user_id:int}``, query parameters by name) and
return annotations; Litestar validates and serialises with msgspec. ``POST /items`` takes a
dataclass ``data`` parameter and returns it (status 200, like the other apps, rather than
Litestar's default 201). The OpenAPI routes are disabled so the route tables match.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Litestar, MediaType, get, post

from apps import FILLER_ROUTES, filler_paths


@dataclass
class ItemIn:
    """The item in the ``POST /items`` body."""

    name: str
    price: float
    tags: list[str]
    in_stock: bool
    quantity: int


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    """Return a fixed plain-text body."""
    return "Hello, World!"


@get("/json")
async def json_() -> dict[str, str]:
    """Return a fixed JSON object."""
    return {"message": "Hello, World!"}


@get("/users/{user_id:int}")
async def user(user_id: int) -> dict[str, int]:
    """Echo the integer path parameter."""
    return {"user_id": user_id}


@get("/query")
async def query(page: int) -> dict[str, int]:
    """Echo the ``page`` query parameter."""
    return {"page": page}


@get("/search")
async def search(q: str, limit: int = 20) -> dict[str, str | int]:
    """Echo a required string and a defaulted int query parameter."""
    return {"q": q, "limit": limit}


async def item(item_id: int) -> dict[str, int]:
    """Echo the item id; serves the filler routes and ``/last/items/{item_id:int}``."""
    return {"item_id": item_id}


@post("/items", status_code=200)
async def create(data: ItemIn) -> ItemIn:
    """Echo the validated item."""
    return data


def build(filler: int = 0) -> Litestar:
    """Build the app with ``filler`` routes in front of the scenario routes."""
    paths = [*filler_paths(filler), "/last/items/{item_id:int}"]
    items = [get(path, name=f"item-{i}")(item) for i, path in enumerate(paths)]
    # The other apps' order: the filler routes first, the scenario routes after.
    handlers = [*items[:-1], plaintext, json_, user, query, search, items[-1], create]
    return Litestar(route_handlers=handlers, openapi_config=None)


app = build()
app_200 = build(FILLER_ROUTES)
