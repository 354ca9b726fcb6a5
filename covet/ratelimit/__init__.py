"""Rate limiting: exact GCRA limits per client, on memory or shared through Redis.

``RateLimit("5/minute")`` limits a route (or a router) as a dependency; the app-wide
:class:`~covet.middleware.RateLimitMiddleware` limits every request. Both count through a
:class:`~covet.stores.Store` (one atomic decision per request) and send the IETF
``RateLimit-Policy``/``RateLimit`` headers.
"""

from covet.ratelimit._limiter import (
    KeyFunction,
    RateLimitExceededError,
    RateLimitUnavailableError,
    client_ip,
    user_or_ip,
)
from covet.ratelimit._rates import Rate, parse_rates
from covet.ratelimit.dependency import RateLimit

__all__ = [
    "KeyFunction",
    "Rate",
    "RateLimit",
    "RateLimitExceededError",
    "RateLimitUnavailableError",
    "client_ip",
    "parse_rates",
    "user_or_ip",
]
