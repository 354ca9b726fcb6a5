"""``Database``: configuration, masking, lifespan, health, outages and SQLite's settings."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from covet import CovetPy, Depends, Secret, Settings
from covet.db import AsyncSession, Database
from covet.exceptions import ConfigurationError, MissingDependencyError
from covet.testing import AsyncTestClient, TestClient
from covet.testing.exceptions import LifespanError
from tests.db.models import Author
from tests.support.databases import SERVERS, Namespace
from tests.support.servers import free_port
from tests.support.tcpproxy import TCPProxy

pytestmark = pytest.mark.anyio


def test_password_is_masked_in_repr_str_and_start_up_errors() -> None:
    db = Database(f"postgresql+asyncpg://app:s3cret@127.0.0.1:{free_port()}/shop")
    assert "s3cret" not in repr(db)
    assert "s3cret" not in str(db)
    assert str(db).startswith("postgresql+asyncpg://app:***@127.0.0.1")
    with pytest.raises(LifespanError) as refused, TestClient(CovetPy(lifespan=db.lifespan)):
        pass
    assert "not reachable at start-up" in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_url_from_a_settings_field() -> None:
    class AppSettings(Settings):
        database_url: Secret[str]

    settings = AppSettings(_environ={"DATABASE_URL": "sqlite+aiosqlite:///x.db"}, _env_file=None)
    assert Database(settings.database_url).url == make_url("sqlite+aiosqlite:///x.db")


def test_pool_defaults_are_production_safe() -> None:
    db = Database("postgresql+asyncpg://app@127.0.0.1/shop")
    pool = db.engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (5, 10, 10.0)  # type: ignore[attr-defined]
    assert pool._recycle == 1800
    assert pool._pre_ping


def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    with pytest.raises(MissingDependencyError, match=r"covetpy\[postgres\]"):
        Database("postgresql+asyncpg://app@127.0.0.1/shop")


def test_a_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not a valid SQLAlchemy URL"):
        Database("not a url")


async def test_lifespan_composes_with_the_apps_own(namespace: Namespace) -> None:
    db = namespace.database()
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[None]:
        async with db.lifespan(app):
            events.append("start")
            yield
            events.append("stop")

    app = CovetPy(lifespan=lifespan)

    @app.get("/ready")
    async def ready() -> dict[str, bool]:
        return {"ready": await db.health()}

    async with AsyncTestClient(app) as client:
        assert (await client.get("/ready")).json() == {"ready": True}
    assert events == ["start", "stop"]
    assert db.engine.pool.checkedin() == 0  # type: ignore[attr-defined]  # disposed


async def test_pool_exhausted_is_503_with_retry_after(namespace: Namespace) -> None:
    db = namespace.database(pool_size=1, max_overflow=0, pool_timeout=0.3, retry_after=2)
    app = CovetPy(lifespan=db.lifespan)
    held = asyncio.Event()
    release = asyncio.Event()

    @app.get("/hold")
    async def hold(session: Annotated[AsyncSession, Depends(db.session)]) -> dict[str, int]:
        await session.execute(text("SELECT 1"))
        held.set()
        await release.wait()
        return {"held": 1}

    @app.get("/quick")
    async def quick(session: Annotated[AsyncSession, Depends(db.session)]) -> dict[str, int]:
        return {"one": int(await session.scalar(text("SELECT 1")) or 0)}

    async with AsyncTestClient(app) as client:
        holding = asyncio.ensure_future(client.get("/hold"))
        await held.wait()
        busy = await client.get("/quick")
        release.set()
        assert (await holding).status_code == 200
        assert (await client.get("/quick")).json() == {"one": 1}
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "2"
    assert busy.json()["detail"] == "The database is busy; retry shortly."


@pytest.mark.parametrize("namespace", SERVERS, indirect=True)
async def test_outage_is_503_and_recovers_without_restart(
    namespace: Namespace, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = make_url(namespace.url)
    proxy = TCPProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    url = upstream.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    db = Database(url, connect_args=namespace.connect_args, connect_timeout=1.0)
    async with db.engine.begin() as connection:
        await connection.run_sync(Author.metadata.create_all)
    app = CovetPy(lifespan=db.lifespan)

    @app.get("/count")
    async def count(session: Annotated[AsyncSession, Depends(db.session)]) -> dict[str, int]:
        return {"authors": await Author.count(session)}

    @app.get("/ready")
    async def ready() -> dict[str, bool]:
        return {"ready": await db.health()}

    async with AsyncTestClient(app) as client:
        assert (await client.get("/count")).json() == {"authors": 0}
        await proxy.cut()
        with caplog.at_level(logging.WARNING, "covet.db"):
            async with asyncio.timeout(5):
                down = await client.get("/count")
                assert (await client.get("/ready")).json() == {"ready": False}
        assert down.status_code == 503
        assert down.headers["retry-after"] == "1"
        assert "Traceback" not in down.text
        await proxy.start()
        assert (await client.get("/count")).json() == {"authors": 0}
        assert (await client.get("/ready")).json() == {"ready": True}
    await proxy.cut()


@pytest.mark.parametrize("namespace", ["sqlite"], indirect=True)
async def test_sqlite_is_configured_for_concurrent_requests(namespace: Namespace) -> None:
    db = namespace.database()
    async with db.engine.begin() as connection:
        await connection.run_sync(Author.metadata.create_all)
        assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert await connection.scalar(text("PRAGMA busy_timeout")) == 5000
    app = CovetPy(lifespan=db.lifespan)

    @app.post("/authors/{n}")
    async def create(n: int, session: Annotated[AsyncSession, Depends(db.session)]) -> None:
        await Author.create(session, email=f"{n}@example.com")
        await Author.count(session)

    async with AsyncTestClient(app) as client:
        answers = await asyncio.gather(*(client.post(f"/authors/{n}") for n in range(100)))
    assert [a.status_code for a in answers] == [200] * 100
    async with db.session_scope() as session:
        assert await Author.count(session) == 100
    await db.engine.dispose()
