"""Application-wide rate limiting: every HTTP request counted against one shared limit.

Pure ASGI and standard library only: counts live in a :class:`~covet.stores.Store` passed in
(a per-app :class:`~covet.stores.MemoryStore` by default, a ``RedisStore`` to share the limit
between processes), decided by one atomic GCRA call per request and rate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from covet.exceptions import ConfigurationError, HTTPException
from covet.middleware._config import resolve_config
from covet.middleware.errors import http_exception_response
from covet.ratelimit._limiter import (
    UNKNOWN_CLIENT,
    KeyFunction,
    Policies,
    identity_of,
    resolve_key,
)
from covet.ratelimit._rates import Rate, parse_rates
from covet.requests import Request
from covet.stores import MemoryStore, Store, StoreUnavailableError
from covet.types import ASGIApp, Message, Receive, Scope, Send

OPT = "rate_limit"
_RATELIMIT = b"ratelimit"

# A route's own limit (opt={"rate_limit": "10/minute"}): its policies and store key prefixes;
# ``None`` when the route is exempt (opt={"rate_limit": False}).
_RouteLimit = tuple[Policies, tuple[str, ...]] | None


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """The settings of :class:`RateLimitMiddleware`, checked when built.

    Attributes:
        limit: The rate every client gets: ``"100/minute"``, ``"10/30s"``,
            ``"5 per second"``, several as ``"10/second;1000/hour"`` or a list.
        key: Who is counted: ``"ip"`` (default: the client address, which is the real
            client's after ``ProxyHeadersMiddleware``), ``"user"`` or a function taking the
            request and returning a string (``None``: the request is not limited).
        fail_open: While the store is unavailable, let requests through (logged once per
            outage) or answer 503 with ``Retry-After`` (``False``).
        exempt_paths: Paths never limited: exact (``"/health"``) or a prefix ending in
            ``*`` (``"/static/*"``).
        exempt_methods: Methods never limited (``["OPTIONS"]``).
        name: The policy name in the headers and of the budget in the store
            (default ``<limit>-per-<seconds>s``).
    """

    limit: str | Rate | Sequence[str | Rate]
    key: str | KeyFunction | None = None
    fail_open: bool = True
    exempt_paths: Sequence[str] = ()
    exempt_methods: Sequence[str] = ()
    name: str | None = None
    rates: tuple[Rate, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", parse_rates(self.limit, name=self.name))
        resolve_key(self.key, "RateLimitMiddleware")
        if not isinstance(self.fail_open, bool):
            raise ConfigurationError(
                f"RateLimitMiddleware fail_open must be True or False, not {self.fail_open!r}."
            )
        for path in _strings(self.exempt_paths, "exempt_paths"):
            if not path.startswith("/"):
                raise ConfigurationError(
                    f"RateLimitMiddleware exempt_paths entry {path!r} must start with '/' "
                    "(an exact path, or a prefix ending in '*')."
                )
        for method in _strings(self.exempt_methods, "exempt_methods"):
            if not method.isascii() or not method.isalpha():
                raise ConfigurationError(
                    f"RateLimitMiddleware exempt_methods entry {method!r} is not an HTTP method."
                )


def _strings(values: Iterable[str], setting: str) -> list[str]:
    if isinstance(values, str):
        raise ConfigurationError(
            f"RateLimitMiddleware {setting} must be a list of strings, not the string {values!r}."
        )
    items = list(values)
    for item in items:
        if not isinstance(item, str):
            raise ConfigurationError(
                f"RateLimitMiddleware {setting} must hold strings, got {item!r}."
            )
    return items


class RateLimitMiddleware:
    """Limit every client's HTTP requests: 429 beyond the limit, RateLimit headers always.

    A refused request gets a 429 problem response with ``Retry-After`` (whole seconds,
    rounded up) and the ``RateLimit-Policy``/``RateLimit`` headers (IETF
    draft-ietf-httpapi-ratelimit-headers); allowed responses carry the latter two as well.
    Routes opt out with ``opt={"rate_limit": False}`` or get their own limit, counted apart,
    with ``opt={"rate_limit": "10/minute"}``. WebSocket and lifespan events pass through.

    Add it inside ``ProxyHeadersMiddleware`` (add this one first) so the client address it
    keys by is the real client's, not the proxy's.

    Args:
        app: The application to wrap.
        store: Where counts live. By default a :class:`~covet.stores.MemoryStore` of this
            app: per process, so with several workers each counts alone; give a
            ``RedisStore`` to share one exact limit. The store is closed at shutdown.
        config: The settings, or give them as keywords (see :class:`RateLimitConfig`).
        **options: :class:`RateLimitConfig` fields.

    Raises:
        ConfigurationError: a bad setting, or both ``config`` and keywords.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: Store | None = None,
        config: RateLimitConfig | None = None,
        **options: Any,
    ) -> None:
        try:
            config = resolve_config("RateLimitMiddleware", RateLimitConfig, config, options)
        except TypeError as exc:  # limit= missing
            raise ConfigurationError(f"RateLimitMiddleware: {exc}") from exc
        if store is not None and not isinstance(store, Store):
            raise ConfigurationError(
                f"RateLimitMiddleware store must be a covet.stores.Store, not {store!r}."
            )
        self.app = app
        self.config = config
        self.store: Store = MemoryStore() if store is None else store
        self.policies = Policies(
            config.rates, fail_open=config.fail_open, what="RateLimitMiddleware"
        )
        scope_part = "global" if config.name is None else f"name:{config.name}"
        self._prefixes = self.policies.keys(scope_part)
        self._key = resolve_key(config.key, "RateLimitMiddleware")
        self._exempt_methods = frozenset(m.upper() for m in config.exempt_methods)
        self._exempt_exact = frozenset(p for p in config.exempt_paths if not p.endswith("*"))
        self._exempt_prefixes = tuple(p[:-1] for p in config.exempt_paths if p.endswith("*"))
        self._any_exempt = bool(self._exempt_methods or self._exempt_exact or self._exempt_prefixes)
        # Whether any route sets opt["rate_limit"] (None: not looked yet). Without any, the
        # request path never looks its route up.
        self._route_options: bool | None = None
        self._route_limits: dict[Any, _RouteLimit] = {}

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Check the routes' ``rate_limit`` options at start-up; close the store at shutdown."""
        async with self.store.lifespan(app):
            self._scan(app)
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self._any_exempt and self._exempt(scope)):
            await self.app(scope, receive, send)
            return
        policies, prefixes = self.policies, self._prefixes
        if self._route_options is not False:
            if self._route_options is None:
                self._scan(scope.get("app"))
            if self._route_options:
                route_limit = self._route_limit(scope)
                if route_limit is None:
                    await self.app(scope, receive, send)
                    return
                policies, prefixes = route_limit
        key = self._key
        if key is None:
            # PERF: keyed by address (the default), the key comes from the scope: no Request.
            client = scope.get("client")
            identity = client[0] if client else UNKNOWN_CLIENT
        else:
            found = await identity_of(key, Request(scope, receive))
            if found is None:
                await self.app(scope, receive, send)
                return
            identity = found
        value: bytes | None = None  # the RateLimit field when the request is allowed
        refusal: HTTPException | None = None  # the 429, or the fail-closed 503
        single = policies.single
        try:
            if single is not None:
                # PERF: one rate, the common case: the store is called right here (no
                # coroutine in between), the RateLimit value is one bytes format.
                limit, period, item = single
                decision = await self.store.rate_limit(
                    prefixes[0] + identity, limit=limit, period=period
                )
                if policies.down_since is not None:
                    policies.recovered()
                if decision.allowed:
                    value = item + b"%d;t=%d" % (decision.remaining, ceil(decision.reset_after))
                else:
                    refusal = policies.refusal([decision])
            else:
                decisions = await policies.decide(self.store, prefixes, identity)
                if decisions is None:
                    pass  # the store is down and the limit fails open
                elif decisions[-1].allowed:  # only the last can refuse: the checks stop there
                    value = policies.ratelimit_value(decisions)
                else:
                    refusal = policies.refusal(decisions)
        except StoreUnavailableError as exc:  # from the single rate's call
            refusal = policies.unavailable(exc)
        except HTTPException as exc:  # from decide(): the store is down, the limit closed
            refusal = exc
        if refusal is not None:
            await self._answer(refusal, scope, receive, send)
            return
        if value is None:
            await self.app(scope, receive, send)
            return
        extra = (policies.policy_header, (_RATELIMIT, value))

        # PERF: a plain function returning send()'s awaitable: no coroutine frame per message.
        def send_with_headers(message: Message) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            return send(message)

        await self.app(scope, receive, send_with_headers)

    def _exempt(self, scope: Scope) -> bool:
        if scope["method"] in self._exempt_methods:
            return True
        path: str = scope["path"]
        return path in self._exempt_exact or path.startswith(self._exempt_prefixes)

    async def _answer(self, exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
        error_format = getattr(scope.get("app"), "error_format", "problem")
        await http_exception_response(scope, exc, error_format)(scope, receive, send)

    def _scan(self, app: Any) -> None:
        """Find (and check) the routes' own limits; ConfigurationError names a bad one."""
        routes = getattr(getattr(app, "router", None), "routes", None) or ()
        found = False
        for route in routes:
            opt = getattr(route, "opt", None)
            if opt and OPT in opt:
                found = True
                self._route_limits[route] = self._limit_of(route, opt[OPT])
        self._route_options = found

    def _route_limit(self, scope: Scope) -> _RouteLimit:
        """The limit for the route that will serve ``scope`` (the app-wide one by default)."""
        app = scope.get("app")
        route = app.router.route_for(scope) if app is not None else None
        if route is None:
            return self.policies, self._prefixes
        try:
            return self._route_limits[route]
        except KeyError:
            opt = getattr(route, "opt", None)
            value = opt.get(OPT, True) if opt else True
            found = self._route_limits[route] = self._limit_of(route, value)
            return found

    def _limit_of(self, route: Any, value: Any) -> _RouteLimit:
        if value is False:
            return None
        if value is True or value is None:
            return self.policies, self._prefixes
        try:
            rates = parse_rates(value)
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"Route {getattr(route, 'path', route)!r} has opt rate_limit={value!r}: {exc}"
            ) from exc
        policies = Policies(rates, fail_open=self.config.fail_open, what="RateLimitMiddleware")
        methods = ",".join(sorted(getattr(route, "methods", ()) or ()))
        return policies, policies.keys(f"route:{methods}:{route.path}")
