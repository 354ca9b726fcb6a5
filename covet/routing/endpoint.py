"""Turn a handler into an ASGI callable that executes its start-up plan.

Handlers that take nothing, or only path parameters that need no conversion, get a
dedicated fast path, as do those taking only a JSON body (:mod:`.json_body`) or only query
parameters (:mod:`.query_params`); everything else goes through a :class:`Resolution`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

from covet._callables import call_kind, is_async_callable
from covet.concurrency import run_in_threadpool
from covet.di.plan import (
    Arguments,
    ConnectionKind,
    DependencyNode,
    Plan,
    PlanContext,
    Source,
)
from covet.di.planner import Overrides, plan_handler
from covet.di.resolution import Resolution
from covet.exceptions import ConfigurationError
from covet.limits import Limits
from covet.params import Depends
from covet.requests import Request
from covet.responses.base import HTMLResponse, JSONResponse, PlainTextResponse, Response
from covet.routing.convertors import StringConvertor
from covet.routing.json_body import compile_json_body
from covet.routing.query_params import compile_query, takes_only_query
from covet.routing.response_model import plan_response
from covet.routing.results import Serializer, response_messages, send_result, with_response_class
from covet.routing.routes import BaseRoute, Route, WebSocketRoute
from covet.routing.streams import stream_call
from covet.types import ASGIApp, Message, Receive, Scope, Send
from covet.websockets import WebSocket

RESPONSE_STARTED = "covet.response_started"
"""Scope key a self-reporting runner sets just before it sends ``http.response.start``."""
_SELF_REPORTING: WeakSet[Callable[..., Any]] = WeakSet()
InlineCall = tuple[Callable[..., Awaitable[Any]], bool, "Serializer | None", int]
"""A direct runner's handler call, whether it takes the path values, serializer and status."""
_INLINE: WeakKeyDictionary[Callable[..., Any], InlineCall] = WeakKeyDictionary()
PLAIN_RESPONSES = frozenset({Response, PlainTextResponse, HTMLResponse, JSONResponse})
"""Response classes sent by the base ``Response.__call__``, whose messages are built inline."""


def reports_start(app: ASGIApp) -> bool:
    """Whether ``app`` sets :data:`RESPONSE_STARTED` in the scope when its response starts.

    The application's inline error handling then needs no wrapper around ``send`` to learn
    whether an exception came before or after the response started.
    """
    return app in _SELF_REPORTING


def compile_http(
    route: Route,
    limits: Limits,
    overrides: Overrides | None = None,
    dependencies: Sequence[Depends] = (),
) -> ASGIApp:
    """Build the ASGI callable that runs ``route``'s handler and sends its result.

    Args:
        route: The route to compile.
        limits: The application's parsing limits (a route's ``max_body_size`` wins).
        overrides: ``app.dependency_overrides``: dependencies to replace, e.g. in tests.
        dependencies: Dependencies run for their effect before the handler (app, router
            and route ``dependencies=``).
    """
    if route.max_body_size is not None:
        limits = limits.replace(max_body_size=route.max_body_size)
    handler = route.endpoint
    plan = plan_route(route, overrides, dependencies)
    serialize: Serializer | None = None
    call: Callable[..., Awaitable[Any]]
    if call_kind(handler).is_generator:
        call = stream_call(route)  # returns the response streaming what the handler yields
    else:
        call = handler if is_async_callable(handler) else _threaded(handler)
        serialize = with_response_class(
            plan_response(route), route.options.get("response_class"), route.status_code
        )
    status = route.status_code or 200
    entries = plan.entries
    sources = {entry.source for entry in entries}
    if plan.effects:
        sources.add(Source.DEPENDENCY)

    path_entries = [entry.name for entry in entries if entry.source is Source.PATH_CONVERTED]
    request_names = [entry.name for entry in entries if entry.source is Source.CONNECTION]
    takes_path = bool(path_entries)
    if (
        sources <= {Source.PATH_CONVERTED, Source.CONNECTION}
        and len(path_entries) == len(route.template.convertors)
        and len(request_names) <= 1
    ):
        # PERF: no per-request binding at all; the handler's coroutine is awaited here and
        # its result sent from here, so exactly one coroutine sits between router and send.
        request_name = request_names[0] if request_names else None

        async def run_direct(scope: Scope, receive: Receive, send: Send) -> None:
            request = None
            try:
                if request_name is None:
                    result = await (call(**scope["path_params"]) if takes_path else call())
                else:
                    request = Request(scope, receive, limits)
                    kwargs = {**scope["path_params"]} if takes_path else {}
                    kwargs[request_name] = request
                    result = await call(**kwargs)
                if serialize is not None and not isinstance(result, Response):
                    result = serialize(result)
                if type(result) in PLAIN_RESPONSES and result.status_code == 200:
                    # PERF: what response_messages() would build, without its call and tuple.
                    scope[RESPONSE_STARTED] = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": result.raw_headers,
                        }
                    )
                    head = scope["method"] == "HEAD"
                    await send({"type": "http.response.body", "body": b"" if head else result.body})
                    if result.background is not None:
                        await result.background()
                    return
                await send_direct_result(result, status, scope, receive, send)
            finally:
                if request is not None and request._form is not None:
                    await request.close()

        _SELF_REPORTING.add(run_direct)
        if request_name is None:
            _INLINE[run_direct] = (call, takes_path, serialize, status)
        return run_direct

    bound = [entry.parameter for entry in entries if entry.parameter is not None]
    if (
        sources <= {Source.PATH_CONVERTED, Source.BODY}
        and len(path_entries) == len(route.template.convertors)
        and len(bound) == 1
        and bound[0].source is Source.BODY
    ):
        return compile_json_body(call, serialize, status, bound[0], takes_path, limits)
    if not plan.effects and takes_only_query(entries):
        return compile_query(call, serialize, status, entries, limits)

    def make_request(scope: Scope, receive: Receive, send: Send) -> Request:
        return Request(scope, receive, limits)

    handler_plan = entries
    handler_arguments = Arguments.of(entries)
    side_effects = plan.effects
    needs_stack = plan.needs_teardown
    tears_down_early = plan.tears_down_early
    simple = not side_effects and all(
        entry.parameter is None and entry.dependency is None for entry in entries
    )

    async def run_planned(scope: Scope, receive: Receive, send: Send) -> None:
        stack = AsyncExitStack() if needs_stack else None
        resolution = Resolution(scope, receive, send, make_request, stack, status)
        if tears_down_early:
            resolution.early = AsyncExitStack()
        try:
            if simple:
                # PERF: only path values, the request and background tasks: no awaits needed
                # to gather them, and no extra coroutine level.
                result = await call(**resolution.direct_arguments(handler_plan))
                await send_result(
                    result, status, scope, receive, send, serialize, resolution.response
                )
            elif stack is not None:
                # Generator dependencies are torn down after the response (or the error).
                async with stack:
                    await _respond(
                        resolution, side_effects, handler_arguments, call, status, serialize
                    )
            else:
                await _respond(resolution, side_effects, handler_arguments, call, status, serialize)
        finally:
            request = resolution.connection
            if isinstance(request, Request) and request._form is not None:
                await request.close()
        if resolution.tasks is not None:
            await resolution.tasks()

    return run_planned


async def send_direct_result(
    result: Any, status: int, scope: Scope, receive: Receive, send: Send
) -> None:
    """Send a direct route's (serialised) ``result``, reporting its start in the scope.

    The tail of :func:`compile_http`'s direct runner, shared with the application's inlined
    call of the simplest routes (:func:`inline_call`) for every result that is not a plain
    200 response.
    """
    messages = response_messages(result, status, scope["method"])
    if messages is None:
        await result(scope, receive, _reporting_send(scope, send))
        return
    start, body, background = messages
    # Set before the send, as a wrapper around send would: a failing send of the start
    # counts as started.
    scope[RESPONSE_STARTED] = True
    await send(start)
    await send(body)
    if background is not None:
        await background()


def inline_call(app: ASGIApp) -> InlineCall | None:
    """What the application needs to run ``app``, a direct runner, without its coroutine.

    Only for handlers that take nothing or only path values (no request): the application
    then awaits ``call`` itself, serialises its result with ``serialize`` (when not None and
    the result is no Response), sends a plain 200 response's two messages and passes any
    other result to :func:`send_direct_result` with ``status`` — exactly what the runner does.
    """
    return _INLINE.get(app)


def _reporting_send(scope: Scope, send: Send) -> Send:
    """``send`` that sets :data:`RESPONSE_STARTED` in ``scope`` when the response starts."""

    def reporting_send(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            scope[RESPONSE_STARTED] = True
        return send(message)

    return reporting_send


async def _respond(
    resolution: Resolution,
    side_effects: list[DependencyNode],
    plan: Arguments,
    call: Callable[..., Awaitable[Any]],
    status: int,
    serialize: Serializer | None,
) -> None:
    # Side effects and the handler's arguments are resolved together, so one 422 lists the
    # parameter issues of every dependency and of the handler.
    early = resolution.early
    if early is None:
        result = await call(**await resolution.arguments(plan, side_effects))
    else:
        # Dependencies with scope="function" are torn down here, before anything is sent:
        # an error they raise (a failed commit) is the response.
        async with early:
            result = await call(**await resolution.arguments(plan, side_effects))
    scope, receive, send = resolution.scope, resolution.receive, resolution.send
    await send_result(result, status, scope, receive, send, serialize, resolution.response)


def plan_context(route: BaseRoute) -> PlanContext:
    """What ``route``'s handler and dependencies are planned against."""
    convertors = route.template.convertors
    return PlanContext(
        name=f"route {route.path!r}",
        path_params=frozenset(convertors),
        text_path_params=frozenset(
            name for name, convertor in convertors.items() if isinstance(convertor, StringConvertor)
        ),
        connection=(
            ConnectionKind.WEBSOCKET if isinstance(route, WebSocketRoute) else ConnectionKind.HTTP
        ),
        owner=route.endpoint,
        namespace=route.namespace,
    )


def plan_route(
    route: BaseRoute, overrides: Overrides | None = None, dependencies: Sequence[Depends] = ()
) -> Plan:
    """Plan ``route``'s handler once and store the plan on the route (``route.plan``).

    Args:
        route: The route to plan.
        overrides: ``app.dependency_overrides``.
        dependencies: The app's ``dependencies=``, run before the route's own.
    """
    declared = [*dependencies, *route.options.get("dependencies", ())]
    plan = plan_handler(plan_context(route), route.endpoint, overrides, declared)
    route.plan = plan
    route.app_dependencies = plan.app_scoped()
    return plan


def compile_websocket(
    route: WebSocketRoute,
    overrides: Overrides | None = None,
    dependencies: Sequence[Depends] = (),
) -> ASGIApp:
    """Build the ASGI callable that runs a WebSocket handler."""
    plan = plan_route(route, overrides, dependencies)
    handler = route.endpoint
    if not is_async_callable(handler):
        raise ConfigurationError(f"WebSocket handler {route.handler_name} must be async.")
    handler_arguments = Arguments.of(plan.entries)
    side_effects = plan.effects

    async def run_websocket(scope: Scope, receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as stack:
            resolution = Resolution(scope, receive, send, WebSocket, stack)
            for node in side_effects:
                await resolution.solve(node)
            await handler(**await resolution.arguments(handler_arguments))
        if resolution.tasks is not None:
            await resolution.tasks()

    return run_websocket


def _threaded(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call_in_thread(**kwargs: Any) -> Any:
        return await run_in_threadpool(func, **kwargs)

    return call_in_thread
