"""Turn a handler into an ASGI callable, planning its arguments once at start-up.

The plan is computed from the handler's signature when the application starts; the
request path only executes it. Handlers that take nothing, or only path parameters that
need no conversion, get dedicated fast paths.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from covet import _json
from covet._types import ASGIApp, Message, Receive, Scope, Send
from covet.background import BackgroundTask, BackgroundTasks
from covet.concurrency import run_in_threadpool
from covet.exceptions import ConfigurationError, HTTPException
from covet.limits import Limits
from covet.params import REQUIRED, Param
from covet.requests import HTTPConnection, Request
from covet.responses.base import _NO_BODY_STATUS, Response
from covet.routing.binding import (
    BoundParameter,
    bind,
    is_many,
    is_scalar,
    marker_of,
    plan_parameter,
)
from covet.routing.convertors import StringConvertor
from covet.routing.routes import BaseRoute, Route, WebSocketRoute
from covet.websockets import WebSocket

_JSON_HEADER = (b"content-type", b"application/json")

# Annotations a plain ``{name}`` parameter is converted to (422 when it does not parse).
_PATH_CASTS: dict[Any, Callable[[str], Any]] = {
    int: int,
    float: float,
    uuid.UUID: uuid.UUID,
    Decimal: Decimal,
}


def _is_async_callable(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - async callable instances
    )


def _resolve_hints(route: BaseRoute) -> tuple[inspect.Signature, dict[str, Any]]:
    """Resolve the annotations of the handler's parameters (not its return type).

    Each parameter is resolved on its own, so an unresolvable return annotation or an
    unrelated parameter does not break the route; the error names the parameter.
    """
    handler = route.endpoint
    try:
        signature = inspect.signature(handler, eval_str=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Cannot inspect handler {route.handler_name}: {exc}") from exc
    target: Any = inspect.unwrap(
        handler if inspect.isroutine(handler) else getattr(handler, "__call__", handler)  # noqa: B004
    )
    namespace: dict[str, Any] = dict(getattr(target, "__globals__", {}))
    try:
        namespace.update(inspect.getclosurevars(target).nonlocals)
    except TypeError:
        pass
    hints: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # as typing.get_type_hints does
            except Exception as exc:
                raise ConfigurationError(
                    f"Cannot resolve the annotation {annotation!r} of parameter {name!r} of "
                    f"handler {route.handler_name} (route {route.path!r}): {exc}. Import the "
                    "type at module level."
                ) from exc
        hints[name] = annotation
    return signature, hints


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _is_subclass(annotation: Any, base: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, base)


# Argument sources, in the order a plan lists them.
_PATH = "path"
_PATH_CAST = "path_cast"
_CONNECTION = "connection"
_BACKGROUND = "background"
_BOUND = "bound"


def plan_arguments(route: BaseRoute) -> list[tuple[str, str, Any]]:
    """Decide, for each handler parameter, where its value comes from.

    Raises:
        ConfigurationError: naming the handler and parameter when one cannot be bound.
    """
    signature, hints = _resolve_hints(route)
    convertors = route.template.convertors
    is_websocket = isinstance(route, WebSocketRoute)
    plan: list[tuple[str, str, Any]] = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        declared = hints.get(name, parameter.annotation)
        default = REQUIRED if parameter.default is parameter.empty else parameter.default
        declared, marker, default = marker_of(declared, default)
        annotation = _strip_annotated(declared)
        if _is_subclass(annotation, HTTPConnection):
            expected = WebSocket if is_websocket else Request
            if not issubclass(expected, annotation):
                raise ConfigurationError(
                    f"Parameter {name!r} of {route.handler_name} asks for "
                    f"{annotation.__name__}, but route {route.path!r} provides {expected.__name__}."
                )
            plan.append((name, _CONNECTION, None))
        elif _is_subclass(annotation, BackgroundTasks):
            plan.append((name, _BACKGROUND, None))
        elif marker is None and name in convertors:
            cast = _PATH_CASTS.get(annotation)
            if cast is not None and isinstance(convertors[name], StringConvertor):
                plan.append((name, _PATH_CAST, cast))
            else:
                plan.append((name, _PATH, None))
        else:
            plan.append((name, _BOUND, (declared, default, marker)))
    bodies = sum(1 for _, source, spec in plan if source == _BOUND and _is_body(*spec))
    # Several body parameters are each read from the body member of their name.
    return [
        (name, source, _plan_bound(route, name, *spec, embed=bodies > 1))
        if source == _BOUND
        else (name, source, spec)
        for name, source, spec in plan
    ]


def _is_body(declared: Any, default: Any, marker: Param | None) -> bool:
    if marker is not None:
        return marker.source == "body"
    return not (is_scalar(declared) or is_many(declared) or declared is inspect.Parameter.empty)


def _plan_bound(
    route: BaseRoute,
    name: str,
    declared: Any,
    default: Any,
    marker: Param | None,
    *,
    embed: bool = False,
) -> BoundParameter:
    where = f"handler {route.handler_name} (route {route.path!r})"
    if marker is not None and marker.source == "path" and name not in route.template.convertors:
        raise ConfigurationError(f"Path parameter {name!r} of {where} is not in the path.")
    if isinstance(route, WebSocketRoute) and (
        (marker is not None and marker.source == "body")
        or (marker is None and not (is_scalar(declared) or is_many(declared)))
    ):
        raise ConfigurationError(f"Parameter {name!r} of {where}: WebSockets have no body.")
    annotation = Any if declared is inspect.Parameter.empty else declared
    if embed and _is_body(declared, default, marker):
        marker = dataclasses.replace(marker or Param("body"), embed=True)
    try:
        return plan_parameter(name, annotation, default, marker, route.handler_name)
    except TypeError as exc:
        raise ConfigurationError(f"{exc} (route {route.path!r})") from exc


def compile_http(route: Route, limits: Limits) -> ASGIApp:
    """Build the ASGI callable that runs ``route``'s handler and sends its result."""
    if route.max_body_size is not None:
        limits = limits.replace(max_body_size=route.max_body_size)
    handler = route.endpoint
    plan = plan_arguments(route)
    call = handler if _is_async_callable(handler) else _threaded(handler)
    status = route.status_code or 200
    sources = {source for _, source, _ in plan}

    if not plan or (sources == {_PATH} and len(plan) == len(route.template.convertors)):
        # PERF: no per-request binding at all; the handler's coroutine is awaited here and
        # its result sent from here, so exactly one coroutine sits between router and send.
        takes_path = bool(plan)

        async def run_direct(scope: Scope, receive: Receive, send: Send) -> None:
            result = await (call(**scope["path_params"]) if takes_path else call())
            messages = response_messages(result, status, scope["method"])
            if messages is None:
                await result(scope, receive, send)
                return
            start, body, background = messages
            await send(start)
            await send(body)
            if background is not None:
                await background()

        return run_direct

    def make_request(scope: Scope, receive: Receive, send: Send) -> Request:
        return Request(scope, receive, limits)

    bound = [extra for _, source, extra in plan if source == _BOUND]

    async def run_planned(scope: Scope, receive: Receive, send: Send) -> None:
        kwargs, tasks, request = _bind(plan, scope, receive, send, make_request)
        if bound:
            if request is None:
                request = make_request(scope, receive, send)
            kwargs.update(await bind(bound, request))
        try:
            result = await call(**kwargs)
            await send_result(result, status, scope, receive, send)
        finally:
            if request is not None and request._form is not None:
                await request.close()
        if tasks is not None:
            await tasks()

    return run_planned


def compile_websocket(route: WebSocketRoute) -> ASGIApp:
    """Build the ASGI callable that runs a WebSocket handler."""
    plan = plan_arguments(route)
    handler = route.endpoint
    if not _is_async_callable(handler):
        raise ConfigurationError(f"WebSocket handler {route.handler_name} must be async.")

    bound = [extra for _, source, extra in plan if source == _BOUND]

    async def run_websocket(scope: Scope, receive: Receive, send: Send) -> None:
        kwargs, tasks, websocket = _bind(plan, scope, receive, send, WebSocket)
        if bound:
            kwargs.update(await bind(bound, websocket or WebSocket(scope, receive, send)))
        await handler(**kwargs)
        if tasks is not None:
            await tasks()

    return run_websocket


_C = TypeVar("_C", bound=HTTPConnection)


def _bind(
    plan: list[tuple[str, str, Any]],
    scope: Scope,
    receive: Receive,
    send: Send,
    connection: Callable[[Scope, Receive, Send], _C],
) -> tuple[dict[str, Any], BackgroundTasks | None, _C | None]:
    params = scope["path_params"]
    kwargs: dict[str, Any] = {}
    tasks: BackgroundTasks | None = None
    conn: _C | None = None
    for name, source, cast in plan:
        if source == _PATH:
            kwargs[name] = params[name]
        elif source == _PATH_CAST:
            kwargs[name] = _cast_path(name, params[name], cast)
        elif source == _BOUND:
            continue
        elif source == _CONNECTION:
            if conn is None:
                conn = connection(scope, receive, send)
            kwargs[name] = conn
        else:
            if tasks is None:
                tasks = BackgroundTasks()
            kwargs[name] = tasks
    return kwargs, tasks, conn


def _cast_path(name: str, value: str, cast: Callable[[str], Any]) -> Any:
    try:
        return cast(value)
    except (ValueError, InvalidOperation):
        kind = getattr(cast, "__name__", "value")
        raise HTTPException(
            422, f"Path parameter {name!r} must be a valid {kind}, got {value!r}."
        ) from None


def _threaded(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call_in_thread(**kwargs: Any) -> Any:
        return await run_in_threadpool(func, **kwargs)

    return call_in_thread


def response_messages(
    result: Any, status: int, method: str
) -> tuple[Message, Message, BackgroundTask | None] | None:
    """The start and body messages (and background task) for a handler's return value.

    Returns ``None`` for a Response subclass with its own ``__call__`` (streams, files),
    which must be called instead. Everything else that is not a Response becomes JSON.
    """
    if type(result) is dict or not isinstance(result, Response):
        if result is None and status in _NO_BODY_STATUS:
            return _start(status, []), _EMPTY_BODY, None
        body = _json.dumps(result)
        headers = [_JSON_HEADER, (b"content-length", str(len(body)).encode("ascii"))]
        return _start(status, headers), _body(body, method), None
    if type(result).__call__ is not _RESPONSE_CALL:
        return None
    return (
        _start(result.status_code, result.raw_headers),
        _body(result.body, method),
        result.background,
    )


def _start(status: int, headers: list[tuple[bytes, bytes]]) -> Message:
    return {"type": "http.response.start", "status": status, "headers": headers}


def _body(body: bytes, method: str) -> Message:
    return {"type": "http.response.body", "body": b"" if method == "HEAD" else body}


_EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}
_RESPONSE_CALL = Response.__call__


async def send_result(result: Any, status: int, scope: Scope, receive: Receive, send: Send) -> None:
    """Send a handler's return value: Responses pass through, anything else becomes JSON."""
    messages = response_messages(result, status, scope["method"])
    if messages is None:
        await result(scope, receive, send)
        return
    start, body, background = messages
    await send(start)
    await send(body)
    if background is not None:
        await background()
