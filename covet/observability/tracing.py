"""OpenTelemetry tracing: a server span per request, named by route template, W3C context.

Needs the ``observability`` extra (opentelemetry-api/sdk, the OTLP exporter and the official
SQLAlchemy and redis instrumentations). The server span comes from a pure-ASGI middleware of
covet's own rather than opentelemetry-instrumentation-asgi: it is named after the matched route
template once routing is done and wraps no ASGI message in spans of its own, so it costs one
span per request. Database queries and Redis commands get child spans from the official
instrumentations, switched on for as long as the app's lifespan runs.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Sequence
from typing import Any

from covet._optional import require

require("opentelemetry.sdk.trace", extra="observability")

from opentelemetry import context, propagate, trace  # noqa: E402
from opentelemetry.propagators.textmap import Getter  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import (  # noqa: E402
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from covet.observability import logs  # noqa: E402
from covet.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

__all__ = ["Tracing", "TracingMiddleware", "current_trace_ids"]


class _HeaderGetter(Getter[Scope]):
    """Reads W3C ``traceparent``/``tracestate`` (and baggage) from an ASGI scope's headers."""

    def get(self, carrier: Scope, key: str) -> list[str] | None:
        wanted = key.lower().encode("latin-1")
        found = [value.decode("latin-1") for name, value in carrier["headers"] if name == wanted]
        return found or None

    def keys(self, carrier: Scope) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier["headers"]]


_GETTER = _HeaderGetter()


def current_trace_ids() -> tuple[str, str] | None:
    """The current span's trace id and span id as hex, or ``None`` outside a recorded span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


def _default_exporter() -> SpanExporter | None:
    """The exporter the standard ``OTEL_TRACES_EXPORTER`` names (``otlp`` by default)."""
    choice = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip().lower()
    if choice == "none":
        return None
    if choice == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # Endpoint, headers, timeout... come from the OTEL_EXPORTER_OTLP_* variables.
    return OTLPSpanExporter()


class Tracing:
    """The tracer provider of an app and the instrumentations its lifespan switches on.

    Args:
        service_name: The ``service.name`` resource attribute (``OTEL_SERVICE_NAME`` and
            ``OTEL_RESOURCE_ATTRIBUTES`` are read too, as the SDK does).
        exporter: Where finished spans go. By default the one ``OTEL_TRACES_EXPORTER`` names:
            OTLP over HTTP (configured by the ``OTEL_EXPORTER_OTLP_*`` variables),
            ``console`` or ``none``.
        batch: Export in the background in batches (production); ``False`` exports each
            span as it ends (tests, with an in-memory exporter).
        tracer_provider: A provider of your own instead (``exporter`` and ``batch`` are
            then unused).
        databases: ``covet.db.Database`` objects whose queries get child spans.
        redis: Give Redis commands child spans.
    """

    def __init__(
        self,
        *,
        service_name: str | None = None,
        exporter: SpanExporter | None = None,
        batch: bool = True,
        tracer_provider: trace.TracerProvider | None = None,
        databases: Sequence[Any] = (),
        redis: bool = True,
    ) -> None:
        if tracer_provider is None:
            attributes = {"service.name": service_name} if service_name else {}
            provider = TracerProvider(resource=Resource.create(attributes))
            chosen = exporter if exporter is not None else _default_exporter()
            if chosen is not None:
                processor = BatchSpanProcessor(chosen) if batch else SimpleSpanProcessor(chosen)
                provider.add_span_processor(processor)
            tracer_provider = provider
        self.provider = tracer_provider
        self.tracer = tracer_provider.get_tracer("covet")
        self.databases = list(databases)
        self.redis = redis
        self._instrumentors: list[Any] = []

    def start(self) -> None:
        """Switch on the database and Redis instrumentations and trace ids in log lines."""
        logs.trace_ids = current_trace_ids
        if self.databases:
            from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

            engines = [db.engine.sync_engine for db in self.databases]
            instrumentor = SQLAlchemyInstrumentor()
            # Its declared range stops below SQLAlchemy 2.1, whose engine events it uses
            # unchanged: the test suite proves the spans on the installed version.
            instrumentor.instrument(
                engines=engines, tracer_provider=self.provider, skip_dep_check=True
            )
            self._instrumentors.append(instrumentor)
        if self.redis:
            from opentelemetry.instrumentation.redis import RedisInstrumentor

            redis_instrumentor = RedisInstrumentor()
            redis_instrumentor.instrument(tracer_provider=self.provider)
            self._instrumentors.append(redis_instrumentor)

    def stop(self) -> None:
        """Switch the instrumentations off again and export what is left."""
        for instrumentor in reversed(self._instrumentors):
            instrumentor.uninstrument()
        self._instrumentors.clear()
        if logs.trace_ids is current_trace_ids:
            logs.trace_ids = None
        flush = getattr(self.provider, "force_flush", None)
        if callable(flush):
            flush()


class TracingMiddleware:
    """Open a server span around every HTTP request, continuing the client's ``traceparent``.

    Pure ASGI. The span is named ``"GET /items/{item_id}"`` (the method and the matched route
    template; the method alone when nothing matched) and carries the HTTP semantic-convention
    attributes: ``http.request.method``, ``url.path``, ``url.scheme``, ``http.route``,
    ``http.response.status_code``, ``client.address``, ``network.protocol.version``,
    ``user_agent.original``. A 5xx or an exception marks it as an error.

    Args:
        app: The wrapped application.
        tracing: The tracer to use.
    """

    def __init__(self, app: ASGIApp, *, tracing: Tracing) -> None:
        self.app = app
        self.tracer = tracing.tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        parent = propagate.extract(scope, getter=_GETTER)
        span = self.tracer.start_span(
            method, context=parent, kind=SpanKind.SERVER, attributes=_request_attributes(scope)
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        status = 500

        def recording_send(message: Message) -> Awaitable[None]:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            return send(message)

        try:
            await self.app(scope, receive, recording_send)
        except BaseException as exc:
            span.record_exception(exc)
            raise
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route is not None:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
            span.end()
            context.detach(token)


def _request_attributes(scope: Scope) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "http.request.method": scope["method"],
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        "network.protocol.version": scope.get("http_version", "1.1"),
    }
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    for name, value in scope["headers"]:
        if name == b"user-agent":
            attributes["user_agent.original"] = value.decode("latin-1")
            break
    return attributes
