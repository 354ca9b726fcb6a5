"""Shared stores: one small async key-value interface, in memory or on Redis."""

from covet.stores.base import RateLimitDecision, Store, StoreUnavailableError

__all__ = ["RateLimitDecision", "Store", "StoreUnavailableError"]
