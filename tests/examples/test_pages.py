"""The database-backed pages example: routes follow the table while the app serves."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.support.databases import BACKENDS, close_namespace, open_namespace
from tests.support.optional import require

require("sqlalchemy")
require("aiosqlite")

from sqlalchemy import delete, update  # noqa: E402

from covet.db import Database  # noqa: E402
from covet.testing import AsyncTestClient  # noqa: E402
from examples.pages import Page, create_app, usable_path  # noqa: E402

pytestmark = pytest.mark.anyio


async def _wait_for(client: AsyncTestClient, path: str, status: int, text: str = "") -> str:
    """Poll ``path`` until it answers ``status`` with ``text`` (the example re-reads in 0.05 s)."""
    async with asyncio.timeout(10):
        while True:
            answer = await client.get(path)
            if answer.status_code == status and text in answer.text:
                return answer.text
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_pages_follow_the_table_without_a_restart(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    namespace = await open_namespace(backend, tmp_path, url_only=True)
    editor = Database(namespace.url)  # another process's connection, as an editor's tool
    try:
        app = create_app(namespace.url, interval=0.05)
        async with editor.engine.begin() as connection:
            await connection.run_sync(Page.metadata.create_all, tables=[Page.__table__])
        async with editor.session_scope() as session:
            session.add(Page(path="/about", title="About us", body="We <3 pages"))
            session.add(Page(path="/{oops}", title="Bad", body="a parameter, not a page"))
            session.add(Page(path="/healthz", title="Taken", body="the app's own route"))
        with caplog.at_level(logging.WARNING, "examples.pages"):
            async with AsyncTestClient(app) as client:
                about = await client.get("/about")
                assert about.status_code == 200
                assert "<h1>About us</h1><p>We &lt;3 pages</p>" in about.text  # escaped
                assert (await client.get("/healthz")).json() == {"database": True}
                assert (await client.get("/{oops}")).status_code == 404

                async with editor.session_scope() as session:
                    session.add(Page(path="/contact", title="Contact", body="write to us"))
                assert "write to us" in await _wait_for(client, "/contact", 200)

                async with editor.session_scope() as session:
                    await session.execute(
                        update(Page).where(Page.path == "/about").values(body="Changed")
                    )
                await _wait_for(client, "/about", 200, "<p>Changed</p>")

                async with editor.session_scope() as session:
                    await session.execute(delete(Page).where(Page.path == "/about"))
                await _wait_for(client, "/about", 404)
                assert (await client.get("/contact")).status_code == 200
        assert "'/{oops}' is not a plain path" in caplog.text
        assert "'/healthz' is already a route of the app" in caplog.text
    finally:
        await editor.engine.dispose()
        await close_namespace(namespace)


@pytest.mark.parametrize(
    ("path", "usable"),
    [
        ("/about", True),
        ("/a/b-c_d.html", True),
        ("about", False),
        ("/{x}", False),
        ("/a/../b", False),
        ("/a b", False),
        ("/a%2Fb", False),
        ("/a\nb", False),
        ("/" + "a" * 300, False),
    ],
)
def test_only_plain_paths_become_routes(path: str, usable: bool) -> None:
    assert usable_path(path) is usable
