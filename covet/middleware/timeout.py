"""Request deadlines: an app-wide one and per-route ones; an overrunning handler gets a 504.

The deadline covers the time until the response starts (``http.response.start``): reading
the request, dependencies, the handler. Once the response has started, it no longer
applies, so streaming responses and background tasks run to their end.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.responses.problem import ProblemResponse
from covet.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["TimeoutConfig", "TimeoutMiddleware"]

logger = logging.getLogger("covet.timeout")

#: The key of a route's ``opt`` mapping that sets its deadline (seconds, or ``None``).
OPT_KEY = "timeout"


def _check_seconds(value: object, where: str) -> float | None:
    """``value`` as a deadline in seconds; ``None`` means no deadline."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"TimeoutMiddleware: {where} must be a positive number of seconds or None "
            f"(no deadline), not {value!r}."
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class TimeoutConfig:
    """The app-wide deadline of :class:`TimeoutMiddleware`.

    Attributes:
        timeout: Seconds from the start of a request until its response must have started;
            ``None`` for no app-wide deadline (routes may still set one). A route's
            ``opt={"timeout": seconds}`` replaces it for that route, longer or shorter;
            ``opt={"timeout": None}`` takes the route out.
    """

    timeout: float | None = 30.0

    def __post_init__(self) -> None:
        _check_seconds(self.timeout, "timeout")


class TimeoutMiddleware:
    """Cancel a handler that overruns its deadline and answer 504 (a problem document).

    The handler is cancelled (``asyncio.CancelledError`` inside it), so its generator
    dependencies see the cancellation and run their cleanup before the 504 is sent. A sync
    handler in the thread pool cannot be stopped: the 504 is sent on time and the thread
    finishes its work, its result dropped. WebSocket connections have no deadline.

    Args:
        app: The wrapped application.
        config: A ready :class:`TimeoutConfig`; or give ``timeout=`` as a keyword option.

    Raises:
        ConfigurationError: The timeout, or a route's ``opt["timeout"]``, is not a positive
            number or ``None``.
    """

    def __init__(
        self, app: ASGIApp, *, config: TimeoutConfig | None = None, **options: Any
    ) -> None:
        self.app = app
        self.config = resolve_config("TimeoutMiddleware", TimeoutConfig, config, options)
        self._default = self.config.timeout

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Check every route's ``opt["timeout"]`` at start-up, so a bad one stops the app."""
        for route in getattr(getattr(app, "router", None), "routes", ()):
            opt = getattr(route, "opt", None)
            if opt and OPT_KEY in opt:
                _check_seconds(opt[OPT_KEY], f"opt['timeout'] of route {route.path!r}")
        yield

    def _seconds_for(self, scope: Scope) -> float | None:
        """The deadline of the route that will serve this request (the app's by default)."""
        router = getattr(scope.get("app"), "router", None)
        if router is None:
            return self._default
        route = router.route_for(scope)
        opt = getattr(route, "opt", None)
        if opt and OPT_KEY in opt:
            return _check_seconds(opt[OPT_KEY], f"opt['timeout'] of route {route.path!r}")
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = self._seconds_for(scope)
        if seconds is None:
            await self.app(scope, receive, send)
            return
        deadline = asyncio.timeout(seconds)
        started = False

        async def send_lifting_deadline(message: Message) -> None:
            nonlocal started
            if not started and message["type"] == "http.response.start":
                started = True
                if not deadline.expired():
                    deadline.reschedule(None)  # the response has started: no more deadline
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, send_lifting_deadline)
        except TimeoutError:
            if not deadline.expired():
                raise  # the app's own TimeoutError, not our deadline
            self._report(scope, seconds, started)
            if not started:
                await self._timed_out(seconds)(scope, receive, send)

    def _report(self, scope: Scope, seconds: float, started: bool) -> None:
        path = scope.get("path", "").encode("unicode_escape").decode("ascii")
        logger.warning(
            "%s %s overran its %gs deadline%s",
            scope.get("method"),
            path,
            seconds,
            " after its response started; the response was cut" if started else ": 504",
        )

    def _timed_out(self, seconds: float) -> ProblemResponse:
        return ProblemResponse(
            504, f"The server did not answer within the request's {seconds:g} s deadline."
        )
