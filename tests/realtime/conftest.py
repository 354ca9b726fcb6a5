"""Channels on every backend (the backend is in the test id), each test in its own names.

Redis channels get a namespace of their own on the shared server (its streams are deleted
after the test); PostgreSQL channels are NOTIFY channels of the shared ``test`` database,
so each test uses channel names of its own (:func:`channel_name`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from covet.realtime import Channels, Event, Subscription
from tests.support.databases import POSTGRES_URL
from tests.support.optional import missing
from tests.support.redis import (
    redis_namespace,  # noqa: F401  (a fixture used by the tests here)
    shared_redis_url,
)

BACKENDS = ["memory", "redis", "postgresql"]
HISTORY_BACKENDS = ["memory", "redis"]
PG_URL = POSTGRES_URL.replace("+asyncpg", "")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def channel_name(prefix: str = "room") -> str:
    """A channel name no other test (or run) uses."""
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


async def next_event(sub: Subscription, within: float = 10) -> Event:
    """The next event of ``sub``; fails after ``within`` seconds."""
    async with asyncio.timeout(within):
        return await anext(sub)


async def postgres_url() -> str:
    """The shared PostgreSQL's URL, after checking that it answers (else :func:`missing`)."""
    import asyncpg

    try:
        connection = await asyncpg.connect(PG_URL, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        missing(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    await connection.close()
    return PG_URL


async def backend_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of a fresh set of channels on ``backend``."""
    if backend == "memory":
        return "memory://"
    if backend == "redis":
        namespace = request.getfixturevalue("redis_namespace")
        return f"{shared_redis_url()}?namespace={namespace}"
    return await postgres_url()


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest) -> str:
    """The URL of channels on each backend."""
    return await backend_url(request.param, request)


@pytest.fixture(params=HISTORY_BACKENDS)
async def history_url(request: pytest.FixtureRequest) -> str:
    """The URL of channels on each backend that keeps history."""
    return await backend_url(request.param, request)


@pytest.fixture
async def channels(url: str) -> AsyncIterator[Channels]:
    """Connected channels on each backend."""
    made = Channels(url)
    await made.connect()
    try:
        yield made
    finally:
        await made.disconnect()
