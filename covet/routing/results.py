"""Turning a handler's return value into the ASGI messages of its response."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from covet import _json
from covet.background import BackgroundTask
from covet.responses.base import (
    JSONResponse,
    Response,
    bodiless_headers,
    content_length,
    has_no_content,
)
from covet.types import Message, Receive, Scope, Send

_JSON_HEADER = (b"content-type", b"application/json")
Serializer = Callable[[Any], Any]
"""A route's response model compiled: filters a handler's result into JSON-able data."""


def response_messages(
    result: Any, status: int, method: str
) -> tuple[Message, Message, BackgroundTask | None] | None:
    """The start and body messages (and background task) for a handler's return value.

    Returns ``None`` for a Response subclass with its own ``__call__`` (streams, files),
    which must be called instead. Everything else that is not a Response becomes JSON. A
    response to HEAD keeps the headers (and ``Content-Length``) GET would get, without the
    body; 1xx, 204, 205 and 304 responses never carry one (see :func:`bodiless_headers`).
    """
    if type(result) is dict or not isinstance(result, Response):
        # PERF: a 200 costs one int comparison here. A bodiless status drops the result
        # unencoded: content there would be read as the start of the next response.
        if status != 200 and has_no_content(status):
            return _start(status, bodiless_headers(status, [])), _EMPTY_BODY, None
        body = _json.dumps(result)
        # PERF: the messages are built inline, not by _start()/_body(): two calls fewer.
        return (
            {
                "type": "http.response.start",
                "status": status,
                "headers": [_JSON_HEADER, content_length(len(body))],
            },
            {"type": "http.response.body", "body": b"" if method == "HEAD" else body},
            None,
        )
    if type(result).__call__ is not _RESPONSE_CALL:
        return None
    status = result.status_code
    if status != 200 and has_no_content(status):
        headers = bodiless_headers(status, result.raw_headers)
        return _start(status, headers), _EMPTY_BODY, result.background
    return (
        {"type": "http.response.start", "status": status, "headers": result.raw_headers},
        {"type": "http.response.body", "body": b"" if method == "HEAD" else result.body},
        result.background,
    )


def with_response_class(
    serialize: Serializer | None, response_class: type[Response] | None, status: int | None
) -> Serializer | None:
    """``serialize`` followed by wrapping the result in ``response_class`` (``response_class=``).

    As in FastAPI, a non-Response result becomes ``response_class(result)``, after the response
    model's filtering, with the route's ``status_code`` when it sets one (else the class's
    own default: 307 for a ``RedirectResponse``). ``JSONResponse`` itself needs no wrapping:
    it is what the result becomes anyway, sent faster.
    """
    if response_class is None or response_class is JSONResponse:
        return serialize
    make: Callable[[Any], Response] = (
        response_class if status is None else functools.partial(response_class, status_code=status)
    )
    if serialize is None:
        return make
    model = serialize

    def serialize_into_class(result: Any) -> Response:
        return make(model(result))

    return serialize_into_class


def _start(status: int, headers: list[tuple[bytes, bytes]]) -> Message:
    return {"type": "http.response.start", "status": status, "headers": headers}


_EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}
_RESPONSE_CALL = Response.__call__


async def send_result(
    result: Any,
    status: int,
    scope: Scope,
    receive: Receive,
    send: Send,
    serialize: Serializer | None = None,
    response: Response | None = None,
) -> None:
    """Send a handler's return value: Responses pass through, anything else becomes JSON.

    ``serialize`` (the route's response model) filters a result that is not a Response.
    ``response`` is the Response parameter handed to the handler or its dependencies: its
    status applies to a result that is not a Response, its headers to any result.
    """
    made = False
    if serialize is not None and not isinstance(result, Response):
        result = serialize(result)
        made = isinstance(result, Response)  # by the route's response_class
    if response is not None:
        if made and response.status_code != status:
            result.status_code = response.status_code
        status = response.status_code
        if response.raw_headers:
            send = _adding_headers(send, response.raw_headers)
    messages = response_messages(result, status, scope["method"])
    if messages is None:
        await result(scope, receive, send)
        return
    start, body, background = messages
    await send(start)
    await send(body)
    if background is not None:
        await background()


def _adding_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send`` with ``extra`` appended to the headers of ``http.response.start``.

    The returned Response object itself is left alone: it may be shared between requests.
    """

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return send_with_headers
