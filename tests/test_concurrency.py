"""Sync handlers run in a bounded, configurable thread pool, never on the event loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from covet import CovetPy, Request
from covet.concurrency import DEFAULT_THREADPOOL_SIZE, configure_threadpool, threadpool_size
from covet.testing import TestClient


@pytest.fixture(autouse=True)
def restore_pool() -> Iterator[None]:
    yield
    configure_threadpool(DEFAULT_THREADPOOL_SIZE)


def test_sync_handler_runs_in_a_worker_thread() -> None:
    app = CovetPy()
    loop_thread: list[str] = []

    @app.get("/async")
    async def on_loop() -> str:
        loop_thread.append(threading.current_thread().name)
        return "loop"

    @app.get("/sync/{n:int}")
    def blocking(n: int, request: Request) -> dict[str, object]:
        return {"thread": threading.current_thread().name, "n": n, "path": request.url.path}

    client = TestClient(app)
    client.get("/async")
    data = client.get("/sync/3").json()
    assert data["thread"].startswith("covet-worker")
    assert data["thread"] != loop_thread[0]
    assert data["n"] == 3
    assert data["path"] == "/sync/3"


def test_threadpool_size_bounds_concurrency() -> None:
    app = CovetPy(threadpool_size=2)
    assert threadpool_size() == 2
    active = 0
    peak = 0
    lock = threading.Lock()

    @app.get("/work")
    def work() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1

    import asyncio

    from covet.testing import AsyncTestClient

    async def run() -> None:
        async with AsyncTestClient(app) as client:
            responses = await asyncio.gather(*(client.get("/work") for _ in range(6)))
        assert all(r.status_code == 200 for r in responses)

    asyncio.run(run())
    assert peak == 2


def test_invalid_threadpool_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        configure_threadpool(0)
