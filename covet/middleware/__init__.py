"""Pure ASGI middleware shipped with CovetPy."""

from covet.middleware.accesslog import AccessLogMiddleware
from covet.middleware.cors import CORSConfig, CORSMiddleware
from covet.middleware.csrf import CSRFConfig, CSRFMiddleware, csrf_token
from covet.middleware.errors import ErrorMiddleware, ExceptionHandlers
from covet.middleware.functional import FunctionMiddleware
from covet.middleware.gzip import GZipConfig, GZipMiddleware
from covet.middleware.proxy_headers import ProxyHeadersConfig, ProxyHeadersMiddleware
from covet.middleware.ratelimit import RateLimitConfig, RateLimitMiddleware
from covet.middleware.request_id import (
    RequestIDConfig,
    RequestIDLogFilter,
    RequestIDMiddleware,
    current_request_id,
)
from covet.middleware.security_headers import SecurityHeadersConfig, SecurityHeadersMiddleware
from covet.middleware.sessions import SessionConfig, SessionMiddleware
from covet.middleware.timeout import TimeoutConfig, TimeoutMiddleware
from covet.middleware.trusted_host import TrustedHostConfig, TrustedHostMiddleware
from covet.middleware.websocket_origin import WebSocketOriginConfig, WebSocketOriginMiddleware

__all__ = [
    "AccessLogMiddleware",
    "CORSConfig",
    "CORSMiddleware",
    "CSRFConfig",
    "CSRFMiddleware",
    "ErrorMiddleware",
    "ExceptionHandlers",
    "FunctionMiddleware",
    "GZipConfig",
    "GZipMiddleware",
    "ProxyHeadersConfig",
    "ProxyHeadersMiddleware",
    "RateLimitConfig",
    "RateLimitMiddleware",
    "RequestIDConfig",
    "RequestIDLogFilter",
    "RequestIDMiddleware",
    "SecurityHeadersConfig",
    "SecurityHeadersMiddleware",
    "SessionConfig",
    "SessionMiddleware",
    "TimeoutConfig",
    "TimeoutMiddleware",
    "TrustedHostConfig",
    "TrustedHostMiddleware",
    "WebSocketOriginConfig",
    "WebSocketOriginMiddleware",
    "csrf_token",
    "current_request_id",
]
