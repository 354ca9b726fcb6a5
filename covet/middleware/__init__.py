"""Pure ASGI middleware shipped with CovetPy."""

from covet.middleware.accesslog import AccessLogMiddleware
from covet.middleware.errors import ErrorMiddleware, ExceptionHandlers
from covet.middleware.functional import FunctionMiddleware

__all__ = ["AccessLogMiddleware", "ErrorMiddleware", "ExceptionHandlers", "FunctionMiddleware"]
