"""Pure ASGI middleware shipped with CovetPy."""

from covet.middleware.accesslog import AccessLogMiddleware
from covet.middleware.errors import ErrorMiddleware, ExceptionHandlers

__all__ = ["AccessLogMiddleware", "ErrorMiddleware", "ExceptionHandlers"]
