"""Read replicas and several databases on one app, with real databases as primary and replica.

Without real replication, the primary and each replica are separate databases holding
different rows, so every answer shows which database a session read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from covet import CovetPy, Depends
from covet.db import AsyncSession, Database, Model
from covet.testing import AsyncTestClient, TestClient
from tests.db.models import Author
from tests.support.databases import (
    BACKENDS,
    SERVERS,
    Namespace,
    close_namespace,
    open_namespace,
)
from tests.support.tcpproxy import TCPProxy

pytestmark = pytest.mark.anyio


async def _seeded(namespace: Namespace, *emails: str) -> None:
    """Create the test tables in ``namespace`` holding authors with ``emails``."""
    db = namespace.database()
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(Model.metadata.create_all)
        async with db.session_scope() as session:
            session.add_all(Author(email=email) for email in emails)
    finally:
        await db.engine.dispose()


@pytest.fixture(params=BACKENDS)
async def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Namespace, Namespace, Namespace]]:
    """A primary and two replicas, each its own database, seeded with different rows."""
    made: list[Namespace] = []
    try:
        for role in ("primary", "replica1", "replica2"):
            folder = tmp_path / role
            folder.mkdir()
            made.append(await open_namespace(request.param, folder, url_only=True))
            await _seeded(made[-1], f"{role}@example.org")
        yield made[0], made[1], made[2]
    finally:
        for namespace in made:
            await close_namespace(namespace)


def _app(db: Database) -> CovetPy:
    app = CovetPy(lifespan=db.lifespan)

    @app.get("/authors")
    async def authors(session: Annotated[AsyncSession, Depends(db.read_session)]) -> list[str]:
        return list(await session.scalars(select(Author.email).order_by(Author.email)))

    @app.post("/authors", status_code=201)
    async def create(
        email: str, session: Annotated[AsyncSession, Depends(db.session)]
    ) -> dict[str, str]:
        session.add(Author(email=email))
        return {"email": email}

    @app.post("/through-read-session")
    async def write_badly(
        email: str, session: Annotated[AsyncSession, Depends(db.read_session)]
    ) -> dict[str, str]:
        session.add(Author(email=email))
        await session.flush()
        return {"email": email}

    @app.post("/raw-write-on-replica")
    async def raw_write(session: Annotated[AsyncSession, Depends(db.read_session)]) -> None:
        await session.execute(text("INSERT INTO t_authors (email, password_hash) VALUES ('x', '')"))

    @app.get("/ready")
    async def ready() -> dict[str, bool]:
        return {"ready": await db.health()}

    return app


async def _emails(namespace: Namespace) -> list[str]:
    db = namespace.database()
    try:
        async with db.session_scope() as session:
            return list(await session.scalars(select(Author.email).order_by(Author.email)))
    finally:
        await db.engine.dispose()


async def test_reads_go_to_the_replicas_in_turn_and_writes_to_the_primary(
    pair: tuple[Namespace, Namespace, Namespace],
) -> None:
    primary, replica1, replica2 = pair
    db = Database(primary.url, replicas=[replica1.url, replica2.url])
    async with AsyncTestClient(_app(db)) as client:
        reads = [(await client.get("/authors")).json() for _ in range(4)]
        created = await client.post("/authors", params={"email": "new@example.org"})
    assert created.status_code == 201
    assert sorted(map(tuple, reads)) == [
        ("replica1@example.org",),
        ("replica1@example.org",),
        ("replica2@example.org",),
        ("replica2@example.org",),
    ]
    assert reads[0] != reads[1]  # taken in turn
    assert await _emails(primary) == ["new@example.org", "primary@example.org"]
    assert await _emails(replica1) == ["replica1@example.org"]


async def test_without_replicas_read_sessions_read_the_primary(
    pair: tuple[Namespace, Namespace, Namespace],
) -> None:
    primary, _, _ = pair
    with TestClient(_app(Database(primary.url)), raise_server_exceptions=False) as client:
        assert client.get("/authors").json() == ["primary@example.org"]
        refused = client.post("/through-read-session", params={"email": "no@example.org"})
    assert refused.status_code == 500
    assert await _emails(primary) == ["primary@example.org"]


async def test_a_read_session_cannot_write(
    pair: tuple[Namespace, Namespace, Namespace], caplog: pytest.LogCaptureFixture
) -> None:
    primary, replica1, _ = pair
    db = Database(primary.url, replicas=[replica1.url])
    async with AsyncTestClient(_app(db), raise_server_exceptions=False) as client:
        with caplog.at_level(logging.ERROR):
            orm = await client.post("/through-read-session", params={"email": "no@example.org"})
            raw = await client.post("/raw-write-on-replica")
        after = await client.get("/authors")
    assert orm.status_code == 500
    assert "cannot write; take Depends(db.session)" in caplog.text
    # The replica's connection refuses the raw INSERT itself; it is a bug (500), not an outage.
    assert raw.status_code == 500
    assert after.json() == ["replica1@example.org"]  # the replica was not skipped
    assert await _emails(replica1) == ["replica1@example.org"]


@pytest.mark.parametrize("fallback", [True, False], ids=["fallback", "no-fallback"])
@pytest.mark.parametrize("backend", SERVERS)
async def test_a_replica_outage_is_skipped_and_recovers_by_itself(
    backend: str, fallback: bool, tmp_path: Path
) -> None:
    primary = await open_namespace(backend, tmp_path, url_only=True)
    replica = await open_namespace(backend, tmp_path, url_only=True)
    try:
        await _seeded(primary, "primary@example.org")
        await _seeded(replica, "replica@example.org")
        upstream = make_url(replica.url)
        proxy = TCPProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
        await proxy.start()
        through_proxy = upstream.set(host="127.0.0.1", port=proxy.port)
        db = Database(
            primary.url,
            replicas=[through_proxy.render_as_string(hide_password=False)],
            replica_fallback=fallback,
            replica_retry_interval=0.5,
            connect_timeout=1.0,
        )
        async with AsyncTestClient(_app(db)) as client:
            assert (await client.get("/authors")).json() == ["replica@example.org"]
            await proxy.cut()
            async with asyncio.timeout(10):
                first = await client.get("/authors")  # the session that found it down
                during = await client.get("/authors")
                ready = (await client.get("/ready")).json()
            assert first.status_code == 503
            if fallback:
                assert during.json() == ["primary@example.org"]
                assert ready == {"ready": True}
            else:
                assert during.status_code == 503
                assert ready == {"ready": False}
            await proxy.start()
            await asyncio.sleep(0.6)
            assert (await client.get("/authors")).json() == ["replica@example.org"]
            assert (await client.get("/ready")).json() == {"ready": True}
        await proxy.cut()
    finally:
        await close_namespace(primary)
        await close_namespace(replica)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_app_starts_with_a_replica_down_and_reads_the_primary(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    primary = await open_namespace(backend, tmp_path, url_only=True)
    try:
        await _seeded(primary, "primary@example.org")
        proxy = TCPProxy("127.0.0.1", 5432)
        await proxy.start()
        await proxy.cut()  # a port nothing answers on
        down = make_url(primary.url).set(host="127.0.0.1", port=proxy.port)
        db = Database(
            primary.url,
            replicas=[down.render_as_string(hide_password=False)],
            connect_timeout=0.5,
        )
        with caplog.at_level(logging.WARNING, "covet.db"):
            async with AsyncTestClient(_app(db)) as client:
                assert (await client.get("/authors")).json() == ["primary@example.org"]
        assert "Read replica" in caplog.text
        assert "is unavailable" in caplog.text
        refusing = Database(
            primary.url,
            replicas=[down.render_as_string(hide_password=False)],
            replica_fallback=False,
            connect_timeout=0.5,
        )
        with pytest.raises(Exception, match="No read replica is available"):
            async with AsyncTestClient(_app(refusing)):
                pass
    finally:
        await close_namespace(primary)


async def test_two_databases_on_one_app(pair: tuple[Namespace, Namespace, Namespace]) -> None:
    """Named databases: each its own pool, session and commit; lifespans given as a list."""
    users_ns, audit_ns, _ = pair
    users = Database(users_ns.url)
    audit = Database(audit_ns.url)
    app = CovetPy(lifespan=[users.lifespan, audit.lifespan])

    @app.post("/users", status_code=201)
    async def sign_up(
        email: str,
        session: Annotated[AsyncSession, Depends(users.session)],
        log: Annotated[AsyncSession, Depends(audit.session)],
    ) -> dict[str, str]:
        session.add(Author(email=email))
        log.add(Author(email=f"audit-{email}"))
        if email.startswith("fail"):
            raise ValueError("the handler failed: both sessions roll back")
        return {"email": email}

    async with AsyncTestClient(app, raise_server_exceptions=False) as client:
        assert (await client.post("/users", params={"email": "a@example.org"})).status_code == 201
        failed = await client.post("/users", params={"email": "fail@example.org"})
    assert failed.status_code == 500
    assert await _emails(users_ns) == ["a@example.org", "primary@example.org"]
    assert await _emails(audit_ns) == ["audit-a@example.org", "replica1@example.org"]
    for db in (users, audit):
        assert db.engine.pool.checkedin() == 0  # type: ignore[attr-defined]  # both disposed
