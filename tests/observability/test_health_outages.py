"""Readiness follows real outages: PostgreSQL behind a TCP proxy the test cuts, a Redis it stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.optional import require

require("sqlalchemy")
require("asyncpg")
require("redis")

from sqlalchemy.engine import make_url  # noqa: E402

from covet import CovetPy  # noqa: E402
from covet.db import Database  # noqa: E402
from covet.observability import HealthCheck  # noqa: E402
from covet.stores import RedisStore  # noqa: E402
from covet.testing import AsyncTestClient  # noqa: E402
from tests.support.databases import close_namespace, open_namespace  # noqa: E402
from tests.support.redis import ThrowawayRedis  # noqa: E402
from tests.support.tcpproxy import TCPProxy  # noqa: E402

pytestmark = pytest.mark.anyio


async def _until(client: AsyncTestClient, status: int) -> dict[str, object]:
    """Probe ``/readyz`` until it answers ``status`` (the cache expires within a second)."""
    async with asyncio.timeout(15):
        while True:
            response = await client.get("/readyz")
            if response.status_code == status:
                body: dict[str, object] = response.json()
                return body
            await asyncio.sleep(0.1)


async def test_readiness_turns_503_while_postgresql_or_redis_is_away(tmp_path: Path) -> None:
    namespace = await open_namespace("postgresql", tmp_path, url_only=True)
    upstream = make_url(namespace.url)
    proxy = TCPProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    try:
        with ThrowawayRedis(tmp_path) as redis_server:
            db = Database(
                upstream.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
                connect_timeout=1.0,
            )
            store = RedisStore(redis_server.url, connect_timeout=0.5, socket_timeout=0.5)
            health = HealthCheck(checks={"db": db.health, "cache": store.health}, timeout=3.0)
            app = CovetPy(lifespan=[db.lifespan, store.lifespan])
            app.include_router(health.router)

            async with AsyncTestClient(app) as client:
                assert (await _until(client, 200))["status"] == "ready"

                await proxy.cut()
                body = await _until(client, 503)
                assert body["failing"] == ["db"]
                await proxy.start()  # the same port again
                assert (await _until(client, 200))["status"] == "ready"

                redis_server.stop()
                body = await _until(client, 503)
                assert body["failing"] == ["cache"]
                redis_server.start()
                assert (await _until(client, 200))["status"] == "ready"
    finally:
        await proxy.cut()
        await close_namespace(namespace)
