"""``Observability``: the one switch that turns logs, metrics and tracing on for an app."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from covet.exceptions import ConfigurationError
from covet.middleware.accesslog import AccessLogMiddleware
from covet.middleware.request_id import RequestIDMiddleware
from covet.observability.logs import DevFormatter, JSONFormatter

if TYPE_CHECKING:
    from covet.observability.metrics import PrometheusMetrics
    from covet.observability.tracing import Tracing

__all__ = ["Observability"]

_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
# The servers' loggers, and covet's own (``covet run`` gives it a handler of its own): their
# records go through the root handler, formatted like every other.
_SERVER_LOGGERS = (
    "covet",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "granian",
    "hypercorn.error",
)


@dataclass
class _Saved:
    """What configuring logging changed, to put back at shutdown."""

    root_level: int
    loggers: dict[str, tuple[list[logging.Handler], bool, bool]] = field(default_factory=dict)


class Observability:
    """Structured logs, Prometheus metrics and OpenTelemetry tracing, switched on in one place.

    ``obs = Observability(service_name="shop")``, then ``CovetPy(lifespan=obs.lifespan)`` and
    ``obs.instrument(app)``. At start-up the lifespan installs one handler on the root logger,
    so every library's records (uvicorn's included) get the same format: JSON lines
    (:class:`~covet.observability.logs.JSONFormatter`) or, with ``json_logs=False``, readable
    lines (:class:`~covet.observability.logs.DevFormatter`). ``instrument`` adds the request
    id and access log middleware (unless the app has them): every record logged while a
    request runs carries its id, and each request ends with one access line naming its
    route template, status, duration and client. At shutdown the logging set-up is put back.
    With ``metrics``, ``instrument`` also adds
    :class:`~covet.observability.metrics.MetricsMiddleware` (outermost) and serves
    ``metrics_path``; with ``tracing``, :class:`~covet.observability.tracing.TracingMiddleware`
    (a server span per request; trace and span ids on every log line inside it), and the
    lifespan switches the database and Redis instrumentations on while the app runs.

    Args:
        service_name: Written as ``service`` on every JSON line.
        json_logs: JSON lines (production) or readable lines (development).
        log_level: The root logger's level: ``"DEBUG"``, ``"INFO"``, ...
        access_log: Log one line per request (``covet.access``). uvicorn's own access
            lines (``uvicorn.access``) are silenced meanwhile: ours carry more.
        log_stream: Where the lines go (``sys.stderr`` by default).
        static_fields: More fields on every JSON line (``{"env": "prod"}``).
        metrics: ``True`` for Prometheus metrics with the defaults, or a configured
            :class:`~covet.observability.metrics.PrometheusMetrics`. Needs the
            ``observability`` extra: without it this raises ``MissingDependencyError``
            naming it, at start-up.
        metrics_path: Where the metrics are served (``None``: not served by the app).
        tracing: ``True`` for OpenTelemetry tracing exported as the ``OTEL_*`` variables say
            (OTLP by default), or a configured :class:`~covet.observability.tracing.Tracing`.
            Needs the ``observability`` extra as well.

    Raises:
        ConfigurationError: A setting is invalid.
        MissingDependencyError: ``metrics`` without prometheus-client installed.
    """

    def __init__(
        self,
        *,
        service_name: str | None = None,
        json_logs: bool = True,
        log_level: str = "INFO",
        access_log: bool = True,
        log_stream: IO[str] | None = None,
        static_fields: Mapping[str, Any] | None = None,
        metrics: bool | PrometheusMetrics = False,
        metrics_path: str | None = "/metrics",
        tracing: bool | Tracing = False,
    ) -> None:
        if str(log_level).upper() not in _LEVELS:
            raise ConfigurationError(
                f"Observability: log_level must be one of {sorted(_LEVELS)}, not {log_level!r}."
            )
        self.service_name = service_name
        self.json_logs = json_logs
        self.log_level = str(log_level).upper()
        self.access_log = access_log
        self.log_stream = log_stream
        self.formatter: logging.Formatter = (
            JSONFormatter(service_name=service_name, static_fields=static_fields)
            if json_logs
            else DevFormatter()
        )
        self.handler: logging.Handler | None = None
        self._saved: _Saved | None = None
        self.metrics: PrometheusMetrics | None = None
        if metrics is not False:
            from covet.observability.metrics import PrometheusMetrics

            self.metrics = PrometheusMetrics() if metrics is True else metrics
            if not isinstance(self.metrics, PrometheusMetrics):
                raise ConfigurationError(
                    "Observability: metrics must be True, False or a PrometheusMetrics, "
                    f"not {metrics!r}."
                )
        self.metrics_path = metrics_path
        self.tracing: Tracing | None = None
        if tracing is not False:
            from covet.observability.tracing import Tracing

            self.tracing = Tracing(service_name=service_name) if tracing is True else tracing
            if not isinstance(self.tracing, Tracing):
                raise ConfigurationError(
                    f"Observability: tracing must be True, False or a Tracing, not {tracing!r}."
                )

    # -- the app --------------------------------------------------------------------------

    def instrument(self, app: Any, *, databases: Sequence[Any] = ()) -> None:
        """Add what the switch needs to ``app``: middleware and, if absent, the lifespan.

        ``databases`` (``covet.db.Database`` objects) get a child span per query when
        tracing is on. Middleware the app already has (a configured
        ``RequestIDMiddleware``, say) is kept as it is, not added twice. The lifespan is
        entered first, so the other lifespans' start-up logs are formatted too.
        """
        present = {factory for factory, _ in app.user_middleware}
        if self.access_log and AccessLogMiddleware not in present:
            app.add_middleware(AccessLogMiddleware)
        if RequestIDMiddleware not in present:
            app.add_middleware(RequestIDMiddleware)  # every record below has the id
        if self.tracing is not None:
            from covet.observability.tracing import TracingMiddleware

            for db in databases:
                if db not in self.tracing.databases:
                    self.tracing.databases.append(db)
            if TracingMiddleware not in present:
                app.add_middleware(TracingMiddleware, tracing=self.tracing)
        if self.metrics is not None:
            self._instrument_metrics(app, present)
        lifespans = app.router.lifespans
        if self.lifespan not in lifespans:
            lifespans.insert(0, self.lifespan)
        app.invalidate()

    def _instrument_metrics(self, app: Any, present: set[Any]) -> None:
        from covet.observability.metrics import MetricsMiddleware

        metrics = self.metrics
        assert metrics is not None
        if MetricsMiddleware not in present:
            app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: all is timed
        path = self.metrics_path
        if path is not None and app.router.match("GET", path) is None:
            app.add_api_route(path, metrics.endpoint, name="metrics", include_in_schema=False)

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Configure logging for as long as the app runs (``CovetPy(lifespan=obs.lifespan)``)."""
        self.configure_logging()
        if self.tracing is not None:
            self.tracing.start()
        try:
            yield
        finally:
            if self.tracing is not None:
                self.tracing.stop()
            if self.metrics is not None:
                self.metrics.mark_process_dead()
            self.restore_logging()

    # -- logging --------------------------------------------------------------------------

    def configure_logging(self) -> None:
        """Install the handler on the root logger and route the servers' loggers through it.

        Called by :meth:`lifespan`; call it yourself to format logs emitted before start-up.
        Calling it again while configured does nothing.
        """
        if self._saved is not None:
            return
        root = logging.getLogger()
        saved = _Saved(root.level)
        handler = logging.StreamHandler(self.log_stream or sys.stderr)
        handler.setFormatter(self.formatter)
        root.addHandler(handler)
        root.setLevel(self.log_level)
        for name in _SERVER_LOGGERS:
            logger = logging.getLogger(name)
            saved.loggers[name] = (list(logger.handlers), logger.propagate, logger.disabled)
            for old in list(logger.handlers):
                logger.removeHandler(old)
            logger.propagate = True  # to the root handler
        if self.access_log:
            logging.getLogger("uvicorn.access").disabled = True
        self.handler, self._saved = handler, saved

    def restore_logging(self) -> None:
        """Remove the handler and give the servers' loggers their own back."""
        saved, handler = self._saved, self.handler
        if saved is None or handler is None:
            return
        root = logging.getLogger()
        root.removeHandler(handler)
        root.setLevel(saved.root_level)
        for name, (handlers, propagate, disabled) in saved.loggers.items():
            logger = logging.getLogger(name)
            for old in handlers:
                logger.addHandler(old)
            logger.propagate, logger.disabled = propagate, disabled
        handler.flush()
        self.handler = self._saved = None
