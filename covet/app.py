"""The CovetPy application: router, middleware stack, lifespan and exception handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, Literal, TypeVar

from covet._overrides import DependencyOverrides
from covet.concurrency import configure_threadpool
from covet.container import Container
from covet.datastructures import State
from covet.di.resolution import AppScope
from covet.exceptions import ConfigurationError
from covet.lifespan import (
    Hook,
    LifespanFactory,
    ShutdownSignal,
    hooks_context,
    on_event_decorator,
    run_all,
    serve_lifespan,
)
from covet.limits import DEFAULT_LIMITS, Limits
from covet.middleware.errors import ErrorMiddleware, ExceptionHandler, ExceptionHandlers, HandlerKey
from covet.openapi.config import UNSET, OpenAPIConfig, _Unset
from covet.params import Depends
from covet.requests import Request
from covet.responses import HTMLResponse, JSONResponse, Response
from covet.routing.endpoint import PLAIN_RESPONSES, RESPONSE_STARTED, send_direct_result
from covet.routing.router import Router
from covet.routing.routes import BaseRoute, MiddlewareSpec, Route
from covet.routing.shortcuts import MethodShortcuts
from covet.types import ASGIApp, Message, Receive, Scope, Send

_F = TypeVar("_F", bound=Callable[..., Any])


class CovetPy(MethodShortcuts):
    """An ASGI application.

    Args:
        debug: Show tracebacks in 500 responses. Never enable in production.
        lifespan: ``lifespan(app)`` returning an async context manager; what it yields
            (a mapping or a dataclass) becomes ``request.state``. A sequence of them
            (``[db.lifespan, store.lifespan]``) is entered in order and exited in reverse.
        on_startup: Callables run at start-up, before ``lifespan`` is entered.
        on_shutdown: Callables run at shutdown, after ``lifespan`` has exited.
        middleware: ``(cls, options)`` pairs, outermost first.
        exception_handlers: Handlers by exception class or status code.
        limits: Request parsing limits (body size, JSON depth, form fields, ...).
        redirect_slashes: Redirect to the other form of a trailing slash when only it
            exists (307, method kept, ``Location`` path-only).
        root_path: Path prefix this app is served under (when the server does not set it).
        threadpool_size: Worker threads for sync handlers (process-wide).
        dependencies: ``Depends(...)`` run before every handler, for their effect.
        error_format: How client errors (4xx) look: RFC 9457 problem details, with an
            ``errors`` list for 422 (default), or, for migrating clients, FastAPI's
            ``{"detail": "..."}`` and ``{"detail": [{"loc", "msg", "type"}]}`` for 422.
        openapi_config: The OpenAPI document's info and the docs pages' URLs, as one
            :class:`~covet.openapi.OpenAPIConfig`. The keywords ``title``, ``version``,
            ``summary``, ``description``, ``terms_of_service``, ``contact``, ``license_info``,
            ``openapi_tags``, ``servers``, ``openapi_url`` (``None``: no document, no docs
            pages), ``docs_url``, ``redoc_url``, ``docs_assets_url``, ``serve_docs_assets``,
            ``swagger_ui_parameters`` and ``generate_unique_id_function`` are shortcuts that
            build one (FastAPI's keywords); passing both is a ``ConfigurationError``.
        default_response_class: The class non-Response results are sent as on routes that
            set no ``response_class`` (``HTMLResponse``...; JSON by default).
        responses: Extra OpenAPI responses for every route (a route's own win).
        deprecated: Mark every route deprecated in the OpenAPI document.
        include_in_schema: ``False`` leaves every route out of the OpenAPI document.
        signature_namespace: Names the string annotations of every handler (and of its
            dependencies) may use beyond their modules' globals and the locals where they
            were decorated, e.g. types imported only under ``TYPE_CHECKING``.

    Attributes:
        shutting_down: Set when the server starts shutting the app down, before the
            lifespans exit: ``if request.app.shutting_down:`` or
            ``await request.app.shutting_down`` (see :class:`~covet.lifespan.ShutdownSignal`).
        started: ``True`` from the end of the lifespan's start-up until its shutdown begins
            (what a readiness probe waits for, see :class:`covet.observability.HealthCheck`).
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        lifespan: LifespanFactory | Sequence[LifespanFactory] | None = None,
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        middleware: Sequence[MiddlewareSpec] = (),
        exception_handlers: Mapping[HandlerKey, ExceptionHandler] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        redirect_slashes: bool = True,
        root_path: str = "",
        threadpool_size: int | None = None,
        error_format: Literal["problem", "fastapi"] = "problem",
        dependencies: Sequence[Depends] = (),
        openapi_config: OpenAPIConfig | None = None,
        title: str | _Unset = UNSET,
        version: str | _Unset = UNSET,
        summary: str | _Unset | None = UNSET,
        description: str | _Unset | None = UNSET,
        terms_of_service: str | _Unset | None = UNSET,
        contact: Mapping[str, Any] | _Unset | None = UNSET,
        license_info: Mapping[str, Any] | _Unset | None = UNSET,
        openapi_tags: Sequence[Mapping[str, Any]] | _Unset | None = UNSET,
        servers: Sequence[Mapping[str, Any]] | _Unset = UNSET,
        openapi_url: str | _Unset | None = UNSET,
        docs_url: str | _Unset | None = UNSET,
        redoc_url: str | _Unset | None = UNSET,
        docs_assets_url: str | _Unset = UNSET,
        serve_docs_assets: bool | _Unset | None = UNSET,
        swagger_ui_parameters: Mapping[str, Any] | _Unset | None = UNSET,
        generate_unique_id_function: Callable[[Any], str] | _Unset | None = UNSET,
        default_response_class: type[Response] | None = None,
        responses: Mapping[int | str, Any] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        signature_namespace: Mapping[str, Any] | None = None,
    ) -> None:
        shortcuts = {name: value for name, value in locals().items() if name in _OPENAPI_KEYWORDS}
        self.openapi_config = _openapi_config(openapi_config, shortcuts)
        if not isinstance(limits, Limits):
            raise ConfigurationError("limits must be a covet.Limits instance.")
        self.debug = debug
        if error_format not in ("problem", "fastapi"):
            raise ConfigurationError(
                f"error_format must be 'problem' or 'fastapi', not {error_format!r}"
            )
        self.error_format = error_format
        self.dependencies = list(dependencies)
        self.app_dependencies = AppScope(self)
        self.limits = limits
        self.root_path = root_path.rstrip("/")
        self.state = State()
        self.router = Router(
            lifespan=lifespan,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            redirect_slashes=redirect_slashes,
            default_response_class=default_response_class,
            responses=responses,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            signature_namespace=signature_namespace,
            generate_unique_id_function=self.openapi_config.generate_unique_id_function,
        )
        self.router.on_invalidate(self._forget_build)
        self.router.on_routes_changed(self._forget_openapi)
        self._overrides = DependencyOverrides(self.invalidate)
        self.exception_handlers = ExceptionHandlers(exception_handlers)
        self.user_middleware: list[MiddlewareSpec] = list(middleware)
        self._mounted_apps: list[CovetPy] = []
        self._stack: ASGIApp | None = None
        # The lifespans of the built app middleware (stores they open and close).
        self._middleware_lifespans: list[LifespanFactory] = []
        self._inline_errors: ErrorMiddleware | None = None
        self._lifespan_state: dict[str, Any] | None = None
        self.shutting_down = ShutdownSignal()
        self.started = False
        self._needs_scope_fixup = bool(self.root_path)
        self._openapi_served = False
        # The cached document (FastAPI's name); None until openapi() makes it.
        self.openapi_schema: dict[str, Any] | None = None
        if threadpool_size is not None:
            configure_threadpool(threadpool_size)

    @property
    def dependency_overrides(self) -> DependencyOverrides:
        """Dependencies to replace, e.g. in tests: ``{original: replacement}``.

        Every change (``[]=``, ``update``, ``pop``, ``clear``, ...) and assigning a new
        mapping (``app.dependency_overrides = {}``, FastAPI's documented reset) take effect
        from the next request on.
        """
        return self._overrides

    @dependency_overrides.setter
    def dependency_overrides(
        self, overrides: Mapping[Callable[..., Any], Callable[..., Any]]
    ) -> None:
        self._overrides = DependencyOverrides(self.invalidate, overrides)
        self.invalidate()

    # -- routes ---------------------------------------------------------------------------

    @property
    def routes(self) -> list[Any]:
        """Every route registered by the application's code, in registration order."""
        return [route for route in self.router.routes if not route.system]

    def route(
        self, path: str, *, methods: Iterable[str] = ("GET",), **kwargs: Any
    ) -> Callable[[_F], _F]:
        """Register a handler for ``methods`` on ``path``.

        Takes the options of :meth:`Router.route <covet.routing.Router.route>`:
        ``status_code``, ``response_model``, ``tags``, ``dependencies``, ``summary``,
        ``description``, ``response_description``, ``responses``, ``operation_id``,
        ``deprecated``, ``name``, ``middleware``, ``include_in_schema``, ``max_body_size``,
        ``opt`` (per-route settings middleware read from ``scope["route"].opt``),
        ``response_model_include``, ``response_model_exclude``, ``response_model_exclude_unset``,
        ``response_model_exclude_none``, ``response_model_by_alias``, ``response_class``,
        ``openapi_extra``, ``generate_unique_id_function``.
        """
        return self.router.route(path, methods=methods, **kwargs)

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Iterable[str] = ("GET",),
        **kwargs: Any,
    ) -> None:
        """Register ``endpoint`` on ``path`` without a decorator, as FastAPI's method does.

        Takes the options of :meth:`route`.
        """
        self.router.add_api_route(path, endpoint, methods=methods, **kwargs)

    def add_api_websocket_route(
        self, path: str, endpoint: Callable[..., Any], **kwargs: Any
    ) -> None:
        """Register a WebSocket ``endpoint`` on ``path`` without a decorator."""
        self.router.add_api_websocket_route(path, endpoint, **kwargs)

    def remove_route(self, route: BaseRoute | str) -> BaseRoute:
        """Unregister a route, by object or by its unique name; also while serving.

        Routes can be added while serving too (``add_api_route``, the decorators): the
        router builds its new table aside and swaps it in, so no request sees a half-built
        one (see :meth:`covet.routing.Router.add_route`). The OpenAPI document follows.
        """
        return self.router.remove_route(route)

    def websocket(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a WebSocket handler."""
        return self.router.websocket(path, **kwargs)

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
        generate_unique_id_function: Callable[[Any], str] | None = None,
    ) -> None:
        """Add a router's routes (with an extra prefix, tags, middleware, dependencies, opt).

        The other options are :meth:`Router.include_router
        <covet.routing.Router.include_router>`'s, as in FastAPI.
        """
        self.router.include_router(
            router,
            prefix=prefix,
            tags=tags,
            middleware=middleware,
            dependencies=dependencies,
            opt=opt,
            default_response_class=default_response_class,
            responses=responses,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
        )

    def mount(
        self,
        path: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        opt: Mapping[str, Any] | None = None,
    ) -> None:
        """Serve an ASGI app under ``path``; a mounted CovetPy app's lifespan runs with ours."""
        self.router.mount(path, app, name=name, opt=opt)
        if isinstance(app, CovetPy):
            self._mounted_apps.append(app)

    def url_path_for(self, name: str, /, **params: Any) -> str:
        """The path (with ``root_path``) of the route named ``name``."""
        return self.root_path + self.router.url_path_for(name, **params)

    # -- middleware and errors ------------------------------------------------------------

    def add_middleware(self, middleware: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the application in a pure ASGI middleware; the last added is outermost.

        A middleware object with a ``lifespan(app)`` method (a lifespan factory, e.g. one
        that opens and closes the store it uses) has it run by the app's lifespan, before
        the app's own lifespans enter and after they exit, outermost middleware first.
        """
        self.user_middleware.insert(0, (middleware, options))
        self.invalidate()

    def middleware(self, kind: str = "http") -> Callable[[_F], _F]:
        """Register ``async def mw(request, call_next)`` as HTTP middleware.

        Unlike Starlette's BaseHTTPMiddleware, streaming responses, background tasks,
        context variables and ``http.disconnect`` all keep working through it.
        """
        if kind != "http":
            raise ConfigurationError(f"Function middleware supports 'http' only, not {kind!r}.")

        from covet.middleware.functional import FunctionMiddleware

        def decorator(func: _F) -> _F:
            self.add_middleware(FunctionMiddleware, dispatch=func)
            return func

        return decorator

    def add_exception_handler(self, key: HandlerKey, handler: ExceptionHandler) -> None:
        """Handle an exception class (or HTTP status code) with ``handler(request, exc)``."""
        self.exception_handlers.add(key, handler)

    def exception_handler(self, key: HandlerKey) -> Callable[[_F], _F]:
        """Decorator form of :meth:`add_exception_handler`."""

        def decorator(func: _F) -> _F:
            self.add_exception_handler(key, func)
            return func

        return decorator

    # -- lifespan -------------------------------------------------------------------------

    def on_event(self, event: str) -> Callable[[_F], _F]:
        """Run the decorated function at ``"startup"`` or ``"shutdown"`` (deprecated).

        Accepted for code ported from FastAPI, with a ``DeprecationWarning``: a ``lifespan=``
        context manager does the same with set-up and tear-down side by side. Hooks run
        before the lifespans enter and after they exit.
        """
        return on_event_decorator(event, self.router.on_startup, self.router.on_shutdown)

    def _lifespan_factories(self) -> list[LifespanFactory]:
        # Middleware lifespans enter first and exit last: the stores they open are usable
        # by the app's own lifespans and hooks.
        factories: list[LifespanFactory] = list(self._middleware_lifespans)
        startup, shutdown = self.router.on_startup, self.router.on_shutdown
        if startup or shutdown:
            factories.append(lambda _app: hooks_context(startup, shutdown))
        factories.extend(self.router.lifespans)
        factories.extend(self._mounted_lifespan(sub) for sub in self._mounted_apps)
        return factories

    def _mounted_lifespan(self, sub: CovetPy) -> LifespanFactory:
        def enter(_app: Any) -> AbstractAsyncContextManager[None]:
            return sub.lifespan_context(
                self._lifespan_state if self._lifespan_state is not None else {}
            )

        return enter

    @asynccontextmanager
    async def lifespan_context(self, state: dict[str, Any]) -> AsyncIterator[None]:
        """Run every lifespan of this app, its routers and mounted apps, filling ``state``."""
        self._lifespan_state = state
        self.shutting_down.reset()
        try:
            self.build()
            async with run_all(self, self._lifespan_factories(), state), self._serving(state):
                yield
        finally:
            # After shutdown, requests get no stale state (and errors say the lifespan is off).
            self._lifespan_state = None
            self._needs_scope_fixup = bool(self.root_path)

    @asynccontextmanager
    async def _serving(self, state: dict[str, Any]) -> AsyncIterator[None]:
        # Requests need the state copied in only when a lifespan produced some.
        self._needs_scope_fixup = bool(self.root_path or state)
        # App-scoped dependencies close first, while what the lifespans set up still works.
        async with self.app_dependencies:
            # Created before serving, so a bad setting or an unreachable service stops
            # the start-up with its error instead of failing the first request.
            for route in self.router.routes:
                for node in getattr(route, "app_dependencies", ()):
                    await self.app_dependencies.get(node)
            self.started = True
            try:
                yield
            finally:
                # First thing on shutdown, before anything set up above is torn down.
                self.started = False
                self.signal_shutdown()

    def explain_missing_state(self) -> str:
        """Why lifespan state is missing, for error messages (empty unless it never ran)."""
        if self._lifespan_state is not None or not self._lifespan_factories():
            return ""
        return (
            "; this app has a lifespan, but it has not run, so the state it provides is "
            "missing: in tests, use 'with TestClient(app) as client:' (the with block runs "
            "the lifespan); under a server, keep its lifespan support on"
        )

    def signal_shutdown(self) -> None:
        """Set :attr:`shutting_down`, here and in mounted apps.

        The lifespan does it when the server's shutdown event arrives; ``covet run`` does it
        earlier, when the process is asked to stop, so handlers drain before uvicorn waits
        for their connections.
        """
        self.shutting_down.set()
        for sub in self._mounted_apps:
            sub.signal_shutdown()

    @asynccontextmanager
    async def container(self) -> AsyncIterator[Container]:
        """Resolve dependencies outside HTTP, e.g. in a script or a background job.

        App-scoped values are the app's own while its lifespan runs; outside a running
        lifespan the block owns them and tears them down when it exits, after its other
        dependencies.

        Example:
            ``async with app.container() as c: db = await c.resolve(get_db)``
        """
        async with self.app_dependencies, AsyncExitStack() as stack:
            yield Container(self, stack)

    def invalidate(self) -> None:
        """Mark the built app stale: routes, middleware stack and OpenAPI are rebuilt on next use.

        Registration methods and ``dependency_overrides`` call it themselves; call it after
        changing ``user_middleware`` or ``dependencies`` by hand.
        """
        self.router.invalidate()

    def _forget_openapi(self) -> None:
        self.openapi_schema = None

    def _forget_build(self) -> None:
        # Runs on every router.invalidate(), so a route added through ``app.router`` is
        # also planned with the app's limits, overrides and dependencies.
        self._stack = None
        self._inline_errors = None
        self.openapi_schema = None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of this app, generated on first use and cached.

        Changing routes, middleware or dependency overrides regenerates it on the next call.
        As in FastAPI, assigning ``app.openapi = custom_openapi`` replaces it, for the served
        document too (see :func:`covet.openapi.get_openapi`).
        """
        self.build()
        if self.openapi_schema is None:
            from covet.openapi import openapi_document

            self.openapi_schema = openapi_document(self)
        return self.openapi_schema

    @property
    def title(self) -> str:
        """The API's title (``openapi_config.title``)."""
        return self.openapi_config.title

    @property
    def version(self) -> str:
        """The API's version (``openapi_config.version``)."""
        return self.openapi_config.version

    @property
    def openapi_url(self) -> str | None:
        """Where the OpenAPI document is served (``openapi_config.openapi_url``)."""
        return self.openapi_config.openapi_url

    @property
    def docs_url(self) -> str | None:
        """Where the Swagger UI page is served (``openapi_config.docs_url``)."""
        return self.openapi_config.docs_url

    @property
    def redoc_url(self) -> str | None:
        """Where the ReDoc page is served (``openapi_config.redoc_url``)."""
        return self.openapi_config.redoc_url

    def _add_openapi_route(self) -> None:
        config = self.openapi_config
        url = config.openapi_url
        if self._openapi_served or not url:
            return
        self._openapi_served = True
        internal: list[tuple[str | None, Callable[..., Any], str]] = [
            (url, _serve_openapi, "openapi"),
            (config.docs_url, _serve_swagger_ui, "swagger_ui"),
            (config.redoc_url, _serve_redoc, "redoc"),
        ]
        if config.serves_docs_assets:
            assets = config.docs_assets_url + "/{name}"
            internal.append((assets, _serve_docs_asset, "docs_asset"))
        for path, endpoint, name in internal:
            if path and self.router.match("GET", path) is None:  # a route of the app's own wins
                route = Route(path, endpoint, name=name, include_in_schema=False, system=True)
                self.router.add_route(route)

    # -- ASGI -----------------------------------------------------------------------------

    def build(self) -> ASGIApp:
        """Compile routes and the middleware stack (done once, before the first request)."""
        if self._stack is None:
            self._add_openapi_route()
            self.router.compile(self.limits, self.dependency_overrides, self.dependencies)
            app: ASGIApp = self.router
            self._middleware_lifespans = []
            if self.user_middleware:
                app = ErrorMiddleware(
                    app,
                    handlers=self.exception_handlers,
                    catch_all=False,
                    debug=self.debug,
                    error_format=self.error_format,
                )
                for factory, options in reversed(self.user_middleware):
                    app = factory(app, **options)
                    lifespan = getattr(app, "lifespan", None)
                    if callable(lifespan):
                        self._middleware_lifespans.insert(0, lifespan)
                app = ErrorMiddleware(app, handle_http=False, debug=self.debug)
                self._inline_errors = None
            else:
                app = self._inline_errors = ErrorMiddleware(
                    app,
                    handlers=self.exception_handlers,
                    debug=self.debug,
                    error_format=self.error_format,
                )
            self._stack = app
        return self._stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        errors = self._inline_errors
        if errors is not None and scope["type"] == "http":
            # PERF: with no user middleware the error handling runs inline, saving the
            # ErrorMiddleware call level on every request; behaviour is identical. It is
            # set only by build() and reset by every invalidation, so it implies a built app.
            if self._needs_scope_fixup:
                self._fix_scope(scope)
            router = self.router
            try:
                app = router.resolve(scope)
            except Exception as exc:
                await errors.recover(exc, False, scope, receive, send)
                return
            inline = router.inline_calls.get(app)
            if inline is not None:
                # PERF: a direct route's handler awaited here, without the runner's own
                # coroutine level; what follows is run_direct's body for a handler taking
                # nothing or only path values (tests/routing/test_inline_call.py).
                call, takes_path, serialize, status = inline
                try:
                    result = await (call(**scope["path_params"]) if takes_path else call())
                    if serialize is not None and not isinstance(result, Response):
                        result = serialize(result)
                    if type(result) in PLAIN_RESPONSES and result.status_code == 200:
                        scope[RESPONSE_STARTED] = True
                        await send(
                            {
                                "type": "http.response.start",
                                "status": 200,
                                "headers": result.raw_headers,
                            }
                        )
                        head = scope["method"] == "HEAD"
                        await send(
                            {"type": "http.response.body", "body": b"" if head else result.body}
                        )
                        if result.background is not None:
                            await result.background()
                    else:
                        await send_direct_result(result, status, scope, receive, send)
                except Exception as exc:
                    await errors.recover(exc, RESPONSE_STARTED in scope, scope, receive, send)
                return
            if app in router.self_reporting:
                # PERF: the runner records its response's start in the scope, so the
                # server's own send is passed on, with no wrapper called per message.
                try:
                    await app(scope, receive, send)
                except Exception as exc:
                    await errors.recover(exc, RESPONSE_STARTED in scope, scope, receive, send)
                return
            started = False

            def tracking_send(message: Message) -> Awaitable[None]:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                return send(message)

            try:
                await app(scope, receive, tracking_send)
            except Exception as exc:
                await errors.recover(exc, started, scope, receive, send)
            return
        if scope["type"] == "lifespan":
            await serve_lifespan(self._lifespan_manager, scope, receive, send)
            return
        # PERF: one attribute test covers the rare root_path/state fix-ups.
        if self._needs_scope_fixup:
            self._fix_scope(scope)
        await (self._stack or self.build())(scope, receive, send)

    def _fix_scope(self, scope: Scope) -> None:
        if self.root_path and not scope.get("root_path"):
            scope["root_path"] = self.root_path
        if self._lifespan_state and "state" not in scope:
            # Servers without lifespan-state support still give handlers the state.
            scope["state"] = dict(self._lifespan_state)

    def _lifespan_manager(self, state: dict[str, Any]) -> AbstractAsyncContextManager[None]:
        return self.lifespan_context(state)


async def _serve_openapi(request: Request) -> JSONResponse:
    """Serve ``app.openapi()`` (registered at ``openapi_url``), naming the root path as server."""
    from covet.openapi.generator import with_root_path

    document = request.app.openapi()
    return JSONResponse(with_root_path(document, request.scope.get("root_path", "")))


async def _serve_swagger_ui(request: Request) -> HTMLResponse:
    """Serve the Swagger UI page (registered at ``docs_url``)."""
    from covet.openapi.docs import get_swagger_ui_html

    config, root = request.app.openapi_config, request.scope.get("root_path", "")
    assets = root + config.docs_assets_url
    return get_swagger_ui_html(
        openapi_url=root + config.openapi_url,
        title=f"{config.title} - Docs",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_ui_parameters=config.swagger_ui_parameters,
    )


async def _serve_redoc(request: Request) -> HTMLResponse:
    """Serve the ReDoc page (registered at ``redoc_url``)."""
    from covet.openapi.docs import get_redoc_html

    config, root = request.app.openapi_config, request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=root + config.openapi_url,
        title=f"{config.title} - ReDoc",
        redoc_js_url=f"{root}{config.docs_assets_url}/redoc.standalone.js",
    )


async def _serve_docs_asset(name: str) -> Response:
    """Serve one packaged docs asset (registered at ``docs_assets_url/{name}``)."""
    from covet.openapi.ui import asset_response

    return asset_response(name)


_OPENAPI_KEYWORDS = frozenset(OpenAPIConfig.__dataclass_fields__)


def _openapi_config(config: OpenAPIConfig | None, keywords: dict[str, Any]) -> OpenAPIConfig:
    given = {name: value for name, value in keywords.items() if value is not UNSET}
    if config is None:
        return OpenAPIConfig(**given)
    if not isinstance(config, OpenAPIConfig):
        raise ConfigurationError(f"openapi_config must be an OpenAPIConfig, not {config!r}")
    if given:
        raise ConfigurationError(
            f"Pass openapi_config= or the keywords {sorted(given)}, not both: "
            "dataclasses.replace(config, ...) makes a changed copy."
        )
    return config
