"""The router: route registration, the dispatch table and ASGI dispatch."""

from __future__ import annotations

import difflib
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar
from urllib.parse import quote, unquote_to_bytes

from covet.di.annotations import caller_namespace
from covet.di.planner import Overrides
from covet.exceptions import (
    BadRequestError,
    ConfigurationError,
    HTTPException,
    NoMatchFoundError,
    RouteConflictError,
)
from covet.lifespan import Hook, on_event_decorator
from covet.limits import DEFAULT_LIMITS, Limits
from covet.params import Depends
from covet.responses.base import RedirectResponse, Response
from covet.routing.endpoint import (
    InlineCall,
    compile_http,
    compile_websocket,
    inline_call,
    reports_start,
)
from covet.routing.route_defaults import RouteDefaults, UniqueIdFunction
from covet.routing.routes import BaseRoute, MiddlewareSpec, Mount, Route, WebSocketRoute
from covet.routing.shortcuts import MethodShortcuts
from covet.routing.trie import Trie, UnreachableRouteWarning
from covet.types import ASGIApp, Receive, Scope, Send

_F = TypeVar("_F", bound=Callable[..., Any])
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_NEEDS_CAREFUL_PATH = re.compile(rb"[%\x00\x80-\xff]").search
_NEEDS_CAREFUL_TEXT = re.compile(r"[%\x00]").search
_NOT_PLAIN = object()

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]
_BuildSettings = tuple[Limits, "Overrides | None", Sequence[Depends]]

# The keyword options a route declaration accepts beyond Router.route's own parameters; they are
# kept in Route.options for the subsystems that read them (binding, responses, OpenAPI).
ROUTE_OPTIONS = frozenset(
    {
        "dependencies",
        "deprecated",
        "description",
        "generate_unique_id_function",
        "openapi_extra",
        "operation_id",
        "response_class",
        "response_description",
        "response_model",
        "response_model_by_alias",
        "response_model_exclude",
        "response_model_exclude_none",
        "response_model_exclude_unset",
        "response_model_include",
        "responses",
        "summary",
    }
)
_ROUTE_PARAMETERS = frozenset(
    {
        "methods",
        "name",
        "status_code",
        "middleware",
        "tags",
        "include_in_schema",
        "max_body_size",
        "opt",
    }
)


class MethodTable:
    """The routes registered on one path pattern, by method, plus its WebSocket route."""

    __slots__ = ("allow", "methods", "plain_raw", "websocket")

    def __init__(self) -> None:
        self.methods: dict[str, Route] = {}
        self.websocket: WebSocketRoute | None = None
        self.allow = ""
        # A static path's own bytes when they need no careful decoding (see resolve).
        self.plain_raw: object = _NOT_PLAIN

    def add(self, route: BaseRoute) -> None:
        path = route.template.path
        if route.template.is_static and _NEEDS_CAREFUL_TEXT(path) is None and path.isascii():
            self.plain_raw = path.encode("ascii")
        if isinstance(route, WebSocketRoute):
            if self.websocket is not None:
                raise _conflict(route, self.websocket, "WEBSOCKET")
            self.websocket = route
            return
        assert isinstance(route, Route)
        for method in route.methods:
            existing = self.methods.get(method)
            if existing is not None:
                raise _conflict(route, existing, method)
        for method in route.methods:
            self.methods[method] = route
        allowed = set(self.methods)
        if "GET" in allowed:
            allowed.add("HEAD")
        allowed.add("OPTIONS")
        self.allow = ", ".join(sorted(allowed))

    def lookup(self, method: str) -> Route | None:
        route = self.methods.get(method)
        if route is None and method == "HEAD":
            return self.methods.get("GET")
        return route


def _conflict(new: BaseRoute, old: BaseRoute, method: str) -> RouteConflictError:
    return RouteConflictError(
        f"Route {method} {new.path!r} (handler {new.handler_name}) conflicts with "
        f"{method} {old.path!r} (handler {old.handler_name}): both match the same paths."
    )


class Router(MethodShortcuts):
    """A group of routes with shared prefix, tags, middleware and lifespan.

    A Router is an ASGI application on its own, and can be included into a
    :class:`~covet.CovetPy` app (``app.include_router``), which flattens its routes into
    the app's table.

    Args:
        prefix: Path prefix for every route registered here.
        tags: Tags added to every route (used by OpenAPI).
        middleware: ``(cls, options)`` pairs wrapped around each of this router's routes.
        lifespan: An async context manager factory run with the app's lifespan, or a
            sequence of them (entered in order, exited in reverse order).
        on_startup: Callables run at start-up (before the lifespans), as in FastAPI.
        on_shutdown: Callables run at shutdown (after the lifespans), as in FastAPI.
        redirect_slashes: Redirect ``/path/`` to ``/path`` (and back) when only the other
            form exists; ``False`` turns it off for this router's routes, also once included
            (the including app's ``False`` turns it off for all).
        redirect_status: ``307`` (default) or ``308`` (permanent) for those redirects; it
            stays with the routes when the router is included.
        opt: Open per-route settings merged into each of this router's routes (a route's
            own ``opt`` wins); middleware read them from ``scope["route"].opt``.
        default_response_class: The ``response_class`` of routes that set none.
        responses: Extra OpenAPI responses for every route (a route's own win).
        deprecated: Mark every route deprecated in the OpenAPI document.
        include_in_schema: ``False`` leaves every route out of the OpenAPI document.
        generate_unique_id_function: ``route -> operationId`` for routes without
            ``operation_id``.
        signature_namespace: Names the string annotations of this router's handlers (and
            their dependencies) may use beyond their modules' globals and the locals where
            they were decorated, e.g. types imported only under ``TYPE_CHECKING``.
    """

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: Iterable[str] = (),
        middleware: Sequence[MiddlewareSpec] = (),
        lifespan: Lifespan | Sequence[Lifespan] | None = None,
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        redirect_slashes: bool = True,
        redirect_status: int = 307,
        dependencies: Sequence[Depends] = (),
        opt: Mapping[str, Any] | None = None,
        default_response_class: type[Response] | None = None,
        responses: Mapping[int | str, Any] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        generate_unique_id_function: UniqueIdFunction | None = None,
        signature_namespace: Mapping[str, Any] | None = None,
    ) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ConfigurationError(
                f"Router prefix {prefix!r} must start with '/' and not end with '/'."
            )
        if redirect_status not in (307, 308):
            raise ConfigurationError("redirect_status must be 307 or 308 so the method is kept.")
        self.prefix = prefix
        self.dependencies = list(dependencies)
        self.tags = list(tags)
        self.middleware = list(middleware)
        self.opt = dict(opt or {})
        self.route_defaults = RouteDefaults(
            default_response_class,
            dict(responses or {}),
            deprecated,
            include_in_schema,
            generate_unique_id_function,
        )
        self.signature_namespace = dict(signature_namespace or {})
        self.lifespans: list[Lifespan] = _lifespans(lifespan)
        self.on_startup: list[Hook] = list(on_startup)
        self.on_shutdown: list[Hook] = list(on_shutdown)
        self.redirect_slashes = redirect_slashes
        self.redirect_status = redirect_status
        self._slash_status = redirect_status if redirect_slashes else None
        self.routes: list[BaseRoute] = []
        self.mounts: list[Mount] = []
        self._trie: Trie[MethodTable] = Trie()
        # The build generation: every change bumps it (see invalidate). ``_built`` is the
        # request path's one-attribute test; ``_settings`` what the last compile used.
        self.generation = 0
        self._built = False
        self._settings: _BuildSettings = (DEFAULT_LIMITS, None, ())
        self._listeners: list[Callable[[], None]] = []
        # Told when routes change on a built router (the app forgets its OpenAPI document).
        self._route_listeners: list[Callable[[], None]] = []
        self._swap_lock = threading.RLock()
        # The compiled route apps that report their response's start in the scope (see
        # endpoint.reports_start): the app's inline error handling calls them unwrapped.
        self.self_reporting: frozenset[ASGIApp] = frozenset()
        # The direct runners the app's inline error handling may run without their own
        # coroutine (endpoint.inline_call): their handler call, serializer and status.
        self.inline_calls: dict[ASGIApp, InlineCall] = {}

    # -- registration -------------------------------------------------------------------

    def add_route(self, route: BaseRoute) -> None:
        """Register a route, raising :class:`RouteConflictError` on an equivalent one.

        Once the router is built (serving, say), the route is planned and a new route table
        is built aside, then swapped in: a request sees the old table or the new one, never
        a half-built one, and a route that cannot be planned or that conflicts leaves the
        table as it was. The app's middleware stack is kept (its stores stay open).
        """
        with self._swap_lock:
            if self._built:
                self._swap_routes([*self.routes, route], added=route)
                return
        table = self._trie.find_or_insert(route.template, MethodTable)
        table.add(route)
        self.routes.append(route)
        self.invalidate()

    def remove_route(self, route: BaseRoute | str) -> BaseRoute:
        """Unregister ``route`` (or the one route of that name), also while serving.

        Like :meth:`add_route`, a built router swaps in a new table: requests in flight
        finish on the old route, the next ones get a 404 (or another matching route).

        Raises:
            LookupError: No route, or several, are known by that name or object.
        """
        with self._swap_lock:
            if isinstance(route, str):
                named = [each for each in self.routes if each.name == route]
                if len(named) != 1:
                    how = "no route" if not named else f"{len(named)} routes"
                    raise LookupError(f"{how} named {route!r}; pass the route itself.")
                route = named[0]
            if not any(each is route for each in self.routes):
                raise LookupError(f"{route!r} is not a route of this router.")
            remaining = [each for each in self.routes if each is not route]
            if self._built:
                self._swap_routes(remaining, added=None)
                return route
            self._trie = _trie_of(remaining)
            self.routes = remaining
        self.invalidate()
        return route

    def _swap_routes(self, routes: list[BaseRoute], *, added: BaseRoute | None) -> None:
        """Build a route table of ``routes`` aside (planning ``added``), then swap it in."""
        with self._swap_lock:
            trie = _trie_of([each for each in routes if each is not added])
            if added is not None:
                trie.find_or_insert(added.template, MethodTable).add(added)  # may conflict
                self._compile_route(added, self._settings)
            trie.compile()
            self_reporting, inline_calls = _reporting(routes)
            # Each is one reference assignment; the table goes last, once the rest is ready.
            self.routes = routes
            self.self_reporting, self.inline_calls = self_reporting, inline_calls
            self._trie = trie
            self.generation += 1
        for listener in self._route_listeners:
            listener()

    def route(
        self,
        path: str,
        *,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        status_code: int | None = None,
        middleware: Sequence[MiddlewareSpec] = (),
        tags: Iterable[str] = (),
        include_in_schema: bool = True,
        max_body_size: int | None = None,
        opt: Mapping[str, Any] | None = None,
        signature_namespace: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Callable[[_F], _F]:
        """Register the decorated function for ``methods`` on ``path``.

        Args:
            path: The path pattern, after the router's prefix: ``/items/{item_id}``,
                ``/files/{rest:path}``; a ``{name:int}``-style convertor restricts a segment.
            methods: HTTP methods it answers (a GET route answers HEAD too).
            name: The route's name for ``url_path_for`` (default: the function's name).
            status_code: Status of a response made from a non-``Response`` result.
            middleware: ``(cls, options)`` ASGI middleware around this route only, inside
                the router's own.
            tags: OpenAPI tags, added to the router's.
            include_in_schema: ``False`` leaves the route out of the OpenAPI document.
            max_body_size: This route's request-body limit in bytes, instead of the app's
                ``Limits.max_body_size``.
            opt: Open settings for middleware and subsystems (``{"rate_limit": "10/s"}``),
                over the router's; read from ``scope["route"].opt`` after matching.
            signature_namespace: Names for the handler's string annotations, beyond its
                module's globals and the locals where it is decorated (which are kept).
            **options: The other options, each also accepted by ``get``/``post``/...:
                ``response_model`` (the result's shape; ``None`` turns the return
                annotation's filtering off), ``response_model_include`` and
                ``response_model_exclude`` (sets of top-level field names),
                ``response_model_exclude_unset``, ``response_model_exclude_none`` and
                ``response_model_by_alias`` (as FastAPI's), ``dependencies``
                (``Depends(...)`` run for their effect, after the router's), ``summary``,
                ``description`` (default: the
                docstring), ``response_description``, ``responses`` (more responses for the
                OpenAPI document, by status code), ``operation_id``, ``deprecated``,
                ``response_class`` (the Response class a non-Response result is sent as,
                e.g. ``HTMLResponse``), ``openapi_extra`` (merged into the OpenAPI operation)
                and ``generate_unique_id_function`` (``route -> operationId``).

        Raises:
            ConfigurationError: An option that is not one of the accepted ones (a typo, say).
        """
        _check_options(path, options)
        options, include_in_schema = self.route_defaults.apply(options, include_in_schema)

        def decorator(func: _F) -> _F:
            route = Route(
                self.prefix + path,
                func,
                methods=methods,
                name=name,
                status_code=status_code,
                middleware=[*self.middleware, *middleware],
                tags=[*self.tags, *tags],
                include_in_schema=include_in_schema,
                max_body_size=max_body_size,
                options=_with_dependencies(options, self.dependencies),
                opt={**self.opt, **(opt or {})},
                slash_redirect=self._slash_status,
            )
            route.namespace = self._namespace(caller_namespace(), signature_namespace)
            self.add_route(route)
            return func

        return decorator

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Iterable[str] = ("GET",),
        **options: Any,
    ) -> None:
        """Register ``endpoint`` as :meth:`route` would, without a decorator (FastAPI's name).

        Takes :meth:`route`'s options.
        """
        self.route(path, methods=methods, **options)(endpoint)

    def add_api_websocket_route(
        self, path: str, endpoint: Callable[..., Any], **options: Any
    ) -> None:
        """Register a WebSocket ``endpoint`` without a decorator (options of :meth:`websocket`)."""
        self.websocket(path, **options)(endpoint)

    def websocket(
        self,
        path: str,
        *,
        name: str | None = None,
        middleware: Sequence[MiddlewareSpec] = (),
        dependencies: Sequence[Depends] = (),
        opt: Mapping[str, Any] | None = None,
        signature_namespace: Mapping[str, Any] | None = None,
    ) -> Callable[[_F], _F]:
        """Register a WebSocket handler on ``path`` (options as for :meth:`route`).

        ``dependencies`` (after the router's own) run before the handler, as on HTTP routes:
        one raising an ``HTTPException`` (a guard's 401/403) closes the handshake with 1008.
        """
        options = {"dependencies": list(dependencies)} if dependencies else {}

        def decorator(func: _F) -> _F:
            route = WebSocketRoute(
                self.prefix + path,
                func,
                name=name,
                middleware=[*self.middleware, *middleware],
                tags=self.tags,
                options=_with_dependencies(options, self.dependencies),
                opt={**self.opt, **(opt or {})},
                slash_redirect=self._slash_status,
            )
            route.namespace = self._namespace(caller_namespace(), signature_namespace)
            self.add_route(route)
            return func

        return decorator

    def _namespace(
        self, decorated_in: dict[str, Any], explicit: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """A route's annotation names: where it was decorated, then this router's, then its own."""
        return {**decorated_in, **self.signature_namespace, **(explicit or {})}

    def mount(
        self,
        path: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        opt: Mapping[str, Any] | None = None,
    ) -> None:
        """Serve another ASGI application under ``path`` (``opt`` as for :meth:`route`)."""
        mount = Mount(self.prefix + path, app, name=name, opt={**self.opt, **(opt or {})})
        for existing in self.mounts:
            if existing.path == mount.path:
                raise RouteConflictError(f"Two applications are mounted at {mount.path!r}.")
        self.mounts.append(mount)
        self.mounts.sort(key=lambda m: len(m.path), reverse=True)
        self.invalidate()

    def include_router(
        self,
        router: Router,
        *,
        prefix: str = "",
        tags: Iterable[str] = (),
        middleware: Sequence[MiddlewareSpec] = (),
        dependencies: Sequence[Depends] = (),
        opt: Mapping[str, Any] | None = None,
        default_response_class: type[Response] | None = None,
        responses: Mapping[int | str, Any] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        generate_unique_id_function: UniqueIdFunction | None = None,
    ) -> None:
        """Copy ``router``'s routes, mounts and lifespans into this router.

        ``opt`` is merged into every included route's, under the route's own settings; so are
        ``default_response_class``, ``responses``, ``deprecated``, ``include_in_schema`` and
        ``generate_unique_id_function``, then this router's own (see
        :class:`~covet.routing.route_defaults.RouteDefaults`).
        """
        given = RouteDefaults(
            default_response_class,
            dict(responses or {}),
            deprecated,
            include_in_schema,
            generate_unique_id_function,
        )
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ConfigurationError(
                f"Include prefix {prefix!r} must start with '/' and not end with '/'."
            )
        extra_prefix = self.prefix + prefix
        extra_middleware = [*self.middleware, *middleware]
        extra_opt = {**self.opt, **(opt or {})}
        for route in router.routes:
            copied = _copy_route(
                route,
                extra_prefix,
                [*self.tags, *tags],
                extra_middleware,
                [*self.dependencies, *dependencies],
                extra_opt,
            )
            for defaults in (given, self.route_defaults):
                copied.options, copied.include_in_schema = defaults.apply(
                    copied.options, copied.include_in_schema
                )
            copied.namespace = {**self.signature_namespace, **route.namespace}
            self.add_route(copied)
        for mount in router.mounts:
            self.mount(
                prefix + mount.path, mount.app, name=mount.name, opt={**extra_opt, **mount.opt}
            )
        self.lifespans.extend(router.lifespans)
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)

    def on_event(self, event: str) -> Callable[[_F], _F]:
        """Run the decorated function at ``"startup"`` or ``"shutdown"`` (deprecated).

        Accepted for code ported from FastAPI, with a ``DeprecationWarning``: a ``lifespan=``
        context manager does the same with set-up and tear-down side by side.
        """
        return on_event_decorator(event, self.on_startup, self.on_shutdown)

    # -- compilation ----------------------------------------------------------------------

    def invalidate(self) -> None:
        """Mark everything built from this router stale; the next request rebuilds it.

        The one place a change invalidates built state: registering a route or a mount,
        changing ``app.dependency_overrides`` or the app's middleware all call it. It bumps
        :attr:`generation` and tells the listeners (the owning app drops its middleware
        stack and cached OpenAPI document).
        """
        self.generation += 1
        self._built = False
        for listener in self._listeners:
            listener()

    def on_invalidate(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` whenever :meth:`invalidate` runs (used by the owning app)."""
        self._listeners.append(listener)

    def on_routes_changed(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` when routes are added or removed on a built router."""
        self._route_listeners.append(listener)

    def compile(
        self,
        limits: Limits | None = None,
        overrides: Overrides | None = None,
        dependencies: Sequence[Depends] | None = None,
    ) -> None:
        """Plan every handler and build route middleware; done once before serving.

        Arguments left out keep what the previous compile used (at first the defaults), so
        a rebuild after a change plans routes exactly as the application configured them.

        Args:
            limits: The application's parsing limits.
            overrides: Dependency overrides (``app.dependency_overrides``).
            dependencies: Application-wide dependencies run before every handler.
        """
        old_limits, old_overrides, old_dependencies = self._settings
        settings: _BuildSettings = (
            old_limits if limits is None else limits,
            old_overrides if overrides is None else overrides,
            old_dependencies if dependencies is None else tuple(dependencies),
        )
        if self._built and _same_settings(settings, self._settings):
            return
        self._settings = settings
        for route in self.routes:
            self._compile_route(route, settings)
        self.self_reporting, self.inline_calls = _reporting(self.routes)
        self._trie.compile()
        self._built = True

    @staticmethod
    def _compile_route(route: BaseRoute, settings: _BuildSettings) -> None:
        limits, overrides, dependencies = settings
        guards = () if route.system else dependencies
        endpoint = (
            compile_http(route, limits, overrides, guards)
            if isinstance(route, Route)
            else compile_websocket(route, overrides, guards)  # type: ignore[arg-type]
        )
        for factory, options in reversed(route.middleware):
            endpoint = factory(endpoint, **options)
        route.app = endpoint

    def route_for(self, scope: Scope) -> BaseRoute | Mount | None:
        """The route that will serve this request, found without serving it.

        For middleware that must decide before the handler runs (CSRF exemptions,
        per-route deadlines): the route already matched (``scope["route"]``) if routing
        has run, else a fresh lookup that leaves ``scope`` unchanged. ``None`` when no route
        answers the method on the path (a 404, 405 or a malformed path); a request for a
        mounted app gives its :class:`~covet.routing.Mount`.
        """
        matched = scope.get("route")
        if matched is not None:
            return matched  # type: ignore[no-any-return]
        if not self._built:
            self.compile()
        try:
            path = route_path(scope)
        except BadRequestError:
            return None
        if scope["type"] == "websocket":
            for table, _params in self._trie.match_all(path):
                if table.websocket is not None:
                    return table.websocket
            return self._find_mount(path)
        found = self.match(scope.get("method", "GET"), path)
        if found is not None:
            return found[0]
        if any(table.methods for table, _params in self._trie.match_all(path)):
            return None  # the path exists, the method does not: a 405
        return self._find_mount(path)

    @property
    def matcher_sources(self) -> list[str]:
        """The generated path matcher's source (empty before compiling, or if not generated)."""
        return self._trie.sources

    # -- lookup ---------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route, dict[str, Any]] | None:
        """Return the route answering ``method`` on ``path`` and its parameters, if any."""
        found = self._trie.match(path)
        if found is not None:
            route = found[0].methods.get(method)
            if route is not None:
                return route, found[1]
        for table, params in self._trie.match_all(path):
            route = table.lookup(method)
            if route is not None:
                return route, params
        return None

    def url_path_for(self, name: str, /, **params: Any) -> str:
        """Build the path of the route named ``name`` (percent-encoded)."""
        for route in self.routes:
            if route.name == name and set(route.template.convertors) == set(params):
                return route.url_path_for(**params)
        for mount in self.mounts:
            if mount.name == name and not params:
                return mount.path
        raise NoMatchFoundError(f"No route named {name!r} takes parameters {sorted(params)}.")

    # -- dispatch -------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.resolve(scope)(scope, receive, send)
        elif scope["type"] == "websocket":
            if not self._built:
                self.compile()
            await self._dispatch_websocket(scope, receive, send)
        else:
            raise RuntimeError(f"Router cannot handle {scope['type']!r} scopes.")

    def resolve(self, scope: Scope) -> ASGIApp:
        """Return the ASGI app that answers an HTTP ``scope`` (a route, or the fallback).

        Synchronous on purpose: callers await the result directly, so routing adds no
        coroutine of its own. Sets ``scope["path_params"]`` when a route matches.
        """
        if not self._built:
            self.compile()
        path: str = scope["path"]
        trie = self._trie  # one table for the whole lookup, even if routes are swapped meanwhile
        raw = scope.get("raw_path")
        # PERF: a fully static path is one dict lookup, without the matcher's call and
        # result tuple (the matcher tries the same dict first, so the answer is the same).
        table = trie.static_paths.get(path)
        params: dict[str, Any]
        if table is not None and raw == table.plain_raw and not scope.get("root_path"):
            # PERF: raw bytes equal to a plain static path's own have no escapes, NUL or
            # non-ASCII bytes, so the path is right as it is: no regex search needed.
            params = {}
        else:
            # A root_path, escapes, non-ASCII or NUL bytes, or no raw_path at all (then only
            # path can be checked) need the careful route_path.
            # PERF: one regex search, not `b"%" in raw`: bytes.__contains__ first tries the
            # argument as an int and formats (then discards) a TypeError on every call.
            if scope.get("root_path") or raw is None or _NEEDS_CAREFUL_PATH(raw) is not None:
                path = route_path(scope)
                table = trie.static_paths.get(path)
            if table is not None:
                params = {}
            else:
                found = trie.match(path)
                if found is None:
                    return self._dispatch_fallback
                table, params = found
        route = table.methods.get(scope["method"])
        if route is not None:
            scope["path_params"] = params
            # PERF: route identity for middleware costs this one dict store.
            scope["route"] = route
            return route.app  # type: ignore[return-value]
        return self._dispatch_fallback

    async def _dispatch_fallback(self, scope: Scope, receive: Receive, send: Send) -> None:
        # route_path raised already if the path was malformed, so this cannot fail now.
        path = route_path(scope)
        await self._dispatch_http_slow(path, scope["method"], scope, receive, send)

    async def _dispatch_http_slow(
        self, path: str, method: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        candidates = self._trie.match_all(path)
        for table, params in candidates:
            route = table.lookup(method)
            if route is not None:
                scope["path_params"] = params
                scope["route"] = route
                await route.app(scope, receive, send)  # type: ignore[misc]
                return
        http_tables = [table for table, _ in candidates if table.methods]
        if http_tables:
            # The path exists, the method does not: the 405 (or OPTIONS) is labelled by
            # the best-matching template's first route, as middleware expect.
            scope["route"] = next(iter(http_tables[0].methods.values()))
            allow = _merge_allow(http_tables)
            if method == "OPTIONS":
                await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)
                return
            raise HTTPException(405, f"Method {method} is not allowed here.", {"Allow": allow})
        mount = self._find_mount(path)
        if mount is not None:
            await self._call_mount(mount, scope, receive, send)
            return
        redirect = self._slash_redirect(path, method, scope)
        if redirect is not None:
            await redirect(scope, receive, send)
            return
        raise HTTPException(404)

    async def _dispatch_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope)
        for table, params in self._trie.match_all(path):
            if table.websocket is not None:
                scope["path_params"] = params
                scope["route"] = table.websocket
                await table.websocket.app(scope, receive, send)  # type: ignore[misc]
                return
        mount = self._find_mount(path)
        if mount is not None:
            await self._call_mount(mount, scope, receive, send)
            return
        await send({"type": "websocket.close", "code": 1000, "reason": "Not Found"})

    def _find_mount(self, path: str) -> Mount | None:
        for mount in self.mounts:
            if mount.matches(path):
                return mount
        return None

    async def _call_mount(self, mount: Mount, scope: Scope, receive: Receive, send: Send) -> None:
        child = dict(scope)
        # Set after the copy: inside, a mounted app's own match (or none) is the route.
        scope["route"] = mount
        child["root_path"] = scope.get("root_path", "") + mount.path
        child["path_params"] = {}
        await mount.app(child, receive, send)

    def _slash_redirect(self, path: str, method: str, scope: Scope) -> Response | None:
        if not self.redirect_slashes or path == "/":
            return None
        other = path[:-1] if path.endswith("/") else path + "/"
        target = scope.get("root_path", "") + other
        # "//host" or "/\host" in Location would send browsers to another site; the check
        # covers the prefix too (a root_path of "/" would otherwise make "//host").
        if target.startswith(("//", "/\\")):
            return None
        status = _slash_status(self._trie.match_all(other), method)
        if status is None:
            return None
        location = quote(target, safe="/:@!$&'()*+,;=-._~")
        query = scope.get("query_string", b"")
        if query:
            location += "?" + query.decode("latin-1")
        return RedirectResponse(location, status_code=status)


def _trie_of(routes: Sequence[BaseRoute]) -> Trie[MethodTable]:
    """A new route table of ``routes``, known to fit together (no warnings again)."""
    trie: Trie[MethodTable] = Trie()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachableRouteWarning)
        for route in routes:
            trie.find_or_insert(route.template, MethodTable).add(route)
    return trie


def _reporting(
    routes: Sequence[BaseRoute],
) -> tuple[frozenset[ASGIApp], dict[ASGIApp, InlineCall]]:
    """The compiled routes that report their start, and the direct calls among them."""
    reporting = frozenset(
        app for route in routes if (app := route.app) is not None and reports_start(app)
    )
    return reporting, {app: inline for app in reporting if (inline := inline_call(app)) is not None}


def _lifespans(lifespan: Lifespan | Sequence[Lifespan] | None) -> list[Lifespan]:
    if lifespan is None:
        return []
    if callable(lifespan):
        return [lifespan]
    found = list(lifespan)
    for each in found:
        if not callable(each):
            raise ConfigurationError(f"lifespan= holds {each!r}, which is not a lifespan factory.")
    return found


def _slash_status(found: list[tuple[MethodTable, dict[str, Any]]], method: str) -> int | None:
    """The redirect status of the route the other slash form leads to (its router's)."""
    routes = [route for table, _ in found for route in table.methods.values()]
    if not routes:
        return None
    answering = (route for table, _ in found if (route := table.lookup(method)) is not None)
    return next(answering, routes[0]).slash_redirect


def _same_settings(new: _BuildSettings, old: _BuildSettings) -> bool:
    return new[0] is old[0] and new[1] is old[1] and list(new[2]) == list(old[2])


def _merge_allow(tables: list[MethodTable]) -> str:
    allowed: set[str] = set()
    for table in tables:
        allowed.update(m.strip() for m in table.allow.split(","))
    return ", ".join(sorted(allowed))


def _check_options(path: str, options: dict[str, Any]) -> None:
    """Reject unknown route options, which would otherwise be silently ignored."""
    unknown = sorted(options.keys() - ROUTE_OPTIONS)
    if not unknown:
        return
    known = sorted(ROUTE_OPTIONS | _ROUTE_PARAMETERS)
    hints = [
        f" (did you mean {close[0]!r}?)"
        if (close := difflib.get_close_matches(name, known, 1))
        else ""
        for name in unknown
    ]
    names = ", ".join(f"{name!r}{hint}" for name, hint in zip(unknown, hints, strict=True))
    raise ConfigurationError(
        f"Unknown route option {names} for route {path!r}; accepted options: {', '.join(known)}."
    )


def _with_dependencies(options: dict[str, Any], extra: Sequence[Depends]) -> dict[str, Any]:
    """Route options with ``extra`` dependencies put before the route's own."""
    if not extra:
        return options
    return {**options, "dependencies": [*extra, *options.get("dependencies", ())]}


def _copy_route(
    route: BaseRoute,
    prefix: str,
    tags: list[str],
    middleware: list[MiddlewareSpec],
    dependencies: Sequence[Depends] = (),
    opt: Mapping[str, Any] | None = None,
) -> BaseRoute:
    common: dict[str, Any] = {
        "name": route.name,
        "opt": {**(opt or {}), **route.opt},
        "slash_redirect": route.slash_redirect,
        "system": route.system,  # a subsystem's own route (JWKS) stays unguarded when included
        "middleware": [*middleware, *route.middleware],
        "tags": [*tags, *(t for t in route.tags if t not in tags)],
    }
    if isinstance(route, WebSocketRoute):
        options = _with_dependencies(route.options, dependencies)
        return WebSocketRoute(prefix + route.path, route.endpoint, options=options, **common)
    assert isinstance(route, Route)
    return Route(
        prefix + route.path,
        route.endpoint,
        methods=route.methods,
        status_code=route.status_code,
        max_body_size=route.max_body_size,
        include_in_schema=route.include_in_schema,
        options=_with_dependencies(route.options, dependencies),
        **common,
    )


def route_path(scope: Scope) -> str:
    """The path to route on: ``path`` without ``root_path``, strictly decoded.

    Raises:
        BadRequestError: for invalid percent-encoding, invalid UTF-8 or NUL in the path.
    """
    path: str = scope["path"]
    root = scope.get("root_path")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        path = path[len(root) :] or "/"
    raw = scope.get("raw_path")
    # PERF: only paths with escapes or non-ASCII bytes need the strict check.
    if raw is not None and (raw.find(b"%") >= 0 or not raw.isascii()):
        path = _strict_path(raw, root or "", path)
    else:
        # A raw NUL byte, or a server that sent no raw_path and decoded the path itself
        # (then lone surrogates from undecodable bytes are possible too).
        if "\x00" in path:
            raise BadRequestError("The request path contains a NUL character.")
        if not path.isascii():
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequestError("The request path is not valid UTF-8.") from None
    return path or "/"


def _strict_path(raw: bytes, root: str, decoded: str) -> str:
    raw = raw.split(b"?", 1)[0]
    if _BAD_PERCENT.search(raw):
        raise BadRequestError("The request path contains invalid percent-encoding.")
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("The request path is not valid UTF-8.") from None
    if "\x00" in text:
        raise BadRequestError("The request path contains a NUL character.")
    if root and text.startswith(root):
        text = text[len(root) :] or "/"
    elif root and not text.startswith(root):
        return decoded
    return text
