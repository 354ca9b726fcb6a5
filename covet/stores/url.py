"""Choose a store by URL: the one place that maps a scheme to a backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from covet.exceptions import ConfigurationError
from covet.stores.base import Store
from covet.stores.memory import MemoryStore

Factory = Callable[[str, SplitResult, dict[str, Any]], Store]


def store_from_url(url: str, **options: Any) -> Store:
    """The store a URL names, built now (so a bad URL fails at start-up).

    ``memory://`` (query options ``max_entries`` and ``namespace``, e.g.
    ``memory://?max_entries=50000``) is a :class:`~covet.stores.MemoryStore`; ``redis://``,
    ``rediss://`` and ``unix://`` (query options ``namespace``, ``db``, ``socket_timeout``,
    ``connect_timeout``, ``pool_timeout`` and ``max_connections``, e.g.
    ``redis://:secret@127.0.0.1:6379/0?namespace=app:``) are a
    :class:`~covet.stores.RedisStore`.

    Args:
        url: The store's URL.
        **options: Keyword arguments for the store's constructor; they win over the URL's.

    Raises:
        ConfigurationError: The scheme is unknown or the URL is malformed; the message shows
            the URL with any password masked.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigurationError(f"store URL {mask_password(url)!r} is malformed: {exc}") from exc
    factory = SCHEMES.get(parts.scheme.lower())
    if factory is None:
        known = ", ".join(f"{scheme}://" for scheme in SCHEMES)
        raise ConfigurationError(
            f"store URL {mask_password(url)!r} has an unknown scheme; use one of: {known}"
        )
    try:
        return factory(url, parts, options)
    except ConfigurationError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"store URL {mask_password(url)!r}: {exc}") from exc


def mask_password(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


def _memory(url: str, parts: SplitResult, options: dict[str, Any]) -> Store:
    if parts.netloc or parts.path not in ("", "/"):
        raise ConfigurationError(
            f"store URL {url!r}: a memory store has no host or path; write memory:// "
            "with options in the query, e.g. memory://?max_entries=50000"
        )
    query: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name == "max_entries":
            query[name] = _positive_int(url, name, value)
        elif name == "namespace":
            query[name] = value
        else:
            raise ConfigurationError(
                f"store URL {url!r}: unknown option {name!r}; a memory store takes "
                "max_entries and namespace"
            )
    return MemoryStore(**{**query, **options})


def _positive_int(url: str, name: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"store URL {url!r}: {name} must be a positive integer")
    return int(value)


def _redis(url: str, parts: SplitResult, options: dict[str, Any]) -> Store:
    from covet.stores.redis import RedisStore  # it imports this module for mask_password

    return RedisStore.from_url(url, **options)


SCHEMES: dict[str, Factory] = {
    "memory": _memory,
    "redis": _redis,
    "rediss": _redis,
    "unix": _redis,
}
