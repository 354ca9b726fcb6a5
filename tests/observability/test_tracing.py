"""Spans from the in-memory exporter: server span, PostgreSQL and Redis child spans, traceparent."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated

import pytest

from tests.support.optional import require

require("opentelemetry.sdk")
require("sqlalchemy")
require("asyncpg")
require("redis")

from opentelemetry.sdk.trace import ReadableSpan  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402
from sqlalchemy import text  # noqa: E402

from covet import CovetPy, Depends  # noqa: E402
from covet.db import AsyncSession, Database  # noqa: E402
from covet.observability import Observability  # noqa: E402
from covet.observability.tracing import Tracing  # noqa: E402
from covet.stores import RedisStore  # noqa: E402
from covet.testing import AsyncTestClient, TestClient  # noqa: E402
from tests.support.databases import close_namespace, open_namespace  # noqa: E402
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix  # noqa: E402

pytestmark = pytest.mark.anyio

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


async def test_server_span_with_database_and_redis_children_continues_traceparent(
    tmp_path: Path,
) -> None:
    namespace = await open_namespace("postgresql", tmp_path, url_only=True)
    prefix = unique_prefix()
    exporter = InMemorySpanExporter()
    stream = io.StringIO()
    try:
        db = Database(namespace.url)
        store = RedisStore(shared_redis_url(), namespace=prefix)
        obs = Observability(
            service_name="shop",
            log_stream=stream,
            tracing=Tracing(service_name="shop", exporter=exporter, batch=False),
        )
        app = CovetPy(lifespan=[obs.lifespan, db.lifespan, store.lifespan])

        @app.get("/carts/{cart_id}")
        async def cart(
            cart_id: int, session: Annotated[AsyncSession, Depends(db.session)]
        ) -> dict[str, int]:
            one = (await session.execute(text("SELECT 1"))).scalar_one()
            await store.set(f"cart:{cart_id}", b"seen")
            import logging

            logging.getLogger("shop").info("cart served")
            return {"cart_id": cart_id, "one": one}

        obs.instrument(app, databases=[db])
        async with AsyncTestClient(app) as client:
            exporter.clear()  # start-up checks (the database's SELECT 1) are not this request's
            response = await client.get("/carts/3", headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200
    finally:
        await close_namespace(namespace)
        delete_namespace(shared_redis_url(), prefix)

    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    server = next(span for span in spans if span.kind is SpanKind.SERVER)
    assert server.name == "GET /carts/{cart_id}"
    assert server.context is not None
    assert server.parent is not None
    assert _hex(server.context.trace_id, 32) == TRACE_ID  # the client's trace, continued
    assert _hex(server.parent.span_id, 16) == PARENT_ID
    assert server.parent.is_remote
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/carts/{cart_id}"
    assert server.attributes["http.request.method"] == "GET"
    assert server.attributes["url.path"] == "/carts/3"
    assert server.attributes["http.response.status_code"] == 200
    assert server.resource.attributes["service.name"] == "shop"

    children = [
        span for span in spans if span.parent and span.parent.span_id == server.context.span_id
    ]
    database = [
        span for span in children if (span.attributes or {}).get("db.system") == "postgresql"
    ]
    redis = [span for span in children if (span.attributes or {}).get("db.system") == "redis"]
    assert database, [(s.name, s.attributes) for s in spans]
    assert redis, [(s.name, s.attributes) for s in spans]
    assert all(span.context.trace_id == server.context.trace_id for span in database + redis)
    assert any("SELECT" in span.name for span in database)
    assert redis[0].name == "SET"

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = next(line for line in lines if line["logger"] == "shop")
    assert mine["trace_id"] == TRACE_ID
    assert mine["span_id"] == _hex(server.context.span_id, 16)
    access = next(line for line in lines if line["logger"] == "covet.access")
    assert access["trace_id"] == TRACE_ID


def test_a_request_without_traceparent_starts_a_trace_and_errors_are_marked() -> None:
    exporter = InMemorySpanExporter()
    obs = Observability(
        access_log=False, tracing=Tracing(exporter=exporter, batch=False, redis=False)
    )
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("broken")

    obs.instrument(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
        assert client.get("/no/such/page").status_code == 404
    failed, missing = exporter.get_finished_spans()
    assert failed.parent is None
    assert failed.name == "GET /boom"
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["http.response.status_code"] == 500
    assert missing.name == "GET"  # no route: no path in the name (bounded, like metrics)
    assert missing.status.status_code is StatusCode.UNSET


def test_without_tracing_lines_have_no_trace_ids() -> None:
    stream = io.StringIO()
    obs = Observability(log_stream=stream)
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/")
    async def home() -> None:
        return None

    obs.instrument(app)
    with TestClient(app) as client:
        client.get("/", headers={"traceparent": TRACEPARENT})
    assert all("trace_id" not in json.loads(line) for line in stream.getvalue().splitlines())


@pytest.mark.parametrize(
    ("variable", "exporter"),
    [("none", None), ("console", "ConsoleSpanExporter"), ("otlp", "OTLPSpanExporter")],
    ids=["none", "console", "otlp"],
)
def test_the_exporter_follows_otel_traces_exporter(
    variable: str, exporter: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from covet.observability.tracing import _default_exporter

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", variable)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    chosen = _default_exporter()
    assert (type(chosen).__name__ if chosen is not None else None) == exporter
    if chosen is not None:
        chosen.shutdown()


def test_own_spans_nest_under_the_server_span() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter=exporter, batch=False, redis=False)
    obs = Observability(access_log=False, tracing=tracing)
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/quote")
    async def quote() -> dict[str, int]:
        with tracing.tracer.start_as_current_span("price lookup"):
            return {"price": 12}

    obs.instrument(app)
    with TestClient(app) as client:
        client.get("/quote")
    inner, server = exporter.get_finished_spans()
    assert inner.name == "price lookup"
    assert inner.parent is not None
    assert server.context is not None
    assert inner.parent.span_id == server.context.span_id
