"""Identical benchmark apps, one module per framework.

Every module exposes two ASGI apps:

* ``app``: the five scenario routes, in this order: ``/plaintext``, ``/json``,
  ``/users/{user_id:int}``, ``/query`` and ``/last/items/{item_id:int}``.
* ``app_200``: the same routes preceded by ``FILLER_ROUTES`` (199) routes
  ``/r{i}/items/{item_id:int}``, so ``/last/items/{item_id:int}`` is the 200th parametrised
  route in the table and the very last route overall (204 routes in total). A router that scans
  linearly pays for every route in front of it.
"""

from __future__ import annotations

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
