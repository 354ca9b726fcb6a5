"""Resolving dependencies outside HTTP: scripts, CLI commands, background jobs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar

from covet._callables import callable_name
from covet.di.plan import ConnectionKind, PlanContext
from covet.di.planner import plan_dependency
from covet.di.resolution import outside_request
from covet.params import Depends

if TYPE_CHECKING:
    from covet.app import CovetPy

_T = TypeVar("_T")


class Container:
    """Resolves the same providers the handlers use, with teardown when the block exits.

    Get one from ``async with app.container() as container:``; dependencies that need
    request data (headers, query, body, ``Request``) cannot be resolved here.

    App-scoped providers (``Depends(..., scope="app")``) give the application's shared
    values. Inside a running lifespan (the app is being served) those belong to the app
    and outlive the block; otherwise the block owns them and tears them down when it exits,
    after its own dependencies, in reverse order of creation.
    """

    def __init__(self, app: CovetPy, stack: AsyncExitStack) -> None:
        self._app = app
        self._stack = stack
        self._resolution = outside_request(app, stack)

    async def resolve(self, dependency: Callable[..., _T]) -> _T:
        """Return what ``dependency`` provides (cached for the life of this container).

        A provider the application uses with ``scope="app"`` (in a route, or already
        created) gives its shared app-scoped value.
        """
        context = PlanContext(
            name=f"container.resolve({callable_name(dependency)})",
            connection=ConnectionKind.NONE,
        )
        if self._is_app_scoped(dependency):
            depends = Depends(dependency, scope="app")
        else:
            depends = Depends(dependency)
        node = plan_dependency(context, depends, self._app.dependency_overrides)
        value: _T = await self._resolution.solve(node)
        return value

    def _is_app_scoped(self, dependency: Callable[..., Any]) -> bool:
        call = self._app.dependency_overrides.get(dependency, dependency)
        if call in self._app.app_dependencies.values:
            return True
        return any(
            node.call is call
            for route in self._app.router.routes
            for node in getattr(route, "app_dependencies", ())
        )


__all__ = ["Container"]
