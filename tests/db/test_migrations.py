"""``covet db``: init, autogenerate, upgrade, check, downgrade on SQLite, PostgreSQL and MariaDB.

Each test is a project in a temporary folder: a ``shop.py`` module with a Database and models,
driven by ``python -m covet db ...`` subprocesses, as a user runs them from the project root.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import BACKENDS, Namespace, close_namespace, open_namespace

pytestmark = pytest.mark.e2e

MODELS = """
import os

from sqlalchemy.orm import Mapped, mapped_column

from covet import CovetPy
from covet.db import Database, Model

db = Database(os.environ["DATABASE_URL"])


class Item(Model):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
{extra}

app = CovetPy(lifespan=db.lifespan)
"""
PRICE = "    price: Mapped[float | None]"


@dataclass
class Project:
    """A project folder whose ``shop`` module uses one test database."""

    root: Path
    namespace: Namespace

    def write_models(self, extra: str = "") -> None:
        (self.root / "shop.py").write_text(textwrap.dedent(MODELS.format(extra=extra)))
        for cached in (self.root / "__pycache__").glob("shop.*"):
            cached.unlink()

    def covet(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": url or self.namespace.url}
        return subprocess.run(
            [sys.executable, "-m", "covet", "db", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str) -> str:
        done = self.covet(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    def columns(self) -> dict[str, list[str]]:
        """Each table of the database and its columns (the version table left out)."""
        return asyncio.run(_columns(self.namespace))


async def _columns(namespace: Namespace) -> dict[str, list[str]]:
    from sqlalchemy import inspect

    database = namespace.database()

    def read(connection: Any) -> dict[str, list[str]]:
        inspector = inspect(connection)
        return {
            table: [column["name"] for column in inspector.get_columns(table)]
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }

    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await database.engine.dispose()


@pytest.fixture(params=BACKENDS)
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    pytest.importorskip("alembic")
    namespace = asyncio.run(open_namespace(request.param, tmp_path, url_only=True))
    root = tmp_path / "project"
    root.mkdir()
    made = Project(root, namespace)
    made.write_models()
    try:
        yield made
    finally:
        asyncio.run(close_namespace(namespace))


def test_the_migration_round_trip(project: Project) -> None:
    assert "Created migrations/" in project.ok("init", "shop:app")
    assert (project.root / "migrations" / "env.py").read_text().endswith("\nrun_migrations()\n")

    found = project.ok("revision", "--autogenerate", "-m", "create items", "shop:app")
    assert "Detected added table 'items'" in found
    (first,) = (project.root / "migrations" / "versions").glob("*_create_items.py")
    assert "op.create_table('items'" in first.read_text()
    assert "uq_items_name" in first.read_text()  # Model's naming convention: stable names

    assert "Running upgrade  -> " in project.ok("upgrade", "shop:app")
    assert project.columns() == {"items": ["id", "name"]}
    assert project.ok("check", "shop:app") == "No new upgrade operations detected.\n"

    project.write_models(PRICE)
    behind = project.covet("check", "shop:app")
    assert behind.returncode == 1
    assert "price" in behind.stderr
    project.ok("revision", "--autogenerate", "-m", "add price", "shop:app")
    project.ok("upgrade", "shop:app")
    assert project.columns() == {"items": ["id", "name", "price"]}
    head = first.name.split("_")[0]
    history = project.ok("history", "shop:app")
    assert "add price" in history
    assert f"{head} -> " in history

    project.ok("downgrade", "-1", "shop:app")
    assert project.columns() == {"items": ["id", "name"]}
    assert project.ok("current", "shop:app").strip().startswith(head)
    project.ok("downgrade", "base", "shop:app")
    assert project.columns() == {}


def test_upgrade_sql_prints_the_statements_without_running_them(project: Project) -> None:
    if project.namespace.backend == "sqlite":
        pytest.skip("offline SQL is shown on the server databases")
    project.ok("init", "shop:app")
    project.ok("revision", "--autogenerate", "-m", "create items", "shop:app")

    printed = project.ok("upgrade", "--sql", "shop:app")

    assert "CREATE TABLE items" in printed
    assert project.columns() == {}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_mistakes_are_one_line_errors(backend: str, tmp_path: Path) -> None:
    namespace = Namespace(backend, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    project = Project(tmp_path, namespace)
    project.write_models()

    no_directory = project.covet("upgrade", "shop:app")
    assert no_directory.returncode == 2
    assert "no migrations (no env.py)" in no_directory.stderr
    assert "covet db init shop:app" in no_directory.stderr

    (tmp_path / "other.py").write_text("x = 1\n")
    no_database = project.covet("init", "other:x")
    assert no_database.returncode == 2
    assert "holds no Database" in no_database.stderr

    project.ok("init", "shop:app")
    again = project.covet("init", "shop:app")
    assert again.returncode == 2
    assert "exists and is not empty" in again.stderr

    bad_revision = project.covet("downgrade", "nonsense", "shop:app")
    assert bad_revision.returncode == 2
    for done in (no_directory, no_database, again, bad_revision):
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_is_one_line_with_the_password_masked(tmp_path: Path) -> None:
    pytest.importorskip("asyncpg")
    from tests.support.servers import free_port

    url = f"postgresql+asyncpg://shop:hunter2@127.0.0.1:{free_port()}/shop"
    project = Project(tmp_path, Namespace("postgresql", url))
    project.write_models()
    project.ok("init", "shop:app")

    done = project.covet("upgrade", "shop:app")

    assert done.returncode == 1
    assert "cannot reach the database postgresql+asyncpg://shop:***@127.0.0.1" in done.stderr
    assert "hunter2" not in done.stderr
    assert "Traceback" not in done.stderr


def test_the_db_command_loads_without_its_extra() -> None:
    # Every `covet` command loads the entry points: `covet db` must not import SQLAlchemy then.
    code = (
        "import sys; import covet.commands.db as db; "
        "assert db.COMMAND.name == 'db'; "
        "assert not any(m.split('.')[0] in ('sqlalchemy', 'alembic') for m in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_covet_help_lists_the_db_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "covet", "--help"], capture_output=True, text=True, timeout=30
    )
    assert "db        database migrations (Alembic)" in done.stdout
