"""Resolving dependencies where no route handler asks for them.

GraphQL resolvers, WebSocket message handlers, scripts and background jobs get the same
providers the handlers use, with the app's overrides and app-scoped values: for a given
request or WebSocket connection (its headers, query, path values...) or for none.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from covet._callables import callable_name
from covet.di.plan import ConnectionKind, DependencyNode, PlanContext
from covet.di.planner import plan_dependency
from covet.di.resolution import Resolution, no_receive, no_send, outside_request
from covet.exceptions import ConfigurationError
from covet.params import Depends
from covet.requests import HTTPConnection
from covet.websockets import WebSocket

_T = TypeVar("_T")

# Planned nodes per application, forgotten whenever the app is invalidated (new overrides...).
_PlanKey = tuple[Callable[..., Any], bool, ConnectionKind, frozenset[str], frozenset[str]]
_plans: weakref.WeakKeyDictionary[Any, dict[_PlanKey, DependencyNode]] = weakref.WeakKeyDictionary()


class Container:
    """Resolves dependencies for one connection (or none), with teardown on ``stack``.

    Get one from ``async with app.container() as container:`` (no connection), or build one
    for a request or WebSocket: ``Container(app, stack, connection=websocket)``. Values are
    cached for the container's life (``use_cache``), as within one request. Generator
    dependencies are torn down when ``stack`` closes, in reverse order.

    App-scoped providers (``Depends(..., scope="app")``) give the application's shared
    values. Inside a running lifespan (the app is being served) those belong to the app
    and outlive the container; otherwise the holder of ``app.app_dependencies`` (as
    ``app.container()`` is) tears them down, after the container's own dependencies.
    Without a connection, dependencies that need request data cannot be resolved.
    """

    def __init__(
        self, app: Any, stack: AsyncExitStack, connection: HTTPConnection | None = None
    ) -> None:
        self._app = app
        self._connection = connection
        if connection is None:
            self._resolution = outside_request(app, stack)
        else:
            scope = connection.scope
            if scope.get("app") is None:
                scope = {**scope, "app": app}
            self._resolution = Resolution(scope, no_receive, no_send, _given(connection), stack)

    async def resolve(self, dependency: Callable[..., _T]) -> _T:
        """Return what ``dependency`` provides, as a handler parameter would get it.

        A provider the application uses with ``scope="app"`` (in a route, or already
        created) gives its shared app-scoped value.

        Raises:
            ConfigurationError: the dependency cannot be planned (or needs request data that
                this container has not got).
            RequestValidationError: the connection's data fails the dependency's parameters.
        """
        value: _T = await self._resolution.solve(self._plan(dependency))
        return value

    def _plan(self, dependency: Callable[..., Any]) -> DependencyNode:
        connection = self._connection
        if connection is None:
            kind, names, texts = ConnectionKind.NONE, frozenset[str](), frozenset[str]()
        else:
            kind = (
                ConnectionKind.WEBSOCKET
                if isinstance(connection, WebSocket)
                else ConnectionKind.HTTP
            )
            params = connection.scope.get("path_params", {})
            names = frozenset(params)
            texts = frozenset(name for name, value in params.items() if isinstance(value, str))
        app_scoped = self._is_app_scoped(dependency)
        plans = _plans_of(self._app)
        key = (dependency, app_scoped, kind, names, texts)
        node = plans.get(key)
        if node is None:
            context = PlanContext(
                name="resolve()",
                path_params=names,
                text_path_params=texts,
                connection=kind,
            )
            depends = Depends(dependency, scope="app" if app_scoped else "request")
            node = plans[key] = plan_dependency(context, depends, self._app.dependency_overrides)
        return node

    def _is_app_scoped(self, dependency: Callable[..., Any]) -> bool:
        call = self._app.dependency_overrides.get(dependency, dependency)
        if call in self._app.app_dependencies.values:
            return True
        return any(
            node.call is call
            for route in self._app.router.routes
            for node in getattr(route, "app_dependencies", ())
        )


async def resolve(
    dependency: Callable[..., _T],
    connection: HTTPConnection | None = None,
    *,
    app: Any = None,
    stack: AsyncExitStack | None = None,
) -> _T:
    """Resolve one dependency for a request or WebSocket connection, outside a handler.

    The seam for code that is not a route handler but wants its providers: a GraphQL
    resolver (``await resolve(get_user, info.context["request"])``), a WebSocket message
    handler, a background job (``await resolve(get_db, app=app, stack=stack)``). Parameters
    are read from ``connection`` exactly as for a handler (headers, query, cookies, path
    values, the connection itself); ``app.dependency_overrides`` apply, and app-scoped
    providers give the app's shared values. Plans are made once per app and dependency.

    Args:
        dependency: The provider to call (a function, class, or callable object).
        connection: The :class:`~covet.Request` or :class:`~covet.websockets.WebSocket`
            whose data it reads; ``None`` outside any request.
        app: The application; by default the connection's (``connection.app``).
        stack: Where generator dependencies register their teardown; required when the
            dependency (or one of its own) yields, so the value outlives this call.

    Raises:
        ConfigurationError: no application, a generator dependency without ``stack``, or a
            dependency that cannot be planned.
        RequestValidationError: the connection's data fails the dependency's parameters.
    """
    if app is None and connection is not None:
        app = connection.app
    if app is None:
        raise ConfigurationError(
            f"resolve({callable_name(dependency)}) needs the application: pass app=, or a "
            "connection served by a CovetPy app."
        )
    if stack is not None:
        return await Container(app, stack, connection).resolve(dependency)
    async with AsyncExitStack() as own:
        container = Container(app, own, connection)
        if _needs_teardown(container._plan(dependency)):
            raise ConfigurationError(
                f"resolve({callable_name(dependency)}): a generator dependency is torn down "
                "when its stack closes; pass stack=AsyncExitStack() (and close it when the "
                "value is no longer used)."
            )
        return await container.resolve(dependency)


def _needs_teardown(node: DependencyNode) -> bool:
    if node.app_scoped:
        return False  # torn down by the app, not by the caller
    return node.kind.is_generator or any(
        _needs_teardown(entry.dependency) for entry in node.plan if entry.dependency is not None
    )


def _plans_of(app: Any) -> dict[_PlanKey, DependencyNode]:
    plans = _plans.get(app)
    if plans is None:
        plans = _plans[app] = {}
        app.router.on_invalidate(plans.clear)
    return plans


def _given(connection: HTTPConnection) -> Callable[..., HTTPConnection]:
    def connection_of(*_: Any) -> HTTPConnection:
        return connection

    return connection_of
