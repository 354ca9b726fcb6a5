"""Turn a handler into an ASGI callable that executes its start-up plan.

Handlers that take nothing, or only path parameters that need no conversion, get a
dedicated fast path; everything else goes through a :class:`Resolution`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any

from covet._types import ASGIApp, Receive, Scope, Send
from covet.concurrency import run_in_threadpool
from covet.exceptions import ConfigurationError
from covet.limits import Limits
from covet.params import Depends
from covet.requests import Request
from covet.responses.base import Response
from covet.routing.json_body import compile_json_body
from covet.routing.planning import Overrides, plan_arguments, plan_dependency, plan_response
from covet.routing.resolver import (
    BOUND,
    CONNECTION,
    DEPENDS,
    PATH,
    PlanEntry,
    Resolution,
    app_scoped_nodes,
    uses_generators,
)
from covet.routing.results import Serializer, response_messages, send_result
from covet.routing.routes import Route, WebSocketRoute
from covet.websockets import WebSocket


def _is_async_callable(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - async callable instances
    )


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
    plan = _with_dependencies(
        route, plan_arguments(route, overrides=overrides), overrides, dependencies
    )
    route.app_dependencies = app_scoped_nodes(plan)
    call = handler if _is_async_callable(handler) else _threaded(handler)
    serialize = plan_response(route)
    status = route.status_code or 200
    sources = {source for _, source, _ in plan}

    path_entries = [name for name, source, _ in plan if source == PATH]
    request_names = [name for name, source, _ in plan if source == CONNECTION]
    takes_path = bool(path_entries)
    if (
        sources <= {PATH, CONNECTION}
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
                messages = response_messages(result, status, scope["method"])
                if messages is None:
                    await result(scope, receive, send)
                    return
                start, body, background = messages
                await send(start)
                await send(body)
                if background is not None:
                    await background()
            finally:
                if request is not None and request._form is not None:
                    await request.close()

        return run_direct

    bound = [spec for _, source, spec in plan if source == BOUND]
    if (
        sources <= {PATH, BOUND}
        and len(path_entries) == len(route.template.convertors)
        and len(bound) == 1
        and bound[0].source == "body"
    ):
        return compile_json_body(call, serialize, status, bound[0], takes_path, limits)

    def make_request(scope: Scope, receive: Receive, send: Send) -> Request:
        return Request(scope, receive, limits)

    handler_plan = [entry for entry in plan if entry[0] is not None]
    side_effects = [entry for entry in plan if entry[0] is None]
    needs_stack = uses_generators(plan)
    simple = not side_effects and all(source not in (BOUND, DEPENDS) for _, source, _ in plan)

    async def run_planned(scope: Scope, receive: Receive, send: Send) -> None:
        stack = AsyncExitStack() if needs_stack else None
        resolution = Resolution(scope, receive, send, make_request, stack, status)
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
                    await _respond(resolution, side_effects, handler_plan, call, status, serialize)
            else:
                await _respond(resolution, side_effects, handler_plan, call, status, serialize)
        finally:
            request = resolution.connection
            if isinstance(request, Request) and request._form is not None:
                await request.close()
        if resolution.tasks is not None:
            await resolution.tasks()

    return run_planned


async def _respond(
    resolution: Resolution,
    side_effects: list[PlanEntry],
    plan: list[PlanEntry],
    call: Callable[..., Awaitable[Any]],
    status: int,
    serialize: Serializer | None,
) -> None:
    # Side effects and the handler's arguments are resolved together, so one 422 lists the
    # parameter issues of every dependency and of the handler.
    result = await call(**await resolution.arguments(plan, side_effects))
    scope, receive, send = resolution.scope, resolution.receive, resolution.send
    await send_result(result, status, scope, receive, send, serialize, resolution.response)


def _with_dependencies(
    route: Route | WebSocketRoute,
    plan: list[PlanEntry],
    overrides: Overrides | None,
    dependencies: Sequence[Depends],
) -> list[PlanEntry]:
    declared = [*dependencies, *route.options.get("dependencies", ())]
    for depends in declared:
        if not isinstance(depends, Depends):
            raise ConfigurationError(
                f"dependencies= of route {route.path!r} must hold Depends(...), got {depends!r}"
            )
    # Side-effect dependencies have no parameter name: they run first, in order.
    extra: list[PlanEntry] = [
        (None, DEPENDS, plan_dependency(route, depends, overrides, ()))  # type: ignore[misc]
        for depends in declared
    ]
    return [*extra, *plan]


def compile_websocket(
    route: WebSocketRoute,
    overrides: Overrides | None = None,
    dependencies: Sequence[Depends] = (),
) -> ASGIApp:
    """Build the ASGI callable that runs a WebSocket handler."""
    plan = _with_dependencies(
        route, plan_arguments(route, overrides=overrides), overrides, dependencies
    )
    route.app_dependencies = app_scoped_nodes(plan)
    handler = route.endpoint
    if not _is_async_callable(handler):
        raise ConfigurationError(f"WebSocket handler {route.handler_name} must be async.")
    handler_plan = [entry for entry in plan if entry[0] is not None]
    side_effects = [entry for entry in plan if entry[0] is None]

    async def run_websocket(scope: Scope, receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as stack:
            resolution = Resolution(scope, receive, send, WebSocket, stack)
            for _, _, node in side_effects:
                await resolution.solve(node)
            await handler(**await resolution.arguments(handler_plan))
        if resolution.tasks is not None:
            await resolution.tasks()

    return run_websocket


def _threaded(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call_in_thread(**kwargs: Any) -> Any:
        return await run_in_threadpool(func, **kwargs)

    return call_in_thread
