"""The CovetPy benchmark app bare and behind the production middleware stack (issue 8).

Every variant is :func:`apps.covet_app.build` (the same seven routes) with some middleware,
outermost first. ``stack`` is the default production stack in the order the docs give:
CORS outermost (its answers carry the others' headers), then the request id, security
headers, and the rate limit innermost (so its 429s carry the request id). The rate limit
counts in the app's own ``MemoryStore``, high enough that no request of a benchmark is
refused. The benchmark's requests carry no ``Origin`` header: a same-origin or non-browser
client, which CORS only marks with ``Vary: Origin``.
"""

from __future__ import annotations

from typing import Any

from apps.covet_app import build
from covet import CovetPy
from covet.middleware import (
    CORSMiddleware,
    RateLimitMiddleware,
    RequestIDMiddleware,
    SecurityHeadersMiddleware,
)

MiddlewareList = list[tuple[Any, dict[str, Any]]]

CORS = (CORSMiddleware, {"allow_origins": ["https://app.example.org"]})
REQUEST_ID = (RequestIDMiddleware, {})
RATE_LIMIT = (RateLimitMiddleware, {"limit": "1000000/second"})
SECURITY_HEADERS = (SecurityHeadersMiddleware, {})

VARIANTS: dict[str, MiddlewareList] = {
    "bare": [],
    "request-id": [REQUEST_ID],
    "cors": [CORS],
    "rate-limit": [RATE_LIMIT],
    "security-headers": [SECURITY_HEADERS],
    "stack-without-security-headers": [CORS, REQUEST_ID, RATE_LIMIT],
    "stack": [CORS, REQUEST_ID, SECURITY_HEADERS, RATE_LIMIT],
}
"""Variant name -> its middleware, outermost first."""


def variant(name: str) -> CovetPy:
    """Build the benchmark app behind the middleware of variant ``name``."""
    app = build()
    app.user_middleware = list(VARIANTS[name])
    app.invalidate()
    return app
