"""Prometheus metrics of HTTP traffic, labelled by route template, and the ``/metrics`` page.

Needs the ``observability`` extra (prometheus-client). Labels stay bounded whatever clients
send: the route label is the matched template (``/items/{item_id}``), never the raw path, and
every request no route matched shares the one value ``unmatched``; methods outside the
standard ones count as ``other``; statuses are grouped by class (``2xx``...).

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the workers start), prometheus-client's
multiprocess mode is used: each worker writes its values to that folder and any worker's
``/metrics`` reports the sum of all of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Sequence
from typing import Any

from covet._optional import require

require("prometheus_client", extra="observability")

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from covet.responses import Response  # noqa: E402
from covet.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

__all__ = ["UNMATCHED", "MetricsMiddleware", "PrometheusMetrics"]

#: The route label of requests no route matched (404s, slash redirects).
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CLASSES = ("0xx", "1xx", "2xx", "3xx", "4xx", "5xx")
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
SIZE_BUCKETS = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


def multiprocess_dir() -> str | None:
    """The folder of prometheus-client's multiprocess mode, or ``None`` when it is off."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class PrometheusMetrics:
    """The request metrics of one app, and what ``/metrics`` serves.

    Series: ``http_requests_total`` (counter), ``http_request_duration_seconds``
    (histogram), ``http_response_size_bytes`` (histogram of body bytes sent), each labelled
    ``method``, ``route`` and ``status`` (the class, ``2xx``); ``http_requests_in_progress``
    (gauge, labelled ``method``: the route is not known until matched).

    Args:
        namespace: A prefix for the series names (``shop`` → ``shop_http_requests_total``).
        registry: Where the series are registered; a registry of their own by default, so
            several apps (or tests) in one process do not collide. ``/metrics`` serves it
            and prometheus-client's default registry, where metrics you define yourself go.
        duration_buckets: Histogram buckets of the request duration, in seconds.
        size_buckets: Histogram buckets of the response size, in bytes.
    """

    def __init__(
        self,
        *,
        namespace: str = "",
        registry: CollectorRegistry | None = None,
        duration_buckets: Sequence[float] = DURATION_BUCKETS,
        size_buckets: Sequence[float] = SIZE_BUCKETS,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status class.",
            labels,
            namespace=namespace,
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, in seconds.",
            labels,
            namespace=namespace,
            registry=self.registry,
            buckets=tuple(duration_buckets),
        )
        self.size = Histogram(
            "http_response_size_bytes",
            "Response body bytes sent.",
            labels,
            namespace=namespace,
            registry=self.registry,
            buckets=tuple(size_buckets),
        )
        self.in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being answered now.",
            ("method",),
            namespace=namespace,
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def exposition(self) -> bytes:
        """The text every ``/metrics`` scrape gets (all workers' in multiprocess mode)."""
        if multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        if self.registry is REGISTRY:
            return generate_latest(REGISTRY)
        return generate_latest(self.registry) + generate_latest(REGISTRY)

    def endpoint(self) -> Response:
        """Serve :meth:`exposition` (a sync handler: it runs in the thread pool)."""
        return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)

    def mark_process_dead(self) -> None:
        """Drop this worker's live gauges from the multiprocess folder (at shutdown)."""
        if multiprocess_dir():
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class MetricsMiddleware:
    """Count, time and size every HTTP request into a :class:`PrometheusMetrics`.

    Pure ASGI. The route label is read from ``scope["route"]`` when the response has ended,
    so it is the matched template; label children are looked up once per label set and
    kept, so a request costs a dict lookup and four updates.

    Args:
        app: The wrapped application.
        metrics: Where to record.
    """

    def __init__(self, app: ASGIApp, *, metrics: PrometheusMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self._in_progress: dict[str, Any] = {}

    def _series(self, key: tuple[str, str, int]) -> tuple[Any, Any, Any]:
        method, route, status = key
        status_class = _CLASSES[status // 100] if 0 <= status < 600 else "5xx"
        labels = {"method": method, "route": route, "status": status_class}
        metrics = self.metrics
        series = (
            metrics.requests.labels(**labels),
            metrics.duration.labels(**labels),
            metrics.size.labels(**labels),
        )
        self._children[key] = series
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in _METHODS:
            method = "other"
        gauge = self._in_progress.get(method)
        if gauge is None:
            gauge = self._in_progress[method] = self.metrics.in_progress.labels(method=method)
        gauge.inc()
        start = time.perf_counter()
        status = 500
        size = 0

        # PERF: a plain function returning send()'s awaitable: no coroutine per message.
        def measuring_send(message: Message) -> Awaitable[None]:
            nonlocal status, size
            kind = message["type"]
            if kind == "http.response.body":
                size += len(message.get("body", b""))
            elif kind == "http.response.start":
                status = message["status"]
            return send(message)

        try:
            await self.app(scope, receive, measuring_send)
        finally:
            elapsed = time.perf_counter() - start
            gauge.dec()
            route = getattr(scope.get("route"), "path", UNMATCHED)
            # Status classes, not codes: the key (like the labels) stays bounded.
            key = (method, route, status // 100 * 100)
            series = self._children.get(key) or self._series(key)
            series[0].inc()
            series[1].observe(elapsed)
            series[2].observe(size)
