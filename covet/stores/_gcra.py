"""What every backend computes alike: argument checks, TTLs, and the GCRA arithmetic.

The rate limiter is the generic cell rate algorithm in integer microseconds. A key stores its
*theoretical arrival time* (TAT). With emission interval ``T = period / limit`` (rounded to a
whole microsecond, at least one) a request of weight ``cost`` moves the TAT by ``cost * T``
and is allowed while the TAT stays within ``limit * T`` of now, so ``limit`` requests fit at
once (the burst tolerance is ``period - T``) and then one every ``T``. Integers keep the
decision exact: the Redis script does the same sums with Lua's doubles, exact below 2**53.
The Lua source lives here beside the Python, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from covet.stores.base import RateLimitDecision

MICROSECONDS = 1_000_000


def check_ttl(ttl: float | None) -> None:
    """Refuse a TTL that is not a positive number of seconds (``None`` means no expiry)."""
    if ttl is not None and not ttl > 0:
        raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")


def ttl_milliseconds(ttl: float) -> int:
    """``ttl`` seconds as whole milliseconds for Redis ``PX``, never rounded down to zero."""
    return max(1, math.ceil(ttl * 1000))


@dataclass(frozen=True, slots=True)
class Gcra:
    """One call's GCRA parameters, checked, in microseconds.

    Attributes:
        limit: Requests allowed per period.
        interval: The emission interval ``T`` in microseconds.
        increment: How far this call moves the TAT (``cost * T``).
    """

    limit: int
    interval: int
    increment: int

    @classmethod
    def of(cls, limit: int, period: float, cost: int) -> Gcra:
        """Check the arguments of :meth:`Store.rate_limit` and derive the parameters."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, not {limit!r}")
        if not period > 0 or math.isinf(period):
            raise ValueError(f"period must be a positive number of seconds, not {period!r}")
        if isinstance(cost, bool) or not isinstance(cost, int) or not 1 <= cost <= limit:
            raise ValueError(f"cost must be an integer from 1 to the limit ({limit}), not {cost!r}")
        interval = max(1, round(period * MICROSECONDS / limit))
        return cls(limit, interval, cost * interval)

    @property
    def window(self) -> int:
        """The span ``limit * T`` the TAT may run ahead of now, in microseconds."""
        return self.limit * self.interval

    def decide(self, stored_tat: int | None, now: int) -> tuple[RateLimitDecision, int | None]:
        """The decision for one call, and the TAT to store (``None``: refused, store nothing)."""
        tat = now if stored_tat is None or stored_tat < now else stored_tat
        new_tat = tat + self.increment
        if new_tat - now > self.window:
            return self.decision(False, tat - now, new_tat - self.window - now), None
        return self.decision(True, new_tat - now, 0), new_tat

    def decision(self, allowed: bool, ahead: int, retry: int) -> RateLimitDecision:
        """The decision from how far the TAT runs ahead of now after the call (microseconds).

        Args:
            allowed: Whether the call was counted.
            ahead: The TAT after the call minus now.
            retry: Microseconds until a refused call of the same cost would be allowed.
        """
        return RateLimitDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, (self.window - ahead) // self.interval),
            retry_after=retry / MICROSECONDS,
            reset_after=ahead / MICROSECONDS,
        )


# A route's limit is the same few (limit, period, cost) on every request: check and derive them
# once. ``typed``: ``True`` and ``1`` must not share an entry (``True`` is refused).
gcra_for = functools.lru_cache(maxsize=256, typed=True)(Gcra.of)
"""``Gcra.of``, remembered for the last 256 distinct arguments (bad ones raise every time)."""


# The same decision as Gcra.decide, in Redis, on the server's clock. ARGV: limit, interval,
# increment (microseconds). Returns {allowed, tat - now, retry} as integers; the TAT is written
# with %d because Lua's default number format keeps only 14 significant digits. A key holding
# something else than a TAT is an error, as in MemoryStore (a set is WRONGTYPE from GET).
GCRA_SCRIPT = """
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local increment = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local window = limit * interval
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
    if not string.match(stored, '^-?%d+$') then
        return redis.error_reply('ERR value is not an integer or out of range')
    end
    tat = math.max(tonumber(stored), now)
end
local new_tat = tat + increment
if new_tat - now > window then
    return {0, tat - now, new_tat - window - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, new_tat - now, 0}
"""
