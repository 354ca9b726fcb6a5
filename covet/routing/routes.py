"""Route declarations: HTTP routes, WebSocket routes and mounted ASGI applications."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from covet._callables import callable_name
from covet.exceptions import ConfigurationError
from covet.routing.patterns import PathTemplate, compile_path
from covet.types import ASGIApp

if TYPE_CHECKING:
    from covet.di.plan import Plan

MiddlewareSpec = tuple[Callable[..., ASGIApp], dict[str, Any]]
"""A middleware class (or factory) and the keyword options it is built with."""

_NO_METHODS: frozenset[str] = frozenset()


def frozen_opt(opt: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of a route's ``opt`` mapping (middleware read it, never change it)."""
    return MappingProxyType(dict(opt or {}))


class BaseRoute:
    """What HTTP and WebSocket routes share: a compiled path, a handler and middleware.

    After matching, the router stores the route in ``scope["route"]``, so middleware can
    read its identity: ``path`` (the template, e.g. ``/users/{user_id:int}``), ``name``,
    ``methods`` and ``opt``, the open mapping of per-route settings given as ``opt=``.
    """

    methods: frozenset[str] = _NO_METHODS

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        middleware: Sequence[MiddlewareSpec] = (),
        tags: Iterable[str] = (),
        include_in_schema: bool = True,
        options: dict[str, Any] | None = None,
        opt: Mapping[str, Any] | None = None,
        system: bool = False,
        slash_redirect: int | None = 307,
    ) -> None:
        self.path = path
        self.template: PathTemplate = compile_path(path)
        self.endpoint = endpoint
        self.name = (
            name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__)
        )
        self.middleware = list(middleware)
        self.tags = list(tags)
        self.include_in_schema = include_in_schema
        # Added by the framework itself (the OpenAPI document, the docs pages): not a user
        # route, so app-wide dependencies do not guard it and ``app.routes`` leaves it out.
        self.system = system
        # The status redirecting the other trailing-slash form of the path here (None: do
        # not): the declaring router's redirect_slashes/redirect_status, kept when included.
        self.slash_redirect = slash_redirect
        # Extra declaration options kept for subsystems that read routes (OpenAPI, ...).
        self.options = dict(options or {})
        # Open settings for middleware and subsystems (rate limits, auth, CSRF exemptions).
        self.opt = frozen_opt(opt)
        # Set when the application compiles its routes at start-up.
        self.app: ASGIApp | None = None
        # The Depends(..., scope="app") providers the handler needs at any depth, in order;
        # also set at compile time, so the lifespan can create them before serving.
        self.app_dependencies: list[Any] = []
        # Names for the string annotations of the handler and its dependencies beyond their
        # modules' globals: the locals where it was decorated, then signature_namespace=.
        self.namespace: dict[str, Any] = {}
        # The handler's plan (covet.di.plan.Plan), also set at compile time; read by OpenAPI.
        self.plan: Plan | None = None

    @property
    def handler_name(self) -> str:
        """``module.qualname`` of the handler, for error messages."""
        return callable_name(self.endpoint)

    def url_path_for(self, **params: Any) -> str:
        """Build this route's path for the given parameters."""
        return self.template.format(params)


class Route(BaseRoute):
    """An HTTP route.

    Args:
        path: Template such as ``/users/{user_id:int}``.
        endpoint: The handler (async or sync function).
        methods: Methods it answers; GET routes also answer HEAD.
        status_code: Status for non-Response return values (default 200).
        max_body_size: Override of the application's body size limit for this route.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Iterable[str] = ("GET",),
        status_code: int | None = None,
        max_body_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path, endpoint, **kwargs)
        normalized = {m.upper() for m in methods}
        if not normalized:
            raise ConfigurationError(f"Route {path!r} must answer at least one method.")
        for method in normalized:
            if not method.isascii() or not method.isalpha():
                raise ConfigurationError(f"Invalid HTTP method {method!r} for route {path!r}.")
        self.methods = frozenset(normalized)
        self.status_code = status_code
        if max_body_size is not None and (not isinstance(max_body_size, int) or max_body_size < 1):
            raise ConfigurationError(
                f"max_body_size of route {path!r} must be a positive integer, got {max_body_size!r}"
            )
        self.max_body_size = max_body_size

    def __repr__(self) -> str:
        return f"Route(path={self.path!r}, methods={sorted(self.methods)}, name={self.name!r})"


class WebSocketRoute(BaseRoute):
    """A WebSocket route."""

    def __repr__(self) -> str:
        return f"WebSocketRoute(path={self.path!r}, name={self.name!r})"


class Mount:
    """An ASGI application served under a path prefix.

    The mounted app sees ``root_path`` extended by the prefix and the full ``path``, as the
    ASGI spec describes, so it can route on ``path[len(root_path):]``. The mount is the
    parent's ``scope["route"]`` for the requests it serves (a mounted CovetPy app sets its
    own route in the scope it receives).
    """

    methods: frozenset[str] = _NO_METHODS

    def __init__(
        self,
        path: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        opt: Mapping[str, Any] | None = None,
    ) -> None:
        if not path.startswith("/") or "{" in path:
            raise ConfigurationError(
                f"Mount path {path!r} must be a static path starting with '/'."
            )
        self.path = path.rstrip("/")
        self.app = app
        self.name = name
        self.opt = frozen_opt(opt)

    def matches(self, path: str) -> bool:
        """Whether ``path`` is the prefix itself or lies under it."""
        prefix = self.path
        return path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/")

    def __repr__(self) -> str:
        return f"Mount(path={self.path!r}, app={self.app!r})"
