"""A store in an app: opened and closed by the lifespan, used by handlers."""

from __future__ import annotations

import logging

import pytest

from covet import CovetPy
from covet.stores import MemoryStore, Store, StoreUnavailableError
from covet.testing import TestClient


def test_a_store_serves_handlers_and_is_closed_at_shutdown() -> None:
    closed: list[bool] = []

    class Recorded(MemoryStore):
        async def close(self) -> None:
            closed.append(True)
            await super().close()

    store = Recorded()
    app = CovetPy(lifespan=store.lifespan)

    @app.post("/visits")
    async def visit() -> dict[str, int]:
        return {"visits": await store.incr("visits")}

    with TestClient(app) as client:
        assert client.post("/visits").json() == {"visits": 1}
        assert client.post("/visits").json() == {"visits": 2}
        assert closed == []
    assert closed == [True]


class Unreachable(MemoryStore):
    async def ping(self) -> None:
        raise StoreUnavailableError("down")


def test_an_unreachable_store_at_start_up_logs_one_warning_and_the_app_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store: Store = Unreachable()
    app = CovetPy(lifespan=store.lifespan)

    @app.get("/")
    async def index() -> dict[str, bool]:
        return {"healthy": await store.health()}

    with caplog.at_level(logging.WARNING, logger="covet.stores"), TestClient(app) as client:
        assert client.get("/").json() == {"healthy": False}
    warnings = [r for r in caplog.records if r.name == "covet.stores"]
    assert len(warnings) == 1
    assert "does not answer at start-up" in warnings[0].getMessage()


def test_a_reachable_store_starts_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    app = CovetPy(lifespan=MemoryStore().lifespan)
    with caplog.at_level(logging.WARNING, logger="covet.stores"), TestClient(app):
        pass
    assert [r for r in caplog.records if r.name == "covet.stores"] == []
