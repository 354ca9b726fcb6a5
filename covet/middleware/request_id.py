"""A request id on every request: in ``request.state``, the response header and every log record.

The id is the one the core already gives each request (the 500 page and the access log quote
it); this middleware makes it public and configurable, and puts it in a context variable so
:class:`RequestIDLogFilter` can stamp it on every log record emitted while the request runs,
in the handler, its dependencies, its background tasks and the thread pool alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from covet._request_id import (
    DEFAULT_HEADER,
    HEADER_SCOPE_KEY,
    SCOPE_KEY,
    new_request_id,
    safe_request_id,
)
from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "RequestIDConfig",
    "RequestIDLogFilter",
    "RequestIDMiddleware",
    "current_request_id",
    "request_id_var",
]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 field name

#: The id of the request being served in this context (``None`` outside requests).
request_id_var: ContextVar[str | None] = ContextVar("covet_request_id", default=None)


def current_request_id() -> str | None:
    """Return the id of the request being served, or ``None`` outside a request.

    Set by :class:`RequestIDMiddleware` for the whole request, background tasks and sync
    handlers in the thread pool included.
    """
    return request_id_var.get()


@dataclass(frozen=True, slots=True)
class RequestIDConfig:
    """How :class:`RequestIDMiddleware` names, accepts and makes request ids.

    Attributes:
        header: The request and response header carrying the id.
        trust_incoming: Reuse a well-formed id the client (or a proxy) sent in ``header``:
            1 to 128 characters among letters, digits and ``. _ : -``. Anything else is
            replaced by a generated id. ``False`` always generates.
        generator: Makes a new id; 32 random hex digits by default. It must return 1 to
            128 of the same safe characters: the id goes into headers and log lines.
    """

    header: str = "X-Request-ID"
    trust_incoming: bool = True
    generator: Callable[[], str] = new_request_id

    def __post_init__(self) -> None:
        if not isinstance(self.header, str) or not _TOKEN.fullmatch(self.header):
            raise ConfigurationError(
                f"RequestIDMiddleware: header={self.header!r} is not a valid header name; "
                "use letters, digits and '-' (for example 'X-Request-ID')."
            )
        if not isinstance(self.trust_incoming, bool):
            raise ConfigurationError(
                f"RequestIDMiddleware: trust_incoming must be True or False, "
                f"not {self.trust_incoming!r}."
            )
        if not callable(self.generator):
            raise ConfigurationError(
                f"RequestIDMiddleware: generator must be a callable returning a str, "
                f"not {self.generator!r}."
            )


class RequestIDMiddleware:
    """Give every request one id, on ``request.state.request_id``, the response and the logs.

    The id is the core's own (``covet.request_id`` in the scope): the 500 problem body and
    the access log quote the same one. Responses carry it in the configured header unless
    the app set that header itself. WebSocket connections get the id in their state and
    the context variable, not in a header.

    Args:
        app: The wrapped application.
        config: A ready :class:`RequestIDConfig`; or give its fields as keyword options.
        **options: ``header``, ``trust_incoming``, ``generator`` (see the config).

    Raises:
        ConfigurationError: An option is unknown or invalid.
    """

    def __init__(
        self, app: ASGIApp, *, config: RequestIDConfig | None = None, **options: Any
    ) -> None:
        self.app = app
        self.config = resolve_config("RequestIDMiddleware", RequestIDConfig, config, options)
        # PERF: the header name is compared and sent as lower-case bytes, made once here.
        self._header = self.config.header.lower().encode("ascii")
        self._custom_header = self._header != DEFAULT_HEADER
        self._trust = self.config.trust_incoming
        self._generate = self.config.generator

    def _incoming(self, scope: Scope) -> str | None:
        header = self._header
        for name, value in scope["headers"]:
            if name == header:
                return safe_request_id(value)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        rid: str | None = scope.get(SCOPE_KEY)
        if rid is None:
            # PERF: the regex runs only when the client sent the header.
            rid = (self._trust and self._incoming(scope)) or self._generate()
            scope[SCOPE_KEY] = rid
        if self._custom_header:
            scope[HEADER_SCOPE_KEY] = self._header
        state = scope.get("state")
        if state is None:
            scope["state"] = {"request_id": rid}
        else:
            state["request_id"] = rid
        token = request_id_var.set(rid)
        if kind != "http":
            try:
                await self.app(scope, receive, send)
            finally:
                request_id_var.reset(token)
            return
        header = self._header
        value = rid.encode("ascii")

        # PERF: a plain function returning send()'s awaitable: no coroutine frame per
        # message; defined inline, not by a helper method, to save a call per request.
        def send_with_id(message: Message) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                for name, _ in headers:
                    if name == header:
                        return send(message)  # the app (or the access log) set it
                # A new list: the response's own header list may be shared and reused.
                message = {**message, "headers": [*headers, (header, value)]}
            return send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class RequestIDLogFilter(logging.Filter):
    """Copy the current request id into every log record as ``record.request_id``.

    Attach it to a handler (``handler.addFilter(RequestIDLogFilter())``) so every record
    the handler writes, from any logger, has the attribute; then use ``%(request_id)s``
    in the format. Outside a request the value is ``"-"``. A record that already has a
    ``request_id`` (the access log's, given as ``extra``) keeps it.

    Args:
        default: The value written outside requests.
    """

    def __init__(self, name: str = "", *, default: str = "-") -> None:
        super().__init__(name)
        self.default = default

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` to ``record`` and let it through."""
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or self.default
        return True
