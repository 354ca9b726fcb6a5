"""Prometheus metrics through real requests, read back with prometheus-client's own parser."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from tests.support.optional import require

require("prometheus_client")

from prometheus_client import Counter  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from covet import CovetPy, Router  # noqa: E402
from covet.observability import Observability  # noqa: E402
from covet.observability.metrics import PrometheusMetrics  # noqa: E402
from covet.testing import AsyncTestClient, TestClient  # noqa: E402

Labels = tuple[tuple[str, str], ...]


def scrape(client: TestClient) -> dict[str, dict[Labels, float]]:
    """``/metrics`` parsed: sample name → label set → value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def count(samples: dict[str, dict[Labels, float]], route: str, status: str = "2xx") -> float:
    key = (("method", "GET"), ("route", route), ("status", status))
    return samples.get("http_requests_total", {}).get(key, 0.0)


def _shop() -> CovetPy:
    obs = Observability(service_name="shop", metrics=True, access_log=False)
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "padding": "x" * 500}

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("broken")

    api = Router(prefix="/api")

    @api.get("/users/{name}")
    async def user(name: str) -> dict[str, str]:
        return {"name": name}

    app.include_router(api)
    obs.instrument(app)
    return app


def test_counters_move_by_exactly_the_requests_made_labelled_by_template() -> None:
    with TestClient(_shop(), raise_server_exceptions=False) as client:
        before = scrape(client)
        for n in range(7):
            assert client.get(f"/items/{n}").status_code == 200
        for name in ("ann", "bob", "cy"):
            client.get(f"/api/users/{name}")
        assert client.get("/fail").status_code == 500
        assert client.get("/items/not-a-number").status_code == 422
        after = scrape(client)
    assert count(after, "/items/{item_id}") - count(before, "/items/{item_id}") == 7
    assert count(after, "/api/users/{name}") == 3
    assert count(after, "/fail", "5xx") == 1
    assert count(after, "/items/{item_id}", "4xx") == 1
    assert count(after, "/metrics") == 1  # the first scrape, counted once it ended
    routes = {dict(labels)["route"] for labels in after["http_requests_total"]}
    assert not any(route.startswith("/items/") and "{" not in route for route in routes)
    key = (("method", "GET"), ("route", "/items/{item_id}"), ("status", "2xx"))
    assert after["http_request_duration_seconds_count"][key] == 7
    assert after["http_request_duration_seconds_sum"][key] > 0
    assert after["http_response_size_bytes_count"][key] == 7
    assert after["http_response_size_bytes_sum"][key] > 7 * 500  # body bytes sent
    assert after["http_requests_in_progress"][(("method", "GET"),)] == 1  # the scrape itself


def test_ten_thousand_distinct_404_paths_add_no_label_values() -> None:
    with TestClient(_shop()) as client:
        client.get("/missing/first")
        before = scrape(client)
        for n in range(10_000):
            client.get(f"/missing/{n}/x{n}")
        after = scrape(client)
    assert set(after["http_requests_total"]) == set(before["http_requests_total"]) | {
        (("method", "GET"), ("route", "/metrics"), ("status", "2xx"))
    }
    assert count(after, "unmatched", "4xx") - count(before, "unmatched", "4xx") == 10_000


def test_unknown_methods_share_one_label() -> None:
    with TestClient(_shop()) as client:
        for method in ("BREW", "PROPFIND", "X-ANYTHING"):
            client.request(method, "/items/1")
        samples = scrape(client)
    methods = {dict(labels)["method"] for labels in samples["http_requests_total"]}
    assert methods == {"other"}  # the scrape itself is counted once it has ended
    key = (("method", "other"), ("route", "/items/{item_id}"), ("status", "4xx"))
    assert samples["http_requests_total"][key] == 3  # 405: the route's template


@pytest.mark.anyio
async def test_in_progress_gauge_counts_requests_being_answered() -> None:
    obs = Observability(metrics=True, access_log=False)
    app = CovetPy(lifespan=obs.lifespan)
    release = asyncio.Event()

    @app.get("/slow")
    async def slow() -> None:
        await release.wait()

    obs.instrument(app)
    async with AsyncTestClient(app) as client:
        pending = [asyncio.create_task(client.get("/slow")) for _ in range(5)]
        await asyncio.sleep(0.2)
        text = (await client.get("/metrics")).text
        gauge = {
            tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "http_requests_in_progress"
        }
        assert gauge[(("method", "GET"),)] == 6  # five slow ones and the scrape
        release.set()
        await asyncio.gather(*pending)


def test_user_defined_metrics_on_the_default_registry_are_served_too() -> None:
    signups = Counter("shop_signups", "Sign-ups.")
    try:
        obs = Observability(metrics=True, access_log=False)
        app = CovetPy(lifespan=obs.lifespan)

        @app.post("/signup")
        async def signup() -> None:
            signups.inc()

        obs.instrument(app)
        with TestClient(app) as client:
            client.post("/signup")
            client.post("/signup")
            samples = scrape(client)
        assert samples["shop_signups_total"][()] == 2
    finally:
        from prometheus_client import REGISTRY

        REGISTRY.unregister(signups)


def test_custom_metrics_object_path_and_namespace() -> None:
    metrics = PrometheusMetrics(namespace="shop", duration_buckets=(0.1, 1.0))
    obs = Observability(metrics=metrics, metrics_path="/internal/metrics", access_log=False)
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/")
    async def home() -> None:
        return None

    obs.instrument(app)
    with TestClient(app) as client:
        client.get("/")
        text = client.get("/internal/metrics").text
        assert client.get("/metrics").status_code == 404
    assert 'shop_http_requests_total{method="GET",route="/",status="2xx"} 1.0' in text
    assert 'le="0.1"' in text
    assert "/internal/metrics" not in app.openapi()["paths"]


def test_without_the_extra_the_error_names_it() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "from covet.observability import Observability\n"
        "try:\n"
        "    Observability(metrics=True)\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "MissingDependencyError" in done.stdout
    assert "pip install 'covetpy[observability]'" in done.stdout


def test_bad_metrics_setting_is_refused() -> None:
    from covet.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="metrics must be"):
        Observability(metrics="yes")  # type: ignore[arg-type]
