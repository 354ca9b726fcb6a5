"""Pages kept in a database table and served as routes that follow the table at run time.

Each row of ``cms_pages`` (a path, a title, a body) is one route of the app: the rows are
read at start-up and again every ``interval`` seconds, so a page that an editor adds, changes
or deletes — from this process or any other — is served, updated or gone without a restart.
Routes are added and removed with ``app.add_api_route`` / ``app.remove_route`` while the app
serves; a page's content lives in a dict the route reads, so an edit never removes a route.

Run it: ``DATABASE_URL=... covet run examples.pages:app`` (SQLite ``pages.db`` by default).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from covet import CovetPy, HTMLResponse, Request
from covet.db import Database, Model
from covet.exceptions import RouteConflictError
from covet.routing.routes import BaseRoute

logger = logging.getLogger("examples.pages")


class Page(Model):
    __tablename__ = "cms_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Content:
    title: str
    body: str


def usable_path(path: str) -> bool:
    """A static path: no parameters, no dot segments, nothing a router would read as syntax."""
    segments = path.split("/")[1:]
    return (
        path.startswith("/")
        and len(path) <= 200
        and path.isprintable()
        and not any(character in path for character in "{}?#%\\ ")
        and all(segment not in (".", "..") for segment in segments)
    )


class PageRoutes:
    """One route per page row; :meth:`sync` makes the routes match the table."""

    def __init__(self, db: Database, *, interval: float = 5.0) -> None:
        self.app: CovetPy | None = None  # the app whose lifespan runs this
        self.db = db
        self.interval = interval
        self.content: dict[str, Content] = {}
        self._routes: dict[str, BaseRoute] = {}
        self._lock = asyncio.Lock()

    async def sync(self) -> None:
        """Read the table; add routes for new paths, drop those of deleted rows."""
        app = self.app
        assert app is not None, "sync() runs inside the app's lifespan"
        async with self._lock:
            async with self.db.read_session_scope() as session:
                rows = (await session.execute(select(Page.path, Page.title, Page.body))).all()
            wanted = {path: Content(title, body) for path, title, body in rows}
            for path in set(self._routes) - set(wanted):
                app.remove_route(self._routes.pop(path))
                self.content.pop(path, None)
            self.content.update({p: c for p, c in wanted.items() if p in self._routes})
            for path in set(wanted) - set(self._routes):
                self._add(app, path, wanted[path])

    def _add(self, app: CovetPy, path: str, content: Content) -> None:
        if not usable_path(path):
            logger.warning("Page path %r is not a plain path; it is not served", path)
            return
        self.content[path] = content
        try:
            app.add_api_route(path, self._serve, name=f"page:{path}", include_in_schema=False)
        except RouteConflictError:
            self.content.pop(path)
            logger.warning("Page path %r is already a route of the app; it is not served", path)
            return
        self._routes[path] = next(r for r in app.router.routes if r.name == f"page:{path}")

    async def _serve(self, request: Request) -> HTMLResponse:
        content = self.content.get(request.url.path)
        if content is None:  # deleted between the table swap and this request
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        title, body = html.escape(content.title), html.escape(content.body)
        return HTMLResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{body}</p>")

    @asynccontextmanager
    async def lifespan(self, app: CovetPy) -> AsyncIterator[None]:
        """Create the table if needed, load the pages, and re-read them every ``interval``."""
        self.app = app
        async with self.db.engine.begin() as connection:
            await connection.run_sync(Page.metadata.create_all, tables=[Page.__table__])
        await self.sync()
        poller = asyncio.create_task(self._poll())
        try:
            yield
        finally:
            poller.cancel()
            with suppress(asyncio.CancelledError):
                await poller

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sync()
            except Exception as exc:  # the database is down: keep serving, retry next round
                logger.warning("Pages not refreshed: %s", type(exc).__name__)


def create_app(database_url: str, *, interval: float = 5.0) -> CovetPy:
    """The app: the pages of the table at ``database_url``, plus a health check."""
    db = Database(database_url)
    pages = PageRoutes(db, interval=interval)
    app = CovetPy(lifespan=[db.lifespan, pages.lifespan])
    app.state.pages = pages

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"database": await db.health()}

    return app


app = create_app(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///pages.db"))
