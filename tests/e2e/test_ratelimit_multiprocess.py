"""Two real uvicorn processes, one limit: exact on a shared Redis, per process on memory.

4N concurrent requests are split evenly across both servers at a limit of N per hour (no
refill happens during the test): on Redis exactly N succeed and 3N get 429, for the
middleware and for a ``RateLimit`` dependency alike; on memory each process counts alone,
so 2N succeed — the reason multi-process apps need Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import servers
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix

pytestmark = pytest.mark.e2e

N = 25
APP = "tests.e2e.ratelimit_app:app"


@contextlib.contextmanager
def two_servers(workdir: Path, store: str, namespace: str = "") -> Iterator[list[str]]:
    """Two uvicorn processes serving the app on the same store; their base URLs."""
    env = {
        "COVET_E2E_RATELIMIT_STORE": store,
        "COVET_E2E_RATELIMIT_NAMESPACE": namespace,
        "COVET_E2E_RATELIMIT_LIMIT": str(N),
    }
    with servers.two_servers(APP, workdir, env) as urls:
        yield urls


def hammer(urls: list[str], method: str, path: str, count: int) -> tuple[Counter[int], set[int]]:
    """``count`` concurrent requests alternating between ``urls``: statuses, serving pids."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
            return await asyncio.gather(
                *(client.request(method, urls[i % len(urls)] + path) for i in range(count))
            )

    responses = asyncio.run(run())
    pids = {r.json()["pid"] for r in responses if r.status_code == 200}
    return Counter(r.status_code for r in responses), pids


@pytest.fixture(scope="module")
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    url = shared_redis_url()
    namespace = unique_prefix()
    try:
        with two_servers(tmp_path_factory.mktemp("ratelimit-redis"), url, namespace) as urls:
            yield urls
    finally:
        delete_namespace(url, namespace)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/pid"), ("POST", "/login")], ids=["middleware", "dependency"]
)
def test_one_redis_one_exact_limit_across_processes(
    redis_servers: list[str], method: str, path: str
) -> None:
    statuses, _pids = hammer(redis_servers, method, path, 4 * N)
    assert statuses == {200: N, 429: 3 * N}


def test_memory_counts_per_process(tmp_path: Path) -> None:
    with two_servers(tmp_path, "memory") as urls:
        statuses, pids = hammer(urls, "GET", "/pid", 4 * N)
    assert statuses == {200: 2 * N, 429: 2 * N}
    assert len(pids) == 2
