"""Generator handlers: each yielded item streamed, as JSON Lines or as server-sent events.

A handler that is a (sync or async) generator streams what it yields, as in FastAPI:
JSON Lines by default, server-sent events with ``response_class=EventSourceResponse``, raw
chunks with another :class:`~covet.responses.StreamingResponse`. Items are filtered by the
response model read from ``AsyncIterable[Item]`` / ``Iterable[Item]`` (or
``response_model=Item``) as a returned ``Item`` would be; a :class:`ServerSentEvent`
passes as it is.

The first item is asked for before the response starts, so a handler that fails before it
gets the ordinary error response (a 500 problem, an ``HTTPException``'s status). An event
stream starts anyway once its keep-alive interval passes without one; from then on an
error ends the stream (the connection is cut and the error logged) and never starts a
second response.
"""

from __future__ import annotations

import asyncio
import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from covet.exceptions import ConfigurationError
from covet.responses.base import JSONResponse, Response
from covet.responses.sse import EventSourceResponse, ServerSentEvent
from covet.responses.streaming import (
    JSONLinesResponse,
    StreamingResponse,
    close_iterator,
    iterate,
)
from covet.routing.response_model import plan_response, return_annotation
from covet.routing.results import Serializer
from covet.routing.routes import BaseRoute, Route

_ITERABLES = frozenset(
    {
        collections.abc.AsyncIterable,
        collections.abc.AsyncIterator,
        collections.abc.AsyncGenerator,
        collections.abc.Iterable,
        collections.abc.Iterator,
        collections.abc.Generator,
    }
)
_NO_MODEL: Any = object()
_END: Any = object()


def stream_response_class(route: BaseRoute) -> type[StreamingResponse]:
    """The response class a generator handler's items are streamed with.

    Raises:
        ConfigurationError: a ``response_class`` that cannot stream (``HTMLResponse``...).
    """
    response_class = route.options.get("response_class")
    if response_class is None or issubclass(response_class, JSONResponse):
        return JSONLinesResponse
    if issubclass(response_class, StreamingResponse):
        return typing.cast(type[StreamingResponse], response_class)
    raise ConfigurationError(
        f"{route.handler_name} (route {route.path!r}) yields items, so it streams them: its "
        f"response_class {response_class.__name__} cannot stream. Use EventSourceResponse "
        "(server-sent events), JSONLinesResponse (the default) or another StreamingResponse."
    )


def stream_item_model(route: BaseRoute) -> Any:
    """The model a generator handler's items are filtered through (``None``: sent as they are).

    Read from ``response_model=`` (the item type, or an iterable of it) or the return
    annotation ``AsyncIterable[Item]`` / ``Iterable[Item]`` (iterators and generators too).

    Raises:
        ConfigurationError: a return annotation that is not an iterable of items.
    """
    model = route.options.get("response_model", _NO_MODEL)
    explicit = model is not _NO_MODEL
    if not explicit:
        model = return_annotation(route)
    if model is None or model is inspect.Signature.empty:
        return None
    if typing.get_origin(model) in _ITERABLES:
        args = typing.get_args(model)
        model = args[0] if args else None
    elif model in _ITERABLES:
        model = None
    elif not explicit:
        raise ConfigurationError(
            f"{route.handler_name} (route {route.path!r}) yields items, so its return "
            f"annotation must be AsyncIterable[Item] or Iterable[Item], not {model!r}."
        )
    return _without_events(model)


def _without_events(model: Any) -> Any:
    """Drop :class:`ServerSentEvent` (sent as it is) from the item model."""
    if model is ServerSentEvent:
        return None
    if typing.get_origin(model) not in (typing.Union, types.UnionType):
        return model
    kept = tuple(arg for arg in typing.get_args(model) if arg is not ServerSentEvent)
    return typing.Union[kept] if kept else None  # noqa: UP007


def stream_call(route: Route) -> Callable[..., Awaitable[Response]]:
    """The call of generator handler ``route``: it returns the response streaming its items.

    Raises:
        ConfigurationError: the route's response class or item model cannot work.
    """
    handler = route.endpoint
    response_class = stream_response_class(route)
    encodes = issubclass(response_class, EventSourceResponse | JSONLinesResponse)
    serialize = plan_response(route, stream_item_model(route)) if encodes else None
    make: Callable[[Any], Response] = (
        response_class
        if route.status_code is None
        else functools.partial(response_class, status_code=route.status_code)
    )
    first_wait = _keepalive(response_class)

    async def open_stream(**kwargs: Any) -> Response:
        stream = HandlerStream(iterate(handler(**kwargs)), serialize)
        await stream.start(first_wait)
        return make(stream)

    return open_stream


def _keepalive(response_class: type[StreamingResponse]) -> float | None:
    if issubclass(response_class, EventSourceResponse):
        return response_class.ping
    return None


class HandlerStream:
    """A generator handler's items, filtered by ``serialize`` (``ServerSentEvent`` untouched).

    :meth:`start` asks for the first item before the response starts; closing the stream
    closes the handler's generator.
    """

    def __init__(self, items: AsyncIterator[Any], serialize: Serializer | None) -> None:
        self._items = items
        self._serialize = serialize
        self._first: asyncio.Future[Any] | None = None

    async def start(self, wait: float | None) -> None:
        """Ask for the first item; raise the handler's error if it fails within ``wait`` s."""
        first = self._first = asyncio.ensure_future(self._next())
        try:
            done, _ = await asyncio.wait((first,), timeout=wait)
        except BaseException:
            await self.aclose()
            raise
        if done and first.exception() is not None:
            self._first = None
            first.result()

    def __aiter__(self) -> HandlerStream:
        return self

    async def __anext__(self) -> Any:
        first, self._first = self._first, None
        item = await (first if first is not None else self._next())
        if item is _END:
            raise StopAsyncIteration
        return item

    async def _next(self) -> Any:
        try:
            item = await anext(self._items)
        except StopAsyncIteration:
            return _END
        serialize = self._serialize
        if serialize is None or isinstance(item, ServerSentEvent):
            return item
        return serialize(item)

    async def aclose(self) -> None:
        """Close the handler's generator (its ``finally`` runs)."""
        first, self._first = self._first, None
        if first is not None:
            if not first.done():
                first.cancel()
                await asyncio.wait((first,))
            if not first.cancelled():
                first.exception()  # retrieved: the stream was abandoned
        await close_iterator(self._items)
