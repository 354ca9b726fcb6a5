"""Liveness and readiness probes through real requests: checks, timeouts, cache, lifespan."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.observability import HealthCheck
from covet.stores import MemoryStore
from covet.testing import AsyncTestClient, TestClient

pytestmark = pytest.mark.anyio


def _app(health: HealthCheck, **options: Any) -> CovetPy:
    app = CovetPy(**options)
    app.include_router(health.router)
    return app


def test_liveness_answers_without_running_any_check() -> None:
    calls: list[str] = []

    async def failing() -> bool:
        calls.append("ran")
        return False

    with TestClient(_app(HealthCheck(checks=[failing]))) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert response.headers["cache-control"] == "no-store"
    assert calls == []


def test_ready_when_every_check_passes() -> None:
    store = MemoryStore()

    async def returns_none() -> None:
        return None

    def sync_true() -> bool:
        return True

    health = HealthCheck(checks=[store.health, store.ping, returns_none, sync_true])
    with TestClient(_app(health)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert list(body["checks"]) == ["memorystore", "memorystore-2", "returns_none", "sync_true"]
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (False, "the check returned False"),
        (
            ConnectionRefusedError("secret-host:5432 password=hunter2"),
            "raised ConnectionRefusedError",
        ),
    ],
    ids=["returns-false", "raises"],
)
def test_a_failing_check_is_named_in_a_503(outcome: object, error: str) -> None:
    async def broken() -> bool:
        if isinstance(outcome, Exception):
            raise outcome
        return bool(outcome)

    async def fine() -> bool:
        return True

    with TestClient(_app(HealthCheck(checks={"db": broken, "cache": fine}))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["failing"] == ["db"]
    assert body["checks"]["db"]["status"] == "failing"
    assert body["checks"]["db"]["error"] == error
    assert body["checks"]["cache"]["status"] == "ok"
    assert "hunter2" not in response.text  # exception text is logged, never served


def test_checks_run_concurrently_and_a_slow_one_times_out() -> None:
    async def slow() -> None:
        await asyncio.sleep(5)

    async def also_slow() -> None:
        await asyncio.sleep(5)

    health = HealthCheck(checks=[slow, also_slow], timeout=0.2)
    with TestClient(_app(health)) as client:
        start = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - start
    assert response.status_code == 503
    assert response.json()["failing"] == ["slow", "also_slow"]
    assert response.json()["checks"]["slow"]["error"] == "timed out after 0.2s"
    assert elapsed < 1.0  # both timed out together, not one after the other


async def test_probes_within_the_cache_window_share_one_run() -> None:
    runs = 0

    async def counted() -> bool:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.05)
        return True

    health = HealthCheck(checks={"db": counted}, cache_seconds=0.5)
    async with AsyncTestClient(_app(health)) as client:
        responses = await asyncio.gather(*(client.get("/readyz") for _ in range(20)))
        assert {r.status_code for r in responses} == {200}
        assert runs == 1  # twenty concurrent probes, one run
        await client.get("/readyz")
        assert runs == 1  # still cached
        await asyncio.sleep(0.6)
        await client.get("/readyz")
        assert runs == 2  # expired: run again


async def test_cache_seconds_zero_runs_every_probe() -> None:
    runs = 0

    def counted() -> None:
        nonlocal runs
        runs += 1

    async with AsyncTestClient(_app(HealthCheck([counted], cache_seconds=0))) as client:
        for _ in range(3):
            await client.get("/readyz")
    assert runs == 3


async def test_not_ready_until_start_up_finished_and_from_the_start_of_shutdown() -> None:
    health = HealthCheck()
    seen: dict[str, int] = {}
    gate = asyncio.Event()

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[None]:
        # A lifespan of the app's own can ask its app while it starts and stops.
        yield
        seen["shutdown"] = (await probe.get("/readyz")).status_code
        gate.set()

    app = _app(health, lifespan=lifespan)
    probe = AsyncTestClient(app)  # no lifespan of its own: requests only
    assert (await probe.get("/readyz")).json() == {"status": "starting"}
    async with AsyncTestClient(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        app.signal_shutdown()  # what `covet run` does on SIGTERM, before connections drain
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "shutting down"}
        assert (await client.get("/healthz")).status_code == 200  # still alive
    assert gate.is_set()
    assert seen["shutdown"] == 503


def test_a_start_up_that_has_not_finished_is_not_ready() -> None:
    health = HealthCheck()
    app = _app(health)
    states: list[bool] = []

    @asynccontextmanager
    async def lifespan(_app: CovetPy) -> AsyncIterator[None]:
        states.append(app.started)
        yield
        states.append(app.started)

    app.router.lifespans.append(lifespan)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
    assert states == [False, False]  # during start-up and during shutdown


def test_named_checks_by_method_and_decorator() -> None:
    health = HealthCheck(checks={"first": lambda: True})
    health.check("second", lambda: None)

    @health.check("third")
    async def third() -> bool:
        return False

    with TestClient(_app(health)) as client:
        body = client.get("/readyz").json()
    assert list(body["checks"]) == ["first", "second", "third"]
    assert body["failing"] == ["third"]


def test_probes_are_documented_in_openapi_or_left_out() -> None:
    health = HealthCheck(checks={"db": lambda: True})
    schema = _app(health).openapi()
    assert set(schema["paths"]) == {"/healthz", "/readyz"}
    readiness = schema["paths"]["/readyz"]["get"]
    assert "503" in readiness["responses"]
    assert readiness["tags"] == ["health"]
    assert "db" in readiness["description"]
    hidden = _app(HealthCheck(include_in_schema=False)).openapi()
    assert hidden["paths"] == {}


def test_custom_paths_and_no_liveness() -> None:
    health = HealthCheck(liveness_path=None, readiness_path="/ready")
    with TestClient(_app(health)) as client:
        assert client.get("/ready").status_code == 200
        assert client.get("/healthz").status_code == 404


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout must be > 0"),
        ({"cache_seconds": -1}, "cache_seconds must be >= 0"),
        ({"checks": ["not callable"]}, "must be callable"),
    ],
    ids=["timeout", "cache", "not-callable"],
)
def test_bad_settings_fail_when_built(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        HealthCheck(**options)


def test_a_repeated_name_is_refused() -> None:
    health = HealthCheck(checks={"db": lambda: True})
    with pytest.raises(ConfigurationError, match="already registered"):
        health.check("db", lambda: True)
