"""Per-request resolution of a handler's (or a dependency's) planned arguments."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any

from covet._callables import CallKind, callable_name
from covet.background import BackgroundTasks
from covet.concurrency import run_in_threadpool
from covet.di.binding import bind
from covet.di.plan import Arguments, DependencyNode, PathValue, PlanEntry, Source
from covet.exceptions import ConfigurationError, CovetError
from covet.params import SecurityScopes
from covet.requests import HTTPConnection, Request
from covet.responses.base import Response
from covet.types import Message, Receive, Scope, Send
from covet.validation import RequestValidationError, ValidationError, ValidationIssue

# The value of a dependency not called because the request failed validation.
_UNAVAILABLE: Any = object()

# PERF: module globals, not ``Source.X`` attribute lookups, in the per-request code below.
_PATH_CONVERTED, _PATH_VALIDATED = Source.PATH_CONVERTED, Source.PATH_VALIDATED
_CONNECTION, _RESPONSE, _BACKGROUND = Source.CONNECTION, Source.RESPONSE, Source.BACKGROUND
_SECURITY_SCOPES = Source.SECURITY_SCOPES
_ASYNC, _SYNC, _ASYNC_GENERATOR = CallKind.ASYNC, CallKind.SYNC, CallKind.ASYNC_GENERATOR


class Resolution:
    """Everything one request's argument resolution shares: connection, tasks, cache, teardown."""

    __slots__ = (
        "_make",
        "cache",
        "connection",
        "early",
        "receive",
        "response",
        "scope",
        "send",
        "stack",
        "status",
        "tasks",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        make_connection: Callable[[Scope, Receive, Send], HTTPConnection],
        stack: AsyncExitStack | None = None,
        status: int = 200,
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self._make = make_connection
        self.connection: HTTPConnection | None = None
        self.tasks: BackgroundTasks | None = None
        self.response: Response | None = None
        self.cache: dict[Any, Any] = {}
        self.stack = stack
        self.status = status
        # Where dependencies torn down before the response register (set by the HTTP runner).
        self.early: AsyncExitStack | None = None

    def get_response(self) -> Response:
        """The response parameter handlers and dependencies set headers, cookies or status on.

        Its status starts as the route's; its headers are added to whatever the handler
        returns, a Response included.
        """
        if self.response is None:
            if self.scope.get("type") != "http":
                raise ConfigurationError(
                    "A Response parameter is only available to HTTP handlers and their "
                    "dependencies, not to WebSockets, app-scoped dependencies or the container."
                )
            response = Response(status_code=self.status)
            response.raw_headers = []
            self.response = response
        return self.response

    def get_connection(self) -> HTTPConnection:
        """The request (or WebSocket) object, built on first use."""
        if self.connection is None:
            self.connection = self._make(self.scope, self.receive, self.send)
        return self.connection

    def direct_arguments(self, plan: Sequence[PlanEntry]) -> dict[str, Any]:
        """Keyword arguments from the sources that need no awaiting (path, request, tasks)."""
        params = self.scope.get("path_params", {})
        kwargs: dict[str, Any] = {}
        for entry in plan:
            source = entry.source
            if source is _PATH_CONVERTED:
                kwargs[entry.name] = params[entry.name]
            elif source is _PATH_VALIDATED:
                kwargs[entry.name] = cast_path(params[entry.name], entry.path_value)
            elif source is _CONNECTION:
                kwargs[entry.name] = self.get_connection()
            elif source is _RESPONSE:
                kwargs[entry.name] = self.get_response()
            elif source is _BACKGROUND:
                if self.tasks is None:
                    self.tasks = BackgroundTasks()
                kwargs[entry.name] = self.tasks
            elif source is _SECURITY_SCOPES:
                kwargs[entry.name] = SecurityScopes(list(entry.scopes or ()))
        return kwargs

    async def arguments(
        self, plan: Arguments, effects: Sequence[DependencyNode] = ()
    ) -> dict[str, Any]:
        """Produce keyword arguments for one planned callable, after running ``effects``.

        Every dependency in the tree (``effects`` first, then those in ``plan``) and the
        callable's own parameters are bound before anything is refused, so one 422 lists
        every parameter issue. After the first issue no further dependency is called: only
        parameters are still checked. Anything a called dependency raises (an
        ``HTTPException``, or a ``RequestValidationError`` of its own) propagates at once.

        Raises:
            RequestValidationError: with the issues of every level, dependencies' first in
                plan order, each reported once.
        """
        issues: list[ValidationIssue] = []
        for node in effects:
            await self._solve(node, issues)
        kwargs = await self._gather(plan, issues)
        if issues:
            raise self._refusal(issues)
        return kwargs

    def _refusal(self, issues: list[ValidationIssue]) -> RequestValidationError:
        """One 422 for ``issues`` (deduplicated), carrying the JSON body if one was read."""
        request = self.connection
        body = request._json if isinstance(request, Request) and request._json_parsed else None
        return RequestValidationError(dict.fromkeys(issues), body=body)

    async def solve(self, node: DependencyNode) -> Any:
        """Run one dependency (once per request when cached; once per app when app-scoped).

        Raises:
            RequestValidationError: with every parameter issue in the dependency's tree.
        """
        return await self._refusing(self._solve, node)

    async def create(self, node: DependencyNode) -> Any:
        """Call the dependency with its resolved arguments, registering any teardown.

        Raises:
            RequestValidationError: with every parameter issue in the dependency's tree.
        """
        return await self._refusing(self._create, node)

    async def _refusing(
        self,
        step: Callable[[DependencyNode, list[ValidationIssue]], Awaitable[Any]],
        node: DependencyNode,
    ) -> Any:
        """Run ``step`` on ``node``; raise one 422 for the issues it collected, if any."""
        issues: list[ValidationIssue] = []
        value = await step(node, issues)
        if issues:
            raise self._refusal(issues)
        return value

    async def _gather(self, plan: Arguments, issues: list[ValidationIssue]) -> dict[str, Any]:
        """Keyword arguments for ``plan``, adding binding failures to ``issues``.

        The result is incomplete when ``issues`` is not empty; it must not be used then.
        """
        kwargs: dict[str, Any] = {}
        if plan.direct:
            try:
                kwargs = self.direct_arguments(plan.direct)
            except RequestValidationError as exc:  # a path value its annotation cannot take
                issues.extend(exc.issues)
        for name, node in plan.dependencies:
            kwargs[name] = await self._solve(node, issues)
        bound = plan.bound
        if bound:
            try:
                kwargs.update(await bind(bound, self.get_connection()))
            except RequestValidationError as exc:
                issues.extend(exc.issues)
        return kwargs

    async def _solve(self, node: DependencyNode, issues: list[ValidationIssue]) -> Any:
        if node.app_scoped:
            # App-scoped providers take no request data, so they cannot add issues; like any
            # dependency they are not called once the request is already refused.
            return _UNAVAILABLE if issues else await app_scope_of(self.scope).get(node)
        if node.use_cache and node.cache_key in self.cache:
            return self.cache[node.cache_key]
        return await self._create(node, issues)

    async def _create(self, node: DependencyNode, issues: list[ValidationIssue]) -> Any:
        kwargs = await self._gather(node.arguments, issues)
        if issues:
            # The request will get a 422: this dependency is not called, and its (missing)
            # value is not cached, so a shared one is bound again and its issues deduplicated.
            return _UNAVAILABLE
        kind = node.kind
        if kind is _ASYNC:
            value = await node.call(**kwargs)
        elif kind is _SYNC:
            value = await run_in_threadpool(node.call, **kwargs)
        elif self.stack is None:  # pragma: no cover - plans with generators always get a stack
            raise RuntimeError("Generator dependencies need a teardown stack.")
        else:
            stack = self.early if node.before_response and self.early is not None else self.stack
            if kind is _ASYNC_GENERATOR:
                manager = contextlib.asynccontextmanager(node.call)(**kwargs)
                value = await manager.__aenter__()
                stack.push_async_exit(_not_swallowing(node.call, manager.__aexit__))
            else:
                value = await self._enter_sync(node.call, kwargs, stack)
        if node.use_cache:
            self.cache[node.cache_key] = value
        return value

    async def _enter_sync(
        self, call: Callable[..., Any], kwargs: dict[str, Any], stack: AsyncExitStack
    ) -> Any:
        manager = contextlib.contextmanager(call)(**kwargs)
        value = await run_in_threadpool(manager.__enter__)

        async def leave(exc_type: Any, exc: Any, traceback: Any) -> bool | None:
            return await run_in_threadpool(manager.__exit__, exc_type, exc, traceback)

        stack.push_async_exit(_not_swallowing(call, leave))
        return value


class SwallowedExceptionError(CovetError, RuntimeError):
    """A yield dependency caught the handler's exception and did not re-raise it.

    The request cannot be answered as the handler meant, and nothing else would answer it:
    this error makes it a 500 (logged, naming the dependency) instead of no response at all.
    """


_Exit = Callable[[Any, Any, Any], Awaitable[bool | None]]


def _not_swallowing(call: Callable[..., Any], leave: _Exit) -> _Exit:
    """Tear a generator dependency down, refusing to let it suppress the exception."""

    async def leave_checked(exc_type: Any, exc: Any, traceback: Any) -> bool:
        if await leave(exc_type, exc, traceback) and exc is not None:
            raise SwallowedExceptionError(
                f"Dependency {callable_name(call)} caught {exc_type.__name__} ({exc}) from the "
                "handler and did not re-raise it, so the request has no response: re-raise it "
                "(a bare `raise` in the except block), or raise an HTTPException instead."
            ) from exc
        return False

    return leave_checked


class AppScope:
    """Values of ``Depends(..., scope="app")``: created once, torn down when no longer held.

    Held by the application's lifespan while it runs, and by each ``app.container()`` block;
    when the last holder lets go, the values are torn down in reverse order of creation. So
    a container inside a running lifespan shares the app's values and leaves them alone,
    while a container outside one (a script, a CLI command) owns them for its block. Values
    created with no holder (a TestClient used without ``with``) are torn down when the next
    holder lets go.
    """

    def __init__(self, owner: Any) -> None:
        self.owner = owner
        self.values: dict[Callable[..., Any], Any] = {}
        self.stack = AsyncExitStack()
        self.holders = 0
        self._locks: dict[Callable[..., Any], asyncio.Lock] = {}

    async def get(self, node: DependencyNode) -> Any:
        """Return the shared value, creating it on first use (once, even under concurrency)."""
        try:
            return self.values[node.call]
        except KeyError:
            pass
        lock = self._locks.setdefault(node.call, asyncio.Lock())
        async with lock:
            if node.call not in self.values:
                resolution = outside_request(self.owner, self.stack)
                self.values[node.call] = await resolution.create(node)
        return self.values[node.call]

    async def __aenter__(self) -> AppScope:
        self.holders += 1
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.holders -= 1
        if self.holders > 0:
            return
        stack, self.stack = self.stack, AsyncExitStack()
        self.values.clear()
        await stack.aclose()


def app_scope_of(scope: Scope) -> AppScope:
    """The application's :class:`AppScope` for a request (or a container)."""
    found = getattr(scope.get("app"), "app_dependencies", None)
    if found is None:
        raise RuntimeError("App-scoped dependencies need a CovetPy application.")
    app_scope: AppScope = found
    return app_scope


def outside_request(app: Any, stack: AsyncExitStack) -> Resolution:
    """A resolution with no request: for app-scoped dependencies and the DI container."""
    return Resolution({"type": "app", "app": app}, no_receive, no_send, _no_connection, stack)


async def no_receive() -> Message:
    """The ``receive`` of a resolution that serves no request."""
    raise RuntimeError("No request is being served here.")


async def no_send(message: Message) -> None:
    """The ``send`` of a resolution that serves no request."""
    raise RuntimeError("No request is being served here.")


def _no_connection(scope: Scope, receive: Receive, send: Send) -> HTTPConnection:
    raise ConfigurationError(
        "This dependency needs request data (Request, query, headers, body...), which is not "
        "available here: app-scoped dependencies and container.resolve() run outside a request."
    )


def cast_path(value: str, path_value: PathValue | None) -> Any:
    """A plain ``{name}`` segment validated by its annotation (``PATH_VALIDATED`` entries).

    Raises:
        RequestValidationError: the segment is not a value of the annotation.
    """
    assert path_value is not None  # planned with every PATH_VALIDATED entry
    try:
        return path_value.validate(value)
    except ValidationError as exc:  # located at ("path", name) by the validator
        raise RequestValidationError(exc.issues) from None
