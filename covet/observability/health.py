"""Liveness and readiness probes: ``/healthz`` and ``/readyz`` for Kubernetes and load balancers.

Liveness answers as long as the event loop does. Readiness runs the app's checks (a database's
``health``, a store's ``health`` or ``ping``, any async callable) concurrently, each within a
timeout, and caches the outcome for a moment so frequent probes cannot overload a database.
It is ready only between the end of the lifespan's start-up and the start of its shutdown.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from covet._callables import CallKind, call_kind
from covet.concurrency import run_in_threadpool
from covet.exceptions import ConfigurationError
from covet.requests import Request
from covet.responses import JSONResponse
from covet.routing.router import Router

__all__ = ["CheckResult", "HealthCheck", "HealthReport"]

logger = logging.getLogger("covet.observability.health")

#: A readiness check: returns ``None``/``True`` when healthy, ``False`` or raises when not.
Check = Callable[[], Awaitable[bool | None] | bool | None]
_C = TypeVar("_C", bound=Check)

_NO_STORE = {"cache-control": "no-store"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: ``ok``, how long it took, and why it failed (if it did)."""

    name: str
    ok: bool
    duration_ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of this result in the ``/readyz`` body."""
        body: dict[str, Any] = {
            "status": "ok" if self.ok else "failing",
            "duration_ms": round(self.duration_ms, 2),
        }
        if self.error is not None:
            body["error"] = self.error
        return body


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The results of one run of every check, and when it finished (``time.monotonic()``)."""

    results: tuple[CheckResult, ...]
    finished_at: float

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(result.ok for result in self.results)

    @property
    def failing(self) -> list[str]:
        """The names of the checks that failed, in registration order."""
        return [result.name for result in self.results if not result.ok]


class HealthCheck:
    """Liveness (``/healthz``) and readiness (``/readyz``) probes, as a router to include.

    ``app.include_router(HealthCheck(checks={"db": db.health, "cache": store.health}).router)``

    A check is a callable taking no arguments, usually ``async``: it passes by returning
    ``None`` or ``True`` and fails by returning ``False``, raising, or not finishing within
    ``timeout``. Sync checks run in the thread pool. ``/readyz`` answers 200 when every check
    passes, else 503 with a JSON body naming each failing check; it also answers 503 before
    the app's lifespan start-up has finished (``app.started``) and from the moment shutdown
    begins (``app.shutting_down``), so a load balancer stops sending traffic first.

    Args:
        checks: A sequence of checks (named after their object: ``db.health`` is
            ``"database"``, ``store.health`` ``"redisstore"``) or a mapping of name to check.
        timeout: Seconds each check may take before it counts as failed.
        cache_seconds: How long a finished run's outcome answers probes; concurrent probes
            share one run as well. ``0`` runs the checks on every probe.
        liveness_path: Where liveness is served (``None``: not served).
        readiness_path: Where readiness is served.
        include_in_schema: ``False`` leaves both probes out of the OpenAPI document.
        tags: OpenAPI tags of the probes.

    Raises:
        ConfigurationError: A check is not callable, a name is repeated, or a number is out
            of range.
    """

    def __init__(
        self,
        checks: Sequence[Check] | Mapping[str, Check] = (),
        *,
        timeout: float = 2.0,
        cache_seconds: float = 1.0,
        liveness_path: str | None = "/healthz",
        readiness_path: str = "/readyz",
        include_in_schema: bool = True,
        tags: Sequence[str] = ("health",),
    ) -> None:
        if not timeout > 0:
            raise ConfigurationError(f"HealthCheck: timeout must be > 0 seconds, not {timeout!r}.")
        if not cache_seconds >= 0:
            raise ConfigurationError(
                f"HealthCheck: cache_seconds must be >= 0, not {cache_seconds!r}."
            )
        self.timeout = float(timeout)
        self.cache_seconds = float(cache_seconds)
        self.liveness_path = liveness_path
        self.readiness_path = readiness_path
        self.include_in_schema = include_in_schema
        self.tags = list(tags)
        self.checks: dict[str, Check] = {}
        named = checks.items() if isinstance(checks, Mapping) else ((None, c) for c in checks)
        for name, check in named:
            self.add(check, name=name)
        self._report: HealthReport | None = None
        self._running: asyncio.Task[HealthReport] | None = None
        self._router: Router | None = None

    # -- registration -------------------------------------------------------------------

    def add(self, check: Check, *, name: str | None = None) -> None:
        """Register ``check`` under ``name`` (default: derived from the callable)."""
        if not callable(check):
            raise ConfigurationError(f"HealthCheck: a check must be callable, not {check!r}.")
        if name is None:
            name = self._free_name(_default_name(check))
        elif name in self.checks:
            raise ConfigurationError(f"HealthCheck: a check named {name!r} is already registered.")
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"HealthCheck: a check name must be a string, not {name!r}.")
        self.checks[name] = check
        self._report = None

    def check(self, name: str, fn: _C | None = None) -> Any:
        """Register ``fn`` as the check ``name``; without ``fn``, a decorator doing it.

        ``health.check("db", db.health)`` or::

            @health.check("queue")
            async def queue_answers() -> bool: ...
        """
        if fn is not None:
            self.add(fn, name=name)
            return fn

        def decorator(func: _C) -> _C:
            self.add(func, name=name)
            return func

        return decorator

    def _free_name(self, base: str) -> str:
        name, n = base, 1
        while name in self.checks:
            n += 1
            name = f"{base}-{n}"
        return name

    # -- running ------------------------------------------------------------------------

    async def run(self) -> HealthReport:
        """Run every check concurrently now (no cache) and return their results."""
        results = await asyncio.gather(
            *(self._run_one(name, check) for name, check in self.checks.items())
        )
        report = HealthReport(tuple(results), time.monotonic())
        self._report = report
        return report

    async def report(self) -> HealthReport:
        """The cached report when it is fresh, else the result of a new (shared) run."""
        cached = self._report
        if cached is not None and time.monotonic() - cached.finished_at < self.cache_seconds:
            return cached
        running = self._running
        if (
            running is None
            or running.done()
            or running.get_loop() is not asyncio.get_running_loop()
        ):
            running = self._running = asyncio.get_running_loop().create_task(self.run())
        # Shielded: a probe that disconnects does not cancel the run other probes wait for.
        return await asyncio.shield(running)

    async def _run_one(self, name: str, check: Check) -> CheckResult:
        start = time.perf_counter()
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                if call_kind(check) is CallKind.SYNC:
                    outcome = await run_in_threadpool(check)
                else:
                    outcome = check()
                if inspect.isawaitable(outcome):
                    outcome = await outcome
            if outcome is False:
                error = "the check returned False"
        except TimeoutError:
            error = f"timed out after {self.timeout:g}s"
        except Exception as exc:
            # The exception's text may name hosts or credentials: logged, not served.
            logger.warning("Readiness check %r failed", name, exc_info=exc)
            error = f"raised {type(exc).__name__}"
        duration_ms = (time.perf_counter() - start) * 1000
        if error is not None:
            logger.warning("Readiness check %r is failing: %s", name, error)
        return CheckResult(name, error is None, duration_ms, error)

    # -- HTTP -----------------------------------------------------------------------------

    @property
    def router(self) -> Router:
        """The router serving the probes: ``app.include_router(health.router)``."""
        if self._router is None:
            self._router = self._make_router()
        return self._router

    def _make_router(self) -> Router:
        router = Router(tags=self.tags, include_in_schema=self.include_in_schema)
        if self.liveness_path is not None:
            router.add_api_route(
                self.liveness_path,
                _liveness,
                name="healthz",
                summary="Liveness probe",
                responses={200: {"description": "The process and its event loop answer."}},
            )
        router.add_api_route(
            self.readiness_path,
            self._readiness,
            name="readyz",
            summary="Readiness probe",
            description="Runs the readiness checks: " + (", ".join(self.checks) or "none") + ".",
            responses={
                200: {"description": "Started, not shutting down, and every check passes."},
                503: {"description": "Starting, shutting down, or a check failing (named)."},
            },
        )
        return router

    async def _readiness(self, request: Request) -> JSONResponse:
        app = request.app
        if getattr(app, "shutting_down", False):
            return JSONResponse({"status": "shutting down"}, 503, _NO_STORE)
        if not getattr(app, "started", True):
            return JSONResponse({"status": "starting"}, 503, _NO_STORE)
        report = await self.report()
        body: dict[str, Any] = {
            "status": "ready" if report.ok else "not ready",
            "checks": {result.name: result.as_dict() for result in report.results},
        }
        if not report.ok:
            body["failing"] = report.failing
            return JSONResponse(body, 503, _NO_STORE)
        return JSONResponse(body, 200, _NO_STORE)


async def _liveness() -> JSONResponse:
    """Answer 200 as long as the event loop runs."""
    return JSONResponse({"status": "alive"}, 200, _NO_STORE)


def _default_name(check: Any) -> str:
    """``db.health`` → ``"database"``; a function → its name."""
    owner = getattr(check, "__self__", None)
    name = getattr(check, "__name__", "")
    if owner is not None and not isinstance(owner, type) and name in ("health", "ping", "check"):
        return type(owner).__name__.lower()
    return name or type(check).__name__.lower()
