"""One store fixture, parametrised over the backends (the backend is in the test id).

A Redis store lives in a namespace of its own on the shared server (``REDIS_URL``), whose
keys are deleted after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from covet.stores import MemoryStore, RedisStore, Store
from tests.support.redis import (
    redis_namespace,  # noqa: F401  (a fixture used by the tests here)
    shared_redis_url,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A fresh store of each backend, in a namespace of its own."""
    made: Store
    if request.param == "memory":
        made = MemoryStore(namespace="covet-test:")
    else:
        made = RedisStore(shared_redis_url(), namespace=request.getfixturevalue("redis_namespace"))
    try:
        yield made
    finally:
        await made.close()
