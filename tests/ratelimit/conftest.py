"""Fixtures of the rate limit tests."""

from tests.ratelimit.backends import backend

__all__ = ["backend"]
