"""The runner for the commonest typed POST: one model read from the JSON body.

A handler whose only non-path parameter is a whole JSON body (``async def create(item: Item)``)
needs no :class:`~covet.requests.Request`, no dependency resolution and no generic binding:
this runner reads the body straight from ``receive``, decodes it under the same limits,
validates it and calls the handler. Its answers (413, 415, 400, 422 and the handler's
response) are exactly those of the generic path; ``tests/routing/test_json_body.py`` checks
both against each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from covet._parsers.json import parse_json
from covet.di.binding import BoundParameter
from covet.limits import Limits
from covet.params import REQUIRED
from covet.requests import receive_body, require_json_media, too_large
from covet.responses.base import Response
from covet.routing.msgspec_body import FALLBACK, body_decoder
from covet.routing.results import Serializer, response_messages
from covet.types import ASGIApp, Receive, Scope, Send
from covet.validation import RequestValidationError, ValidationError, ValidationIssue


def compile_json_body(
    call: Callable[..., Awaitable[Any]],
    serialize: Serializer | None,
    status: int,
    parameter: BoundParameter,
    takes_path: bool,
    limits: Limits,
) -> ASGIApp:
    """Build the runner for a handler taking path parameters (unconverted) and one JSON body.

    Args:
        call: The handler (a sync one already wrapped to run in the thread pool).
        serialize: The response model's serialiser, if the route has one.
        status: The status code of a successful non-Response result.
        parameter: The body parameter, planned with source ``"body"``.
        takes_path: Whether the handler takes the route's path parameters by name.
        limits: Body size, JSON depth and number length limits.
    """
    name = parameter.name
    validate = parameter.validator
    default = parameter.default
    max_body_size = limits.max_body_size
    max_depth = limits.max_json_depth
    max_number_digits = limits.max_number_digits
    # PERF: msgspec, when installed, decodes and checks a plain dataclass body in one pass; it
    # answers only where the generic path would accept the same value (see msgspec_body).
    fast_decode = body_decoder(parameter.annotation, max_depth, max_number_digits)

    async def run_json_body(scope: Scope, receive: Receive, send: Send) -> None:
        # PERF: one pass over the headers for both the declared length (checked before the
        # first receive(), as read_body does) and the content type (checked once read).
        content_type = None
        for key, value in scope["headers"]:
            if key == b"content-type":
                content_type = value
            elif key == b"content-length" and value.isdigit() and int(value) > max_body_size:
                raise too_large(max_body_size)
        body = await receive_body(receive, max_body_size)
        if body:
            require_json_media(content_type, body)
            value = FALLBACK if fast_decode is None else fast_decode(body)
            if value is FALLBACK:
                document = parse_json(
                    body, max_depth=max_depth, max_number_digits=max_number_digits
                )
                try:
                    value = validate(document)
                except ValidationError as exc:
                    raise RequestValidationError(exc.issues, body=document) from None
        elif default is REQUIRED:
            raise RequestValidationError([ValidationIssue(("body",), "Field required", "missing")])
        else:
            value = default
        if takes_path:
            result = await call(**scope["path_params"], **{name: value})
        else:
            result = await call(**{name: value})
        if serialize is not None and not isinstance(result, Response):
            result = serialize(result)
        # PERF: send_result inlined, as in the other runners: one coroutine level fewer.
        messages = response_messages(result, status, scope["method"])
        if messages is None:
            await result(scope, receive, send)
            return
        start, body_message, background = messages
        await send(start)
        await send(body_message)
        if background is not None:
            await background()

    return run_json_body
