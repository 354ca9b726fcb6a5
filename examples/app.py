"""The example application served by ``make run`` (``covet run examples.app:app``).

It shows what the core offers: JSON handlers, typed path parameters, a Router included
with a prefix, query parameters, a JSON request body, an HTML page, a streamed response,
a WebSocket echo, a lifespan that yields typed state, the access-log middleware and an
exception handler — and a resource kept in a database: notes, stored through ``covet.db``
(SQLAlchemy) in the SQLite file ``example.db`` unless ``DATABASE_URL`` names another database
(``postgresql+asyncpg://…``, ``mysql+asyncmy://…``), with a session per request, a 404 from
``get_or_404`` and paginated listings.
"""

from __future__ import annotations

import asyncio
import html
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from covet import (
    CovetPy,
    Depends,
    HTMLResponse,
    JSONResponse,
    Query,
    Request,
    Response,
    Router,
    Secret,
    Settings,
    StreamingResponse,
    WebSocket,
)
from covet.db import AsyncSession, Database, Model, paginate, schema_from_model
from covet.middleware import AccessLogMiddleware
from covet.routing import WebSocketRoute
from covet.validation import Constraints

# -- state made by the lifespan ---------------------------------------------------------------


@dataclass
class Item:
    """An item in the store."""

    id: int
    name: str
    price: float


@dataclass
class AppState:
    """What the lifespan yields; handlers get it with ``request.state_of(AppState)``."""

    items: dict[int, Item] = field(default_factory=dict)
    next_id: int = 1

    def add(self, name: str, price: float) -> Item:
        """Store a new item under the next free id."""
        item = Item(self.next_id, name, price)
        self.items[item.id] = item
        self.next_id += 1
        return item


@dataclass
class MissingItem:
    """The 404 body naming the id that has no item (documented in the OpenAPI document)."""

    error: str
    item_id: int


class ItemNotFoundError(LookupError):
    """No item has the requested id; the exception handler turns it into a 404."""

    def __init__(self, item_id: int) -> None:
        super().__init__(f"No item with id {item_id}.")
        self.item_id = item_id


@asynccontextmanager
async def lifespan(app: CovetPy) -> AsyncIterator[AppState]:
    """Fill the in-memory store at start-up; it lives as long as the server."""
    state = AppState()
    state.add("Teapot", 18.5)
    state.add("Kettle", 32.0)
    yield state


# -- the items API, a Router included under /api ----------------------------------------------

items = Router(tags=["items"])


@dataclass
class ItemIn:
    """What a client sends to create an item; validated from the JSON body."""

    name: Annotated[str, Constraints(pattern=r"\S", max_length=100)]
    price: Annotated[float, Constraints(ge=0)]


def app_state(request: Request) -> AppState:
    """Dependency: the item store the lifespan created."""
    return request.state_of(AppState)


@items.get("/items")
async def list_items(
    store: Annotated[AppState, Depends(app_state)],
    q: Annotated[str, Query(description="Filter by name (case-insensitive).")] = "",
    limit: Annotated[int, Query(ge=0, le=1000, description="Most items to return.")] = 100,
) -> dict[str, Any]:
    """List items; ``?q=`` filters by name, ``?limit=`` caps the count."""
    found = [item for item in store.items.values() if q.lower() in item.name.lower()]
    return {"items": found[:limit], "total": len(found)}


# A 404 is either this app's ``MissingItem`` body or, for a path segment that is not a whole
# number, the router's RFC 9457 problem document.
PROBLEM_404 = {
    "application/problem+json": {
        "schema": {
            "type": "object",
            "properties": {"status": {"const": 404}, "title": {"type": "string"}},
            "required": ["status", "title"],
        }
    }
}
NOT_FOUND = {"description": "No item has this id.", "model": MissingItem, "content": PROBLEM_404}


@items.get("/items/{item_id:int}", responses={404: NOT_FOUND})
async def get_item(item_id: int, store: Annotated[AppState, Depends(app_state)]) -> Item:
    """Return one item (404 through the exception handler when it does not exist)."""
    item = store.items.get(item_id)
    if item is None:
        raise ItemNotFoundError(item_id)
    return item


@items.post("/items", status_code=201)
async def create_item(item: ItemIn, store: Annotated[AppState, Depends(app_state)]) -> Item:
    """Create an item from a JSON body such as ``{"name": "Cup", "price": 4.5}``."""
    return store.add(item.name.strip(), float(item.price))


# -- notes, kept in a database (covet.db on SQLAlchemy) -----------------------------------------


class ExampleSettings(Settings):
    """Read from the environment: ``DATABASE_URL`` chooses the database."""

    database_url: Secret[str] = Secret("sqlite+aiosqlite:///example.db")


db = Database(ExampleSettings().database_url)


class Note(Model):
    """A row of ``example_notes``."""

    __tablename__ = "example_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")


NoteOut = schema_from_model(Note)


@dataclass
class NoteIn:
    """What a client sends to create a note."""

    title: Annotated[str, Constraints(pattern=r"\S", max_length=100)]
    body: Annotated[str, Constraints(max_length=10_000)] = ""


@dataclass
class NotesPage:
    """One page of notes, newest first, with how many there are in all."""

    items: list[NoteOut]  # type: ignore[valid-type]
    total: int
    page: int
    size: int


@asynccontextmanager
async def notes_table(app: CovetPy) -> AsyncIterator[None]:
    """Create the notes table at start-up if the database does not have it yet."""
    async with db.engine.begin() as connection:
        await connection.run_sync(Model.metadata.create_all, tables=[Note.__table__])
    yield


notes = Router(tags=["notes"])
Session = Annotated[AsyncSession, Depends(db.session)]
NOTE_NOT_FOUND = {404: {"description": "No note has this id.", "content": PROBLEM_404}}


@notes.get("/notes")
async def list_notes(
    session: Session,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="Notes per page.")] = 20,
) -> NotesPage:
    """List notes, newest first, ``?page=`` and ``?size=`` at a time."""
    found = await paginate(session, select(Note).order_by(Note.id.desc()), page=page, size=size)
    return NotesPage(items=found.items, total=found.total or 0, page=page, size=size)


@notes.get("/notes/{note_id:int}", responses=NOTE_NOT_FOUND)
async def get_note(note_id: int, session: Session) -> NoteOut:  # type: ignore[valid-type]
    """Return one note (404 when there is none)."""
    return await Note.get_or_404(session, note_id)


@notes.post("/notes", status_code=201)
async def create_note(note: NoteIn, session: Session) -> NoteOut:  # type: ignore[valid-type]
    """Store a note from a JSON body such as ``{"title": "Buy tea", "body": "green"}``."""
    return await Note.create(session, title=note.title.strip(), body=note.body)


@notes.delete("/notes/{note_id:int}", status_code=204, responses=NOTE_NOT_FOUND)
async def delete_note(note_id: int, session: Session) -> Response:
    """Delete one note (404 when there is none)."""
    await (await Note.get_or_404(session, note_id)).delete(session)
    return Response(status_code=204)


# -- the application --------------------------------------------------------------------------


async def item_not_found(request: Request, exc: ItemNotFoundError) -> JSONResponse:
    """Answer a missing item with a 404 JSON body naming the id."""
    return JSONResponse(asdict(MissingItem(str(exc), exc.item_id)), status_code=404)


app = CovetPy(
    lifespan=[db.lifespan, notes_table, lifespan],
    middleware=[(AccessLogMiddleware, {})],
    exception_handlers={ItemNotFoundError: item_not_found},
)
app.include_router(items, prefix="/api")
app.include_router(notes, prefix="/api")


@app.get("/", responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
async def index(request: Request) -> HTMLResponse:
    """List every endpoint of this application on an HTML page."""
    rows = []
    for route in request.app.router.routes:
        methods = "WS" if isinstance(route, WebSocketRoute) else ", ".join(sorted(route.methods))
        doc = (route.endpoint.__doc__ or "").strip().splitlines()
        rows.append(
            f"<tr><td>{html.escape(methods)}</td><td><code>{html.escape(route.path)}</code>"
            f"</td><td>{html.escape(doc[0].replace('``', '') if doc else '')}</td></tr>"
        )
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>CovetPy example</title>"
        "</head><body><h1>CovetPy example</h1><table>"
        "<tr><th>Methods</th><th>Path</th><th>What it does</th></tr>"
        f"{''.join(rows)}</table></body></html>"
    )


@app.get("/hello/{name}")
async def hello(name: str) -> dict[str, str]:
    """Greet ``name``."""
    return {"greeting": f"Hello, {name}!"}


@app.get("/orders/{order_id:uuid}")
async def get_order(order_id: uuid.UUID) -> dict[str, Any]:
    """Echo a UUID path parameter, parsed by the ``uuid`` convertor."""
    return {"order_id": order_id, "version": order_id.version}


@app.get(
    "/stream",
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)
async def stream(
    count: Annotated[int, Query(ge=1, le=50, description="How many lines to send.")] = 5,
) -> StreamingResponse:
    """Stream ``?count=`` (default 5, at most 50) lines of newline-delimited JSON."""

    async def lines() -> AsyncIterator[str]:
        for number in range(1, count + 1):
            yield f'{{"line": {number}}}\n'
            await asyncio.sleep(0.01)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@app.websocket("/ws")
async def echo(websocket: WebSocket) -> None:
    """Send every text message back until the client disconnects."""
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(message)
