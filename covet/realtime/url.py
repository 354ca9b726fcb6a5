"""Choose a channels backend by URL: the one place that maps a scheme to a backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from covet.exceptions import ConfigurationError
from covet.realtime._backend import Backend
from covet.stores.url import mask_password

Factory = Callable[[str, int, dict[str, Any]], Backend]


def backend_from_url(url: str, *, history: int = 0, **options: Any) -> Backend:
    """The backend ``url`` names, built now so that a bad URL fails at start-up."""
    if not isinstance(url, str):
        raise ConfigurationError(f"a channels URL must be a string, not {type(url).__name__}")
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise ConfigurationError(f"channels URL {mask_password(url)!r} is malformed") from exc
    factory = SCHEMES.get(scheme.removesuffix("+asyncpg"))
    if factory is None:
        known = ", ".join(f"{name}://" for name in SCHEMES)
        raise ConfigurationError(
            f"channels URL {mask_password(url)!r} has an unknown scheme; use one of: {known}"
        )
    return factory(url, history, options)


def _memory(url: str, history: int, options: dict[str, Any]) -> Backend:
    from covet.realtime.memory import MemoryBackend

    parts = urlsplit(url)
    if parts.netloc or parts.path not in ("", "/") or parts.query or options:
        raise ConfigurationError(
            f"channels URL {url!r}: the memory backend takes no host, path or options"
        )
    return MemoryBackend(history=history)


def _redis(url: str, history: int, options: dict[str, Any]) -> Backend:
    from covet.realtime.redis import RedisBackend

    return RedisBackend(url, history=history, **options)


def _postgres(url: str, history: int, options: dict[str, Any]) -> Backend:
    from covet.realtime.postgres import PostgresBackend

    if history:
        raise ConfigurationError(
            "channels on PostgreSQL keep no history (LISTEN/NOTIFY has none); use redis:// "
            "or memory:// with history=, or history=0"
        )
    return PostgresBackend(url, **options)


SCHEMES: dict[str, Factory] = {
    "memory": _memory,
    "redis": _redis,
    "rediss": _redis,
    "unix": _redis,
    "postgresql": _postgres,
    "postgres": _postgres,
}
