"""A session per request: committed before the response, rolled back on error, always closed."""

from __future__ import annotations

from typing import Annotated

import pytest
from sqlalchemy import select

from covet import CovetPy, Depends, HTTPException
from covet.db import AsyncSession, Database, schema_from_model
from covet.testing import AsyncTestClient
from tests.db.models import Author, Post

pytestmark = pytest.mark.anyio

AuthorOut = schema_from_model(Author, exclude={"password_hash", "age"})


def author_app(db: Database) -> CovetPy:
    app = CovetPy(lifespan=db.lifespan)
    Session = Annotated[AsyncSession, Depends(db.session)]

    @app.get("/authors/{author_id}")
    async def read(author_id: int, session: Session) -> AuthorOut:
        return await Author.get_or_404(session, author_id)

    @app.post("/authors", status_code=201)
    async def create(email: str, session: Session, age: int | None = None) -> AuthorOut:
        author = Author(email=email, age=age)
        session.add(author)  # flushed by the commit, after the handler returned
        return author

    @app.post("/authors/flushed", status_code=201)
    async def create_flushed(email: str, session: Session) -> AuthorOut:
        return await Author.create(session, email=email)  # a conflict raises here, at flush

    @app.post("/authors/refused")
    async def refused(email: str, session: Session) -> None:
        session.add(Author(email=email))
        await session.flush()
        raise HTTPException(400, "Refused after the insert.")

    @app.post("/posts", status_code=201)
    async def post(author_id: int, session: Session) -> dict[str, int]:
        created = await Post.create(session, author_id=author_id, title="t")
        return {"id": created.id}

    return app


async def count_authors(db: Database) -> int:
    async with db.session_scope() as session:
        return len((await session.scalars(select(Author))).all())


async def test_created_row_is_read_back(database: Database) -> None:
    async with AsyncTestClient(author_app(database)) as client:
        created = await client.post("/authors", params={"email": "ann@example.com"})
        assert created.status_code == 201
        assert created.json() == {"id": 1, "email": "ann@example.com"}
        assert (await client.get("/authors/1")).json() == {"id": 1, "email": "ann@example.com"}
        missing = await client.get("/authors/2")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Author not found."


@pytest.mark.parametrize("path", ["/authors", "/authors/flushed"], ids=["at-commit", "at-flush"])
async def test_unique_violation_is_409_naming_the_constraint_and_nothing_is_saved(
    database: Database, path: str
) -> None:
    async with AsyncTestClient(author_app(database)) as client:
        assert (await client.post(path, params={"email": "a@example.com"})).status_code == 201
        again = await client.post(path, params={"email": "a@example.com"})
    assert again.status_code == 409
    assert again.json()["detail"] == "The change conflicts with constraint 'uq_t_authors_email'."
    assert "INSERT" not in again.text
    assert "a@example.com" not in again.text
    assert await count_authors(database) == 1
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_check_violation_is_409_naming_the_constraint(database: Database) -> None:
    async with AsyncTestClient(author_app(database)) as client:
        answer = await client.post("/authors", params={"email": "b@example.com", "age": -1})
    assert answer.status_code == 409
    assert "ck_t_authors_age_not_negative" in answer.json()["detail"]
    assert await count_authors(database) == 0


async def test_foreign_key_violation_is_409(database: Database) -> None:
    async with AsyncTestClient(author_app(database)) as client:
        answer = await client.post("/posts", params={"author_id": 99})
    assert answer.status_code == 409
    detail = answer.json()["detail"]
    if database.dialect == "sqlite":  # SQLite does not say which foreign key failed
        assert detail == "The change conflicts with a database constraint."
    else:
        assert detail == "The change conflicts with constraint 'fk_t_posts_author_id_t_authors'."


async def test_handler_error_rolls_back(database: Database) -> None:
    async with AsyncTestClient(author_app(database)) as client:
        answer = await client.post("/authors/refused", params={"email": "c@example.com"})
    assert answer.status_code == 400
    assert await count_authors(database) == 0


async def test_session_is_committed_before_the_response_is_sent(database: Database) -> None:
    seen: list[int] = []
    app = author_app(database)

    async def observe(scope, receive, send):  # type: ignore[no-untyped-def]
        async def watch(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                seen.append(await count_authors(database))
            await send(message)

        await app(scope, receive, watch if scope["type"] == "http" else send)

    async with AsyncTestClient(observe) as client:
        assert (await client.post("/authors", params={"email": "d@x.io"})).status_code == 201
    assert seen == [1]


async def test_the_container_gives_a_committed_session(database: Database) -> None:
    app = author_app(database)
    async with app.container() as container:
        session = await container.resolve(database.session)
        session.add(Author(email="job@example.com"))
    assert await count_authors(database) == 1


async def test_session_scope_commits_or_rolls_back(database: Database) -> None:
    async with database.session_scope() as session:
        session.add(Author(email="e@example.com"))

    async def failing_job() -> None:
        async with database.session_scope() as session:
            session.add(Author(email="f@example.com"))
            await session.flush()
            raise RuntimeError("job failed")

    with pytest.raises(RuntimeError, match="job failed"):
        await failing_job()
    assert await count_authors(database) == 1
