"""The three databases of the data-layer tests, each test in a namespace of its own.

SQLite is a file in the test's temporary folder; PostgreSQL (``COVET_TEST_POSTGRES_URL``,
default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``) gets a fresh schema, put first
on the search path; MariaDB (``COVET_TEST_MYSQL_URL``, default
``mysql+asyncmy://root@127.0.0.1:3306/test``) a fresh database. The namespace is dropped after
the test. An unreachable server skips on a developer machine and fails under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.optional import missing

POSTGRES_URL = os.environ.get(
    "COVET_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("COVET_TEST_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/test")
BACKENDS = ["sqlite", "postgresql", "mariadb"]
SERVERS = ["postgresql", "mariadb"]


@dataclass
class Namespace:
    """Where one test's tables live: the URL and connect arguments a ``Database`` takes."""

    backend: str
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    def database(self, **options: Any) -> Any:
        """A ``covet.db.Database`` in this namespace (``options``: pool settings...)."""
        from covet.db import Database

        args = {**self.connect_args, **options.pop("connect_args", {})}
        return Database(self.url, connect_args=args, **options)


async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(5), engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def open_namespace(backend: str, folder: Path, *, url_only: bool = False) -> Namespace:
    """A fresh, empty namespace on ``backend`` (:func:`missing` if its server is down).

    With ``url_only`` the URL alone reaches it (PostgreSQL then gets a database, not a schema).
    """
    name = f"covet_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        return Namespace(backend, f"sqlite+aiosqlite:///{folder / 'test.db'}", name=name)
    url = POSTGRES_URL if backend == "postgresql" else MYSQL_URL
    schema = backend == "postgresql" and not url_only
    try:
        await _admin(url, f"CREATE SCHEMA {name}" if schema else f"CREATE DATABASE {name}")
    except Exception as exc:
        missing(f"{backend} is not reachable at {url}: {type(exc).__name__}: {exc}")
    if schema:
        return Namespace(backend, url, {"server_settings": {"search_path": name}}, name)
    base, _, _ = url.rpartition("/")
    return Namespace(backend, f"{base}/{name}", name=name)


async def close_namespace(namespace: Namespace) -> None:
    """Drop what :func:`open_namespace` made."""
    if namespace.backend == "postgresql" and namespace.connect_args:
        await _admin(POSTGRES_URL, f"DROP SCHEMA IF EXISTS {namespace.name} CASCADE")
    elif namespace.backend == "postgresql":
        await _admin(POSTGRES_URL, f"DROP DATABASE IF EXISTS {namespace.name} WITH (FORCE)")
    elif namespace.backend == "mariadb":
        await _admin(MYSQL_URL, f"DROP DATABASE IF EXISTS {namespace.name}")
