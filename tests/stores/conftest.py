"""One store fixture, parametrised over the backends (the backend is in the test id)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from covet.stores import MemoryStore, Store

BACKENDS: dict[str, Callable[[str], Store]] = {
    "memory": lambda namespace: MemoryStore(namespace=namespace),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=sorted(BACKENDS))
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A fresh store of each backend, in a namespace of its own."""
    made = BACKENDS[request.param]("covet-test:")
    try:
        yield made
    finally:
        await made.close()
