"""Identical benchmark apps, one module per framework.

Every module exposes two ASGI apps:

* ``app``: the seven scenario routes, in this order: ``/plaintext``, ``/json``,
  ``/users/{user_id:int}``, ``/query``, ``/search``, ``/last/items/{item_id:int}`` and
  ``POST /items``.
* ``app_200``: the same routes preceded by ``FILLER_ROUTES`` (199) routes
  ``/r{i}/items/{item_id:int}``, so ``/last/items/{item_id:int}`` is the 200th parametrised
  route in the table and the last GET route, followed only by ``POST /items`` (206 routes in
  total). A router that scans
  linearly pays for every route in front of it.

``POST /items`` validates the JSON body ``{name: str, price: float, tags: list[str],
in_stock: bool, quantity: int}`` and echoes the validated item. Frameworks without a model
layer (the raw app, Starlette) use :func:`validate_item`, the hand-written check.
"""

from __future__ import annotations

from typing import Any

FILLER_ROUTES = 199
"""Routes registered before the scenario routes in ``app_200``."""


def filler_paths(count: int, *, convertor: bool = True) -> list[str]:
    """Return the filler route templates ``/r{i}/items/{item_id:int}`` for ``i < count``.

    Args:
        count: How many filler routes to return.
        convertor: Spell the parameter with Starlette's ``:int`` convertor; ``False`` gives the
            bare ``{item_id}`` that FastAPI expects (it converts from the handler's annotation).
    """
    param = "{item_id:int}" if convertor else "{item_id}"
    return [f"/r{i}/items/{param}" for i in range(count)]


def validate_item(data: Any) -> dict[str, Any] | None:
    """Check a decoded JSON body by hand; return the validated item, or ``None`` if invalid.

    The rules are the usual model ones: ``price`` accepts an int too (and becomes a float),
    ``bool`` is not accepted where an int or float is expected, unknown keys are dropped.
    """
    if type(data) is not dict:
        return None
    name = data.get("name")
    price = data.get("price")
    tags = data.get("tags")
    in_stock = data.get("in_stock")
    quantity = data.get("quantity")
    if (
        type(name) is not str
        or type(price) not in (float, int)
        or type(tags) is not list
        or not all(type(tag) is str for tag in tags)
        or type(in_stock) is not bool
        or type(quantity) is not int
    ):
        return None
    return {
        "name": name,
        "price": float(price),
        "tags": tags,
        "in_stock": in_stock,
        "quantity": quantity,
    }
