"""The benchmark scenarios written the idiomatic FastAPI way.

Handlers use annotated path and query parameters and return dicts, so FastAPI validates inputs
and serialises through the response model inferred from the return annotation, as real apps do.
Notes on fairness:

* ``POST /items`` takes a pydantic ``BaseModel`` parameter (the JSON body) and returns it, so
  the inferred response model filters and serialises the output.
* The OpenAPI and docs routes are disabled so the route tables match the other frameworks.
* FastAPI takes the parameter type from the annotation, so paths say ``{user_id}`` rather than
  ``{user_id:int}``; a non-integer value gives 422 instead of 404 (not exercised here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from apps import FILLER_ROUTES, filler_paths


async def plaintext() -> PlainTextResponse:
    """Return a fixed plain-text body."""
    return PlainTextResponse("Hello, World!")


async def json_() -> dict[str, str]:
    """Return a fixed JSON object."""
    return {"message": "Hello, World!"}


async def user(user_id: int) -> dict[str, int]:
    """Echo the integer path parameter."""
    return {"user_id": user_id}


async def query(page: int) -> dict[str, int]:
    """Echo the ``page`` query parameter."""
    return {"page": page}


async def search(q: str, limit: Annotated[int, Query()] = 20) -> dict[str, str | int]:
    """Echo a required string and a defaulted int query parameter."""
    return {"q": q, "limit": limit}


async def item(item_id: int) -> dict[str, int]:
    """Echo the item id; serves the filler routes and ``/last/items/{item_id}``."""
    return {"item_id": item_id}


class ItemIn(BaseModel):
    """The item in the ``POST /items`` body."""

    name: str
    price: float
    tags: list[str]
    in_stock: bool
    quantity: int


async def create(item: ItemIn) -> ItemIn:
    """Echo the validated item."""
    return item


def build(filler: int = 0) -> FastAPI:
    """Build the app with ``filler`` routes in front of the scenario routes."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for path in filler_paths(filler, convertor=False):
        app.get(path)(item)
    app.get("/plaintext", response_class=PlainTextResponse)(plaintext)
    app.get("/json")(json_)
    app.get("/users/{user_id}")(user)
    app.get("/query")(query)
    app.get("/search")(search)
    app.get("/last/items/{item_id}")(item)
    app.post("/items")(create)
    return app


app = build()
app_200 = build(FILLER_ROUTES)
