"""The PostgreSQL scenario of issue 9: one row by primary key, and a list of 50 rows.

Four apps answer ``GET /users/{id}`` and ``GET /users?limit=50`` from the ``bench_users``
table (seeded by :func:`seed`):

* ``asyncpg``: a raw ASGI app on an asyncpg pool, no ORM at all (the floor);
* ``sqlalchemy``: a raw ASGI app running the same SQLAlchemy code as the frameworks (session
  from an ``async_sessionmaker``, ``session.get`` / ``select``), JSON by hand;
* ``covet``: CovetPy with ``covet.db`` (``Depends(db.session)``, a ``schema_from_model``
  response schema), as its docs show it;
* ``fastapi``: FastAPI with the session dependency of its SQL tutorial and a pydantic
  ``from_attributes`` response model.

Every SQLAlchemy app gets the same engine: asyncpg, a pool of 5 (+10 overflow), pre-ping,
``expire_on_commit=False`` (``covet.db.Database``'s defaults, written out for the others).
"""

# No ``from __future__ import annotations``: FastAPI must see the local classes themselves.
import abc
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import parse_qs

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

URL = os.environ.get("COVET_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SA_URL = URL.replace("postgresql://", "postgresql+asyncpg://", 1)
ROWS = 1000
LIST_LIMIT = 50
ENGINE_OPTIONS: dict[str, Any] = {
    "pool_size": 5,
    "max_overflow": 10,
    "pool_timeout": 10.0,
    "pool_recycle": 1800,
    "pool_pre_ping": True,
    "connect_args": {"timeout": 5.0},
}


def user_row(number: int) -> dict[str, Any]:
    """The row ``number`` of the seeded table, as every app must answer it."""
    return {"id": number, "email": f"user{number}@example.com", "name": f"User {number}"}


async def seed() -> None:
    """(Re)create ``bench_users`` with :data:`ROWS` rows."""
    import asyncpg

    connection = await asyncpg.connect(URL)
    try:
        await connection.execute("DROP TABLE IF EXISTS bench_users")
        await connection.execute(
            "CREATE TABLE bench_users (id integer PRIMARY KEY, email varchar(120) NOT NULL,"
            " name varchar(120) NOT NULL)"
        )
        await connection.copy_records_to_table(
            "bench_users",
            records=[tuple(user_row(n).values()) for n in range(1, ROWS + 1)],
            columns=["id", "email", "name"],
        )
    finally:
        await connection.close()


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_JSON = [(b"content-type", b"application/json")]


async def _lifespan(receive: Receive, send: Send, start: Any, stop: Any) -> None:
    await receive()
    await start()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await stop()
    await send({"type": "lifespan.shutdown.complete"})


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _route(scope: Scope) -> tuple[str, int] | None:
    """``("one", id)`` for ``/users/{id}``, ``("list", limit)`` for ``/users?limit=``."""
    path = scope["path"]
    if path == "/users":
        values = parse_qs(scope["query_string"].decode("latin-1")).get("limit", ["50"])
        return ("list", int(values[0])) if values[0].isdigit() else None
    head, _, tail = path.rpartition("/")
    if head == "/users" and tail.isdigit():
        return "one", int(tail)
    return None


class _RawApp(abc.ABC):
    """A raw ASGI app: lifespan, the two routes, a 404; subclasses fetch the rows."""

    async def _start(self) -> None:
        return None

    async def _stop(self) -> None:
        return None

    @abc.abstractmethod
    async def _find(self, kind: str, value: int) -> Any:
        """The JSON-able answer for the route (``None``: no such user)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self._start, self._stop)
            return
        route = _route(scope)
        found = None if route is None else await self._find(*route)
        if found is None:
            await _answer(send, 404, b'{"detail":"Not Found"}')
        else:
            await _answer(send, 200, json.dumps(found).encode())


# -- the floor: asyncpg alone -----------------------------------------------------------------


class AsyncpgApp(_RawApp):
    """Raw ASGI on an asyncpg pool: one query, the record turned into JSON by hand."""

    def __init__(self) -> None:
        self.pool: Any = None

    async def _start(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(URL, min_size=5, max_size=15)

    async def _stop(self) -> None:
        await self.pool.close()

    async def _find(self, kind: str, value: int) -> Any:
        async with self.pool.acquire() as connection:
            if kind == "one":
                row = await connection.fetchrow(
                    "SELECT id, email, name FROM bench_users WHERE id = $1", value
                )
                return None if row is None else dict(row)
            rows = await connection.fetch(
                "SELECT id, email, name FROM bench_users ORDER BY id LIMIT $1", value
            )
            return [dict(row) for row in rows]


# -- the same SQLAlchemy code, without a framework --------------------------------------------


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bench_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))


def _user_dict(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name}


class SQLAlchemyApp(_RawApp):
    """Raw ASGI running the frameworks' SQLAlchemy code: a session per request, committed."""

    def __init__(self) -> None:
        self.engine = create_async_engine(SA_URL, **ENGINE_OPTIONS)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def _stop(self) -> None:
        await self.engine.dispose()

    async def _find(self, kind: str, value: int) -> Any:
        async with self.sessionmaker() as session:
            if kind == "one":
                user = await session.get(User, value)
                found: Any = None if user is None else _user_dict(user)
            else:
                query = select(User).order_by(User.id).limit(value)
                found = [_user_dict(user) for user in (await session.scalars(query)).all()]
            await session.commit()
        return found


# -- CovetPy, as docs/data.md shows it --------------------------------------------------------


def covet_app() -> Any:
    """CovetPy: ``Depends(db.session)``, ``get_or_404`` and a ``schema_from_model`` schema."""
    from covet import CovetPy, Depends, Query
    from covet.db import Database, Model, schema_from_model

    class BenchUser(Model):
        __tablename__ = "bench_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(120))
        name: Mapped[str] = mapped_column(String(120))

    user_out = schema_from_model(BenchUser, name="UserOut")
    db = Database(SA_URL)
    app = CovetPy(lifespan=db.lifespan, openapi_url=None)
    session_dependency = Depends(db.session)

    @app.get("/users/{user_id:int}")
    async def get_user(
        user_id: int, session: Annotated[AsyncSession, session_dependency]
    ) -> user_out:
        return await BenchUser.get_or_404(session, user_id)

    @app.get("/users")
    async def list_users(
        session: Annotated[AsyncSession, session_dependency],
        limit: Annotated[int, Query(ge=1, le=100)] = LIST_LIMIT,
    ) -> list[user_out]:
        query = select(BenchUser).order_by(BenchUser.id).limit(limit)
        return list((await session.scalars(query)).all())

    return app


# -- FastAPI, as its SQL tutorial shows it ----------------------------------------------------


def fastapi_app() -> Any:
    """FastAPI: a yield session dependency and a pydantic ``from_attributes`` model."""
    from fastapi import Depends, FastAPI, HTTPException, Query
    from pydantic import BaseModel, ConfigDict

    engine = create_async_engine(SA_URL, **ENGINE_OPTIONS)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    class UserOut(BaseModel):
        model_config = ConfigDict(from_attributes=True)
        id: int
        email: str
        name: str

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as session:
            yield session
            await session.commit()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    SessionDep = Annotated[AsyncSession, Depends(get_session)]

    @app.get("/users/{user_id}", response_model=UserOut)
    async def get_user(user_id: int, session: SessionDep) -> Any:
        user = await session.get(User, user_id)
        if user is None:
            raise HTTPException(status_code=404, detail="User not found")
        return user

    @app.get("/users", response_model=list[UserOut])
    async def list_users(
        session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = LIST_LIMIT
    ) -> Any:
        return (await session.scalars(select(User).order_by(User.id).limit(limit))).all()

    return app


APPS: dict[str, Callable[[], Any]] = {
    "asyncpg": AsyncpgApp,
    "sqlalchemy": SQLAlchemyApp,
    "covet": covet_app,
    "fastapi": fastapi_app,
}
"""App name -> factory, the floor first."""
