"""``RateLimit``: a per-route (or per-router) rate limit, declared as a dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from covet.openapi.contributions import OpenAPIContribution
from covet.params import Depends
from covet.ratelimit._limiter import (
    KeyFunction,
    Policies,
    client_host,
    identity_of,
    resolve_key,
)
from covet.ratelimit._rates import Rate, parse_rates
from covet.requests import Request
from covet.responses import Response
from covet.stores import MemoryStore, RateLimitDecision, Store

OPT = "rate_limit"


class RateLimit(Depends):
    """Limit how often a client may call a route: ``dependencies=[RateLimit("5/minute")]``.

    Works wherever a dependency does: a route's ``dependencies=``, a ``Router(dependencies=)``
    or ``include_router(dependencies=)`` (each route then has its own budget, unless the
    limit is given a ``name``: routes sharing a named limit share its budget), or as a
    parameter, ``quota: Annotated[RateLimitDecision | None, RateLimit("5/minute")]``, which
    receives the tightest rate's decision (``None`` while a fail-open store is down).

    A refused request gets a 429 problem response with ``Retry-After``; every limited
    response carries the ``RateLimit-Policy`` and ``RateLimit`` headers. A route with
    ``opt={"rate_limit": False}`` is not limited by a router-wide ``RateLimit``.

    Args:
        limit: ``"5/minute"``, ``"10/30s"``, ``"5 per minute"``, several as
            ``"10/second;100/minute"`` or a list (see :func:`~covet.ratelimit.parse_rates`).
        key: Who is counted: ``"ip"`` (default, the client address), ``"user"``
            (:func:`~covet.ratelimit.user_or_ip`) or a function taking the request and
            returning a string (sync or async; ``None`` exempts the request).
        store: Where counts live; by default a :class:`~covet.stores.MemoryStore` per
            application (per process: use a :class:`~covet.stores.RedisStore` to share a
            limit between processes). The store is closed when the application shuts down.
        name: Name of the policy in the headers and of the budget in the store.
        fail_open: While the store is unavailable, let requests through (``True``, logged
            once per outage) or answer 503 with ``Retry-After`` (``False``).

    Raises:
        ConfigurationError: a bad rate, key or name.
    """

    __slots__ = ("_key", "_name", "_routes", "policies", "store")

    policies: Policies
    store: Store | None
    _key: KeyFunction | None
    _name: str | None
    _routes: dict[Any, tuple[str, ...]]

    def __init__(
        self,
        limit: str | Rate | Iterable[str | Rate],
        *,
        key: str | KeyFunction | None = None,
        store: Store | None = None,
        name: str | None = None,
        fail_open: bool = True,
    ) -> None:
        rates = parse_rates(limit, name=name)
        policies = Policies(rates, fail_open=bool(fail_open), what=f"RateLimit({limit!r})")
        object.__setattr__(self, "policies", policies)
        object.__setattr__(self, "store", store)
        object.__setattr__(self, "_key", resolve_key(key, "RateLimit"))
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_routes", {})
        super().__init__(_dependency(self))

    def __repr__(self) -> str:
        rates = ";".join(f"{rate.limit}/{rate.period}s" for rate in self.policies.rates)
        return f"RateLimit({rates!r})"

    def openapi_contribution(self) -> OpenAPIContribution:
        """A 429 response with ``Retry-After`` and the RateLimit headers."""
        return OpenAPIContribution(responses={429: too_many_requests(self.policies)})

    async def open_store(self) -> AsyncIterator[Store]:
        """The store for one application, closed when it shuts down."""
        store = MemoryStore() if self.store is None else self.store
        try:
            yield store
        finally:
            await store.close()

    async def check(
        self, request: Request, response: Response, store: Store
    ) -> RateLimitDecision | None:
        """Count the request; raise the 429 (or the fail-closed 503) when it is refused."""
        scope = request.scope
        route = scope.get("route")
        opt = getattr(route, "opt", None)
        if opt and opt.get(OPT) is False:
            return None
        key = self._key
        if key is None:
            identity = client_host(scope)
        else:
            found = await identity_of(key, request)
            if found is None:
                return None
            identity = found
        policies = self.policies
        decisions = await policies.decide(store, self._prefixes(route), identity)
        if decisions is None:
            return None
        if not decisions[-1].allowed:  # only the last can refuse: the checks stop there
            raise policies.refusal(decisions)
        # PERF: the header bytes are ready (and safe): appended raw, not through MutableHeaders.
        raw = response.raw_headers
        raw.append(policies.policy_header)
        raw.append((b"ratelimit", policies.ratelimit_value(decisions)))
        return decisions[0] if len(decisions) == 1 else min(decisions, key=_tightness)

    def _prefixes(self, route: Any) -> tuple[str, ...]:
        # PERF: the keys' fixed part, built once per route (a router-wide limit has several).
        found = self._routes.get(route)
        if found is None:
            found = self._routes[route] = self.policies.keys(self._scope_part(route))
        return found

    def _scope_part(self, route: Any) -> str:
        if self._name is not None:
            return f"name:{self._name}"
        if route is None:
            return "route:?"
        methods = ",".join(sorted(getattr(route, "methods", ()) or ()))
        return f"route:{methods}:{route.path}"


def _tightness(decision: RateLimitDecision) -> tuple[bool, int]:
    return (decision.allowed, decision.remaining)


def _dependency(limit: RateLimit) -> Callable[..., Any]:
    """The function the DI engine plans: request, Response and the app-scoped store."""
    provide = Depends(limit.open_store, scope="app")

    async def rate_limit(
        request: Request,
        response: Response,
        # The DI engine reads the Depends default: the store, created once per app.
        store: Store = provide,  # type: ignore[assignment]
    ) -> RateLimitDecision | None:
        return await limit.check(request, response, store)

    rate_limit.openapi_contribution = limit.openapi_contribution  # type: ignore[attr-defined]
    rate_limit.__qualname__ = f"RateLimit.{limit!r}"
    return rate_limit


def too_many_requests(policies: Policies) -> dict[str, Any]:
    """The OpenAPI 429 response of a limit: problem body, Retry-After, RateLimit headers."""
    text = "; ".join(str(rate) for rate in policies.rates)
    integer = {"schema": {"type": "integer", "minimum": 0}}
    string = {"schema": {"type": "string"}}
    return {
        "description": f"Too Many Requests: over the rate limit ({text}).",
        "headers": {
            "Retry-After": {"description": "Seconds to wait before retrying.", **integer},
            "RateLimit-Policy": {
                "description": f"The quota policy: {policies.policy_value}",
                **string,
            },
            "RateLimit": {
                "description": "Remaining quota (r) and seconds until it is whole (t).",
                **string,
            },
        },
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status"],
}
