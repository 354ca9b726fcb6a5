"""The rate limit tests' stores: memory (on a clock the test moves) and the real Redis.

``backend`` is parametrised over both, with the backend's name in the test id. A Redis
backend's stores live in a key namespace of their own, deleted after the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from covet.stores import MemoryStore, RedisStore, Store
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Makes stores of one backend and lets time pass for them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.clock = Clock()
        self.url = shared_redis_url() if name == "redis" else "memory://"
        self.namespaces: list[str] = []

    def store(self) -> Store:
        """A fresh store: nothing counted yet."""
        if self.name == "memory":
            return MemoryStore(clock=self.clock)
        namespace = unique_prefix()
        self.namespaces.append(namespace)
        return RedisStore(self.url, namespace=namespace)

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass for the stores (the memory clock jumps; Redis really waits)."""
        if self.name == "memory":
            self.clock.now += seconds
        else:
            time.sleep(seconds)

    def cleanup(self) -> None:
        """Delete every key the test's Redis stores wrote."""
        for namespace in self.namespaces:
            delete_namespace(self.url, namespace)


class Recording(MemoryStore):
    """A memory store that counts how often it is closed."""

    closed = 0

    async def close(self) -> None:
        Recording.closed += 1
        await super().close()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each backend in turn: ``test_x[memory]``, ``test_x[redis]``."""
    made = Backend(request.param)
    try:
        yield made
    finally:
        made.cleanup()
