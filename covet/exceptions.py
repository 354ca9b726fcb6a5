"""The exception hierarchy: every error CovetPy raises derives from :class:`CovetError`."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus


class CovetError(Exception):
    """Root of every exception raised by CovetPy."""


class ConfigurationError(CovetError, ValueError):
    """An application, route or setting was declared in a way that cannot work.

    Every configuration mistake CovetPy finds (at declaration or at start-up) raises this
    one class. It is a ``ValueError`` too, so code written against the standard library's
    convention for bad arguments still catches it.
    """


class RouteConflictError(ConfigurationError):
    """Two routes answer the same method on an equivalent path pattern."""


class NoMatchFoundError(CovetError):
    """``url_path_for`` was asked for a route name or parameters that do not exist."""


class MissingDependencyError(CovetError, ImportError):
    """An optional dependency needed by a subsystem is not installed."""


class ClientDisconnectError(CovetError):
    """The client went away while the request body was being read."""


class HTTPException(CovetError):
    """An error that becomes an HTTP response with the given status code.

    Args:
        status_code: The HTTP status to answer with.
        detail: Human-readable explanation; defaults to the status phrase.
        headers: Extra headers for the error response.
    """

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            detail = _phrase(status_code)
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers else None

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class BadRequestError(HTTPException):
    """The request was malformed (400)."""

    def __init__(self, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(400, detail, headers)


class WebSocketException(CovetError):
    """Close the WebSocket with ``code`` and ``reason`` from inside a handler."""

    def __init__(self, code: int = 1008, reason: str | None = None) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason or ""


class WebSocketDisconnect(CovetError):
    """The WebSocket peer closed the connection."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason or ""


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"
