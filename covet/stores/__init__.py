"""Shared stores: one small async key-value interface, in memory or on Redis."""

from covet.stores.base import RateLimitDecision, Store, StoreUnavailableError
from covet.stores.memory import MemoryStore
from covet.stores.redis import RedisStore
from covet.stores.url import store_from_url

__all__ = [
    "MemoryStore",
    "RateLimitDecision",
    "RedisStore",
    "Store",
    "StoreUnavailableError",
    "store_from_url",
]
