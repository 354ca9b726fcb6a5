"""Turning exceptions into responses: registered handlers, HTTP errors and the last-resort 500."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

from covet._callables import is_async_callable
from covet._parsers.json import InvalidJSONError
from covet._request_id import request_id, request_id_header
from covet.concurrency import run_in_threadpool
from covet.encoders import jsonable_encoder
from covet.exceptions import (
    ClientDisconnectError,
    ConfigurationError,
    HTTPException,
    WebSocketException,
)
from covet.requests import NotJSONError, Request
from covet.responses.base import JSONResponse, Response
from covet.responses.problem import ProblemResponse
from covet.types import ASGIApp, Message, Receive, Scope, Send
from covet.validation import RequestValidationError

logger = logging.getLogger("covet.error")

#: Scope key: raw headers middleware want on this request's last-resort 500 (see
#: :func:`add_error_headers`).
ERROR_HEADERS = "covet.error_headers"

ExceptionHandler = Callable[[Request, Any], Any]
HandlerKey = type[BaseException] | int


class ExceptionHandlers:
    """Handlers registered by exception class or by HTTP status code.

    Lookup order: a status-code handler for :class:`HTTPException` of that status, then the
    most specific class in the exception's MRO.
    """

    def __init__(self, handlers: Mapping[HandlerKey, ExceptionHandler] | None = None) -> None:
        self._by_status: dict[int, ExceptionHandler] = {}
        self._by_class: dict[type[BaseException], ExceptionHandler] = {}
        for key, handler in (handlers or {}).items():
            self.add(key, handler)

    def add(self, key: HandlerKey, handler: ExceptionHandler) -> None:
        """Register ``handler`` for an exception class or a status code."""
        if isinstance(key, int):
            self._by_status[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self._by_class[key] = handler
        else:
            raise TypeError(f"Exception handler key must be a status or exception class: {key!r}")

    def find(self, exc: BaseException) -> ExceptionHandler | None:
        """Return the handler for ``exc``, or ``None``."""
        if isinstance(exc, HTTPException) and exc.status_code in self._by_status:
            return self._by_status[exc.status_code]
        for cls in type(exc).__mro__:
            handler = self._by_class.get(cls)
            if handler is not None:
                return handler
        return None

    def __bool__(self) -> bool:
        return bool(self._by_status or self._by_class)


def http_exception_response(
    scope: Scope, exc: HTTPException, error_format: str = "problem"
) -> Response:
    """The default response for an :class:`HTTPException` (RFC 9457 problem details).

    A :class:`RequestValidationError` lists every issue in an ``errors`` member. With
    ``error_format="fastapi"`` the body is FastAPI's instead: ``{"detail": "..."}``, and
    ``{"detail": [{"loc", "msg", "type"}]}`` for validation errors (form and file fields
    located under ``body``, as FastAPI locates them), and FastAPI's 422 for a body that is
    not well-formed JSON (``json_invalid``) or not declared JSON (still never parsed).
    """
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=exc.headers)
    fastapi = error_format == "fastapi"
    extensions = None
    if isinstance(exc, RequestValidationError):
        if fastapi:
            detail = _jsonable(exc.errors())
            return JSONResponse({"detail": detail}, exc.status_code, exc.headers)
        errors = [
            {"loc": list(issue.loc), "msg": issue.msg, "type": issue.type} for issue in exc.issues
        ]
        extensions = {"errors": errors}
    elif fastapi and isinstance(exc, InvalidJSONError | NotJSONError):
        return JSONResponse({"detail": [_fastapi_body_issue(exc)]}, 422, exc.headers)
    elif fastapi:
        return JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)
    return ProblemResponse(
        exc.status_code,
        exc.detail,
        instance=_instance(scope),
        headers=exc.headers,
        extensions=extensions,
    )


def _fastapi_body_issue(exc: InvalidJSONError | NotJSONError) -> dict[str, Any]:
    """The 422 item FastAPI answers a malformed JSON body, or a body not declared JSON, with."""
    if isinstance(exc, InvalidJSONError):
        return {
            "type": "json_invalid",
            "loc": ["body", exc.position],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.reason},
        }
    # FastAPI validates the undecoded body against the body's type; a model refuses it so.
    return {
        "type": "model_attributes_type",
        "loc": ["body"],
        "msg": "Input should be a valid dictionary or object to extract fields from",
        "input": exc.body.decode("utf-8", "replace"),
    }


def _jsonable(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # FastAPI encodes the same way: an exception in ``ctx`` becomes ``{}`` (its vars()).
    for item in errors:
        for key in ("input", "ctx"):
            if key in item:
                try:
                    item[key] = jsonable_encoder(item[key])
                except ValueError:  # an input with no JSON form
                    item[key] = None
    return errors


def add_error_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """Have the last-resort 500 of this request carry ``headers`` too.

    That 500 is sent by the outermost :class:`ErrorMiddleware`, outside every user
    middleware, so a middleware adding headers in its ``send`` (CORS, security headers)
    never sees it; it registers them here instead. ``headers`` is never changed (it may be
    a middleware's precomputed list).
    """
    if headers:
        existing = scope.get(ERROR_HEADERS)
        scope[ERROR_HEADERS] = headers if existing is None else [*existing, *headers]


def _instance(scope: Scope) -> str:
    """The request path as a URI reference for the problem's ``instance`` member.

    Percent-encoded (as a URI must be), with anything unencodable replaced, so an error
    document can always be serialised whatever path the client sent.
    """
    return quote(scope.get("path", ""), safe="/:@!$&'()*+,;=-._~", errors="replace")


class ErrorMiddleware:
    """Convert exceptions escaping the wrapped app into responses.

    The application stack uses it twice: innermost (``catch_all=False``) it applies the
    registered handlers and answers :class:`HTTPException`, so user middleware sees
    responses; outermost (``catch_all=True``) it turns anything left into a 500 whose body
    never contains exception text unless ``debug`` is on. With no user middleware both
    roles share one instance.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        handlers: ExceptionHandlers | None = None,
        handle_http: bool = True,
        catch_all: bool = True,
        debug: bool = False,
        error_format: str = "problem",
    ) -> None:
        if error_format not in ("problem", "fastapi"):
            raise ConfigurationError(
                f"error_format must be 'problem' or 'fastapi', not {error_format!r}"
            )
        self.app = app
        self.error_format = error_format
        self.handlers = handlers or ExceptionHandlers()
        self.handle_http = handle_http
        self.catch_all = catch_all
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await self._call_websocket(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        started = False

        # PERF: a plain function returning send()'s awaitable, not a coroutine of its own,
        # so tracking costs no extra frame per message.
        def tracking_send(message: Message) -> Awaitable[None]:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            return send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            await self.recover(exc, started, scope, receive, send)

    async def recover(
        self, exc: Exception, started: bool, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer ``exc`` with a response, or re-raise it when that is not possible.

        Args:
            exc: The exception that escaped the wrapped application.
            started: Whether ``http.response.start`` had already been sent.
        """
        if isinstance(exc, ClientDisconnectError):
            # Nobody is left to answer, and nothing went wrong on the server.
            logger.info("Client disconnected during %s %s", scope.get("method"), scope.get("path"))
            return
        response = await self._handled_response(scope, receive, exc)
        if response is None and not self.catch_all:
            raise exc
        if started:
            # The response is half sent: the connection must be cut, not answered.
            logger.error("Exception after the response started", exc_info=exc)
            raise exc
        if response is not None:
            await response(scope, receive, send)
            return
        await self._server_error(scope, exc)(scope, receive, send)
        # Re-raise so the server (and TestClient) see the failure, as Starlette does.
        raise exc

    async def _handled_response(
        self, scope: Scope, receive: Receive, exc: Exception
    ) -> Response | None:
        if not self.handle_http:
            return None
        handler = self.handlers.find(exc)
        if handler is not None:
            return await self._run_handler(handler, Request(scope, receive), exc)
        if isinstance(exc, HTTPException):
            return http_exception_response(scope, exc, self.error_format)
        return None

    async def _run_handler(
        self, handler: ExceptionHandler, request: Request, exc: Exception
    ) -> Response:
        if is_async_callable(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if not isinstance(response, Response):
            raise TypeError(
                f"Exception handler {handler!r} returned {type(response).__name__}, "
                "expected a Response."
            )
        return response

    def _server_error(self, scope: Scope, exc: Exception) -> Response:
        rid = request_id(scope)
        logger.error(
            "Unhandled exception in %s %s (request id %s)",
            scope.get("method"),
            scope.get("path"),
            rid,
            exc_info=exc,
            extra={"request_id": rid},
        )
        extensions: dict[str, Any] = {"request_id": rid}
        detail = "The server hit an unexpected error. Quote the request id when reporting it."
        if self.debug:
            extensions["exception"] = f"{type(exc).__name__}: {exc}"
            extensions["traceback"] = traceback.format_exception(exc)
        response = ProblemResponse(
            500,
            detail,
            instance=_instance(scope),
            headers={request_id_header(scope).decode("ascii"): rid},
            extensions=extensions,
        )
        extra = scope.get(ERROR_HEADERS)
        if extra:
            response.raw_headers.extend(extra)
        return response

    async def _call_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except WebSocketException as exc:
            await send({"type": "websocket.close", "code": exc.code, "reason": exc.reason})
        except HTTPException as exc:
            # Invalid parameters, or a dependency refusing (401...): a policy violation by
            # the client, not a server error; a 503 (a store down) is "try again later".
            code = 1013 if exc.status_code == 503 else 1008
            await send({"type": "websocket.close", "code": code, "reason": _close_reason(exc)})
        except Exception as exc:
            if not self.catch_all:
                raise
            logger.error("Unhandled exception in WebSocket %s", scope.get("path"), exc_info=exc)
            try:
                await send({"type": "websocket.close", "code": 1011, "reason": ""})
            except Exception:
                logger.debug("Could not send close after WebSocket error", exc_info=True)


_MAX_CLOSE_REASON = 123  # bytes: a close frame's payload is 125, two of which are the code


def _close_reason(exc: HTTPException) -> str:
    """A WebSocket close reason describing ``exc``, cut to fit a close frame."""
    if isinstance(exc, RequestValidationError):
        text = "; ".join(
            f"{'.'.join(str(part) for part in issue.loc)}: {issue.msg}" for issue in exc.issues
        )
    else:
        text = str(exc.detail)
    encoded = text.encode("utf-8")
    if len(encoded) <= _MAX_CLOSE_REASON:
        return text
    return encoded[: _MAX_CLOSE_REASON - 3].decode("utf-8", "ignore") + "..."
