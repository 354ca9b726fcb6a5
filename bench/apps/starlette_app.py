"""The benchmark scenarios written the idiomatic Starlette way (``Route`` table, ``:int``).

Starlette has no model layer, so ``POST /items`` does what a Starlette user writes by hand:
``await request.json()`` and the same field checks as the raw app (:func:`apps.validate_item`),
with a 422 for an invalid body.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from apps import FILLER_ROUTES, filler_paths, validate_item


async def plaintext(request: Request) -> Response:
    """Return a fixed plain-text body."""
    return PlainTextResponse("Hello, World!")


async def json_(request: Request) -> Response:
    """Return a fixed JSON object."""
    return JSONResponse({"message": "Hello, World!"})


async def user(request: Request) -> Response:
    """Echo the ``:int``-converted path parameter."""
    return JSONResponse({"user_id": request.path_params["user_id"]})


async def query(request: Request) -> Response:
    """Echo the ``page`` query parameter as an int."""
    return JSONResponse({"page": int(request.query_params["page"])})


async def search(request: Request) -> Response:
    """Echo ``q`` (required) and ``limit`` (an int, 20 by default), checked by hand."""
    params = request.query_params
    q, limit = params.get("q"), params.get("limit", "20")
    if q is None or not (limit.isascii() and limit.isdigit()):
        return PlainTextResponse("Bad Request", status_code=400)
    return JSONResponse({"q": q, "limit": int(limit)})


async def item(request: Request) -> Response:
    """Echo the item id; serves the filler routes and ``/last/items/{item_id:int}``."""
    return JSONResponse({"item_id": request.path_params["item_id"]})


async def create(request: Request) -> Response:
    """Validate the JSON item in the body by hand and echo it, or answer 422."""
    try:
        data = await request.json()
    except ValueError:
        data = None
    item = validate_item(data)
    if item is None:
        return PlainTextResponse("Unprocessable Content", status_code=422)
    return JSONResponse(item)


def build(filler: int = 0) -> Starlette:
    """Build the app with ``filler`` routes in front of the scenario routes."""
    routes = [Route(path, item, methods=["GET"]) for path in filler_paths(filler)]
    routes += [
        Route("/plaintext", plaintext, methods=["GET"]),
        Route("/json", json_, methods=["GET"]),
        Route("/users/{user_id:int}", user, methods=["GET"]),
        Route("/query", query, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/last/items/{item_id:int}", item, methods=["GET"]),
        Route("/items", create, methods=["POST"]),
    ]
    return Starlette(routes=routes)


app = build()
app_200 = build(FILLER_ROUTES)
