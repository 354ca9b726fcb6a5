"""What the middleware and the ``RateLimit`` dependency share: keys, decisions, headers, outages.

Each request is counted by one atomic :meth:`covet.stores.Store.rate_limit` call per rate
(GCRA: on Redis one Lua script), so a limit holds exactly with many processes on one store.
The header bytes that do not change per request are built once, at construction.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from covet.exceptions import ConfigurationError, HTTPException
from covet.ratelimit._rates import Rate
from covet.requests import Request
from covet.stores import RateLimitDecision, Store, StoreUnavailableError
from covet.types import Scope

logger = logging.getLogger("covet.ratelimit")

KeyFunction = Callable[[Request], "str | Awaitable[str | None] | None"]
"""Takes the request, returns the client's key (``None``: do not limit this request)."""

KEY_PREFIX = "ratelimit:"
# A longer key (from a key function reading client data, say) is stored as its SHA-256, so a
# client cannot make the store hold arbitrarily large keys.
MAX_IDENTITY = 200
# While the store stays down, the warning is repeated at most this often (seconds).
OUTAGE_WARNING_INTERVAL = 60.0
# The Retry-After of the 503 a fail-closed limiter answers while its store is down.
OUTAGE_RETRY_AFTER = 5
UNKNOWN_CLIENT = "unknown"


class RateLimitExceededError(HTTPException):
    """A request over its rate limit: a 429 with ``Retry-After`` and the RateLimit headers.

    Raised by :class:`~covet.ratelimit.RateLimit` dependencies (register an exception handler
    for it, or for 429, to answer differently); the middleware answers the same response.

    Attributes:
        rate: The rate that refused the request.
        decision: The store's decision for it.
    """

    def __init__(self, rate: Rate, decision: RateLimitDecision, headers: dict[str, str]) -> None:
        retry = headers["Retry-After"]
        super().__init__(
            429,
            f"Rate limit of {rate} exceeded; retry in {retry} second{'' if retry == '1' else 's'}.",
            headers,
        )
        self.rate = rate
        self.decision = decision


class RateLimitUnavailableError(HTTPException):
    """The rate limit's store is down and the limiter fails closed: a 503 with Retry-After."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "Rate limiting is temporarily unavailable; retry shortly.",
            {"Retry-After": str(OUTAGE_RETRY_AFTER)},
        )


def client_ip(request: Request) -> str:
    """Key requests by the client's address (after ``ProxyHeadersMiddleware``: the real one)."""
    return client_host(request.scope)


def client_host(scope: Scope) -> str:
    """The client address in ``scope`` (``"unknown"`` when the server reports none)."""
    client = scope.get("client")
    return UNKNOWN_CLIENT if not client else str(client[0])


def user_or_ip(request: Request) -> str:
    """Key requests by the authenticated user, or by the client's address when anonymous.

    The user is ``scope["user"]`` (set by authentication middleware) or ``request.state.user``
    (set by a dependency or middleware): its ``identity``, ``id`` or ``username`` attribute,
    or the value itself when it is a string or an integer. Keys are ``user:<id>``, so a user
    and an address never share a budget.
    """
    scope = request.scope
    user = scope.get("user")
    if user is None:
        user = scope.get("state", {}).get("user")
    identity = _identity(user)
    return client_host(scope) if identity is None else f"user:{identity}"


def _identity(user: Any) -> str | None:
    if user is None or isinstance(user, bool):
        return None
    if isinstance(user, str | int):
        return str(user) if user != "" else None
    for attribute in ("identity", "id", "username"):
        value = getattr(user, attribute, None)
        if value is not None and value != "":
            return str(value)
    return None


BUILTIN_KEYS: dict[str, KeyFunction | None] = {"ip": None, "user": user_or_ip}


def resolve_key(key: str | KeyFunction | None, owner: str) -> KeyFunction | None:
    """The key function for ``key`` (``None``: the client address, read from the scope).

    Raises:
        ConfigurationError: ``key`` is neither a known name nor a callable.
    """
    if key is None:
        return None
    if isinstance(key, str):
        if key not in BUILTIN_KEYS:
            raise ConfigurationError(
                f"{owner} key={key!r} is not a known key: use 'ip', 'user' or a function "
                "taking the request and returning a string."
            )
        return BUILTIN_KEYS[key]
    if not callable(key):
        raise ConfigurationError(
            f"{owner} key must be 'ip', 'user' or a function taking the request, not {key!r}."
        )
    return key


async def identity_of(key: KeyFunction, request: Request) -> str | None:
    """Run a key function (sync or async) and bound the length of what it returns."""
    value: Any = key(request)
    if inspect.isawaitable(value):
        value = await value
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_IDENTITY:
        return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return text


class Policies:
    """One or more rates with their header bytes built once.

    Args:
        rates: The rates, checked by :func:`~covet.ratelimit.parse_rates`.
        fail_open: Let requests through while the store is down (else answer 503).
        what: Who limits, for the outage warnings (``"RateLimitMiddleware"``...).
    """

    def __init__(self, rates: tuple[Rate, ...], *, fail_open: bool, what: str) -> None:
        # Shortest period first: a request the per-second rate refuses is not charged to the
        # per-hour one (see decide()).
        rates = tuple(sorted(rates, key=lambda rate: rate.period))
        self.rates = rates
        self.fail_open = fail_open
        self.what = what
        # PERF: the policy field never changes, and each RateLimit item's prefix neither.
        self.policy_value = ", ".join(f'"{r.name}";q={r.limit};w={r.period}' for r in rates)
        self.policy_header = (b"ratelimit-policy", self.policy_value.encode("ascii"))
        self._item_prefixes = tuple(f'"{r.name}";r='.encode("ascii") for r in rates)
        # (limit, period, RateLimit item prefix) of the only rate, for callers' fast paths.
        self.single = (
            (rates[0].limit, rates[0].period, self._item_prefixes[0]) if len(rates) == 1 else None
        )
        self.down_since: float | None = None
        self._warned_at = 0.0
        self._passed = 0

    def keys(self, scope_part: str) -> tuple[str, ...]:
        """The store key prefix of each rate for one limited scope (``global``, a route...)."""
        return tuple(f"{KEY_PREFIX}{scope_part}:{rate.name}:" for rate in self.rates)

    async def decide(
        self, store: Store, prefixes: tuple[str, ...], identity: str
    ) -> list[RateLimitDecision] | None:
        """Count the request against each rate; ``None`` when the store is down and open.

        The rates are checked shortest period first, and the first refusal ends the checks:
        a refused request is charged to the shorter rates before it (GCRA does not charge
        the refusing one), never to the longer ones after it.

        Raises:
            RateLimitUnavailableError: the store is down and the limiter fails closed.
        """
        decisions = []
        try:
            for prefix, rate in zip(prefixes, self.rates, strict=True):
                decision = await store.rate_limit(
                    prefix + identity, limit=rate.limit, period=rate.period
                )
                decisions.append(decision)
                if not decision.allowed:
                    # The longer rates after it (sorted by period) are not charged for a
                    # request that is refused anyway.
                    break
        except StoreUnavailableError as exc:
            closed = self.unavailable(exc)
            if closed is not None:
                raise closed from exc
            return None
        if self.down_since is not None:
            self.recovered()
        return decisions

    def unavailable(self, exc: StoreUnavailableError) -> RateLimitUnavailableError | None:
        """Note that the store is down (warning once per outage, then once a minute at most).

        Returns the 503 to answer when the limiter fails closed, ``None`` when it fails open.
        """
        self._outage(exc)
        return None if self.fail_open else RateLimitUnavailableError()

    def ratelimit_value(self, decisions: list[RateLimitDecision]) -> bytes:
        """The ``RateLimit`` field: each rate's remaining quota and seconds until it is whole."""
        return b", ".join(
            prefix + b"%d;t=%d" % (decision.remaining, _window(decision))
            for prefix, decision in zip(self._item_prefixes, decisions, strict=False)
        )

    def refusal(self, decisions: list[RateLimitDecision]) -> RateLimitExceededError:
        """The 429 for a refused request (the refusing rate's decision is the last)."""
        decision = decisions[-1]
        headers = {
            "Retry-After": str(_window(decision)),
            "RateLimit-Policy": self.policy_value,
            "RateLimit": self.ratelimit_value(decisions).decode("ascii"),
        }
        return RateLimitExceededError(self.rates[len(decisions) - 1], decision, headers)

    def _outage(self, exc: StoreUnavailableError) -> None:
        now = time.monotonic()
        self._passed += 1
        if self.down_since is None:
            self.down_since = now
        elif now - self._warned_at < OUTAGE_WARNING_INTERVAL:
            return
        self._warned_at = now
        outcome = "letting requests through" if self.fail_open else "answering 503"
        logger.warning(
            "%s: the rate limit store is unavailable (%s); %s until it answers again "
            "(%d request(s) so far).",
            self.what,
            exc,
            outcome,
            self._passed,
        )

    def recovered(self) -> None:
        """Note that the store answers again (after :meth:`unavailable`)."""
        since = self.down_since if self.down_since is not None else time.monotonic()
        logger.info(
            "%s: the rate limit store answers again after %.1f s; limiting resumes.",
            self.what,
            time.monotonic() - since,
        )
        self.down_since = None
        self._passed = 0


def _window(decision: RateLimitDecision) -> int:
    """Whole seconds for the ``t`` parameter (and Retry-After): rounded up.

    A refused request's is when it would be allowed; an allowed one's is when the whole quota
    is available again.
    """
    if decision.allowed:
        return math.ceil(decision.reset_after)
    return max(1, math.ceil(decision.retry_after))
