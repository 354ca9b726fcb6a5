"""A database per test, parametrised over SQLite, PostgreSQL and MariaDB (in the test id)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import BACKENDS, Namespace, close_namespace, open_namespace
from tests.support.optional import require

require("sqlalchemy")
require("aiosqlite")
require("asyncpg")
require("asyncmy")

from covet.db import Database, Model  # noqa: E402
from tests.db import models  # noqa: E402, F401  (their tables are created)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=BACKENDS)
async def namespace(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Namespace]:
    """A fresh namespace (SQLite file, PostgreSQL schema, MariaDB database), dropped after."""
    made = await open_namespace(request.param, tmp_path)
    try:
        yield made
    finally:
        await close_namespace(made)


@pytest.fixture
async def database(namespace: Namespace) -> AsyncIterator[Database]:
    """A ``Database`` in the test's namespace, with every test model's table created."""
    db = namespace.database()
    async with db.engine.begin() as connection:
        await connection.run_sync(Model.metadata.create_all)
    try:
        yield db
    finally:
        await db.engine.dispose()
