"""The benchmark scenarios written the idiomatic Falcon (ASGI) way.

Resources with ``on_get``/``on_post`` responders; JSON responses through ``resp.media``
(Falcon's standard-library JSON handler). ``POST /items`` follows Falcon's msgspec recipe:
the body is decoded and validated in one call by ``msgspec.json.decode(..., type=ItemIn)``
(a ``msgspec.Struct``) and encoded back with ``msgspec.json.encode``; an invalid body gets 422.
"""

from __future__ import annotations

import falcon
import falcon.asgi
import msgspec

from apps import FILLER_ROUTES, filler_paths


class ItemIn(msgspec.Struct):
    """The item in the ``POST /items`` body."""

    name: str
    price: float
    tags: list[str]
    in_stock: bool
    quantity: int


_decode_item = msgspec.json.Decoder(ItemIn).decode
_encode = msgspec.json.Encoder().encode


class PlainText:
    """``GET /plaintext``."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        """Return a fixed plain-text body."""
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class Json:
    """``GET /json``."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        """Return a fixed JSON object."""
        resp.media = {"message": "Hello, World!"}


class User:
    """``GET /users/{user_id:int}``."""

    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, user_id: int
    ) -> None:
        """Echo the ``:int``-converted path parameter."""
        resp.media = {"user_id": user_id}


class Query:
    """``GET /query?page=3``."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        """Echo the ``page`` query parameter as an int (400 when missing or not an int)."""
        resp.media = {"page": req.get_param_as_int("page", required=True)}


class Search:
    """``GET /search?q=abc&limit=10``."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        """Echo ``q`` (required) and ``limit`` (an int, 20 by default)."""
        q = req.get_param("q", required=True)
        resp.media = {"q": q, "limit": req.get_param_as_int("limit", default=20)}


class Item:
    """The filler routes and ``/last/items/{item_id:int}``."""

    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        """Echo the item id."""
        resp.media = {"item_id": item_id}


class Items:
    """``POST /items``."""

    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        """Validate the JSON item with msgspec and echo it, or answer 422."""
        try:
            item = _decode_item(await req.stream.read())
        except msgspec.ValidationError as exc:
            raise falcon.HTTPUnprocessableEntity(description=str(exc)) from None
        except msgspec.DecodeError as exc:
            raise falcon.HTTPBadRequest(description=str(exc)) from None
        resp.data = _encode(item)
        resp.content_type = falcon.MEDIA_JSON


def build(filler: int = 0) -> falcon.asgi.App:
    """Build the app with ``filler`` routes in front of the scenario routes."""
    app = falcon.asgi.App()
    item = Item()
    for path in filler_paths(filler):
        app.add_route(path, item)
    app.add_route("/plaintext", PlainText())
    app.add_route("/json", Json())
    app.add_route("/users/{user_id:int}", User())
    app.add_route("/query", Query())
    app.add_route("/search", Search())
    app.add_route("/last/items/{item_id:int}", item)
    app.add_route("/items", Items())
    return app


app = build()
app_200 = build(FILLER_ROUTES)
