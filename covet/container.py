"""Resolving dependencies outside HTTP: scripts, CLI commands, background jobs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, TypeVar

from covet.params import Depends
from covet.routing.planning import plan_dependency
from covet.routing.resolver import outside_request
from covet.routing.routes import BaseRoute

if TYPE_CHECKING:
    from covet.app import CovetPy

_T = TypeVar("_T")


class Container:
    """Resolves the same providers the handlers use, with teardown when the block exits.

    Get one from ``async with app.container() as container:``; dependencies that need
    request data (headers, query, body, ``Request``) cannot be resolved here.
    """

    def __init__(self, app: CovetPy, stack: AsyncExitStack) -> None:
        self._app = app
        self._stack = stack
        self._resolution = outside_request(app, stack)

    async def resolve(self, dependency: Callable[..., _T]) -> _T:
        """Return what ``dependency`` provides (cached for the life of this container)."""
        route = BaseRoute("/", dependency)
        node = plan_dependency(route, Depends(dependency), self._app.dependency_overrides, ())
        value: _T = await self._resolution.solve(node)
        return value


__all__ = ["Container"]
