"""``schema_from_model``: response filtering, OpenAPI, relationships loaded or refused."""

from __future__ import annotations

import logging
from typing import Annotated

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from covet import CovetPy, Depends
from covet.db import AsyncSession, Database, schema_from_model
from covet.exceptions import ConfigurationError
from covet.testing import AsyncTestClient
from tests.db.models import Author, Post

pytestmark = pytest.mark.anyio

PostOut = schema_from_model(Post, exclude={"author_id"})
AuthorOut = schema_from_model(Author, exclude={"password_hash"})
AuthorWithPosts = schema_from_model(
    Author, include={"id", "email"}, nested={"posts": list[PostOut]}, name="AuthorWithPosts"
)


def blog(db: Database) -> CovetPy:
    app = CovetPy(lifespan=db.lifespan)
    Session = Annotated[AsyncSession, Depends(db.session)]

    @app.get("/authors/{author_id}")
    async def author(author_id: int, session: Session) -> AuthorOut:
        return await Author.get_or_404(session, author_id)

    @app.get("/authors/{author_id}/posts")
    async def with_posts(author_id: int, session: Session) -> AuthorWithPosts:
        query = select(Author).where(Author.id == author_id).options(selectinload(Author.posts))
        return (await session.scalars(query)).one()

    @app.get("/authors/{author_id}/unloaded", response_model=AuthorWithPosts)
    async def unloaded(author_id: int, session: Session) -> Author:
        return await Author.get_or_404(session, author_id)

    return app


async def seed(db: Database) -> None:
    async with db.session_scope() as session:
        ann = await Author.create(session, email="ann@example.com", password_hash="h", age=40)
        session.add(Post(author_id=ann.id, title="Hello"))


async def test_orm_objects_serialise_through_the_schema(database: Database) -> None:
    await seed(database)
    async with AsyncTestClient(blog(database)) as client:
        plain = await client.get("/authors/1")
        nested = await client.get("/authors/1/posts")
    assert plain.json() == {"id": 1, "email": "ann@example.com", "age": 40}
    assert nested.json() == {
        "id": 1,
        "email": "ann@example.com",
        "posts": [{"id": 1, "title": "Hello"}],
    }


async def test_an_unloaded_relationship_is_a_clear_error(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(database)
    with caplog.at_level(logging.ERROR):
        async with AsyncTestClient(blog(database), raise_server_exceptions=False) as client:
            answer = await client.get("/authors/1/unloaded")
    assert answer.status_code == 500
    assert "Traceback" not in answer.text
    logged = caplog.text
    assert "'posts'" in logged or "Author.posts" in logged
    assert "MissingGreenlet" not in logged
    assert "greenlet_spawn" not in logged


def test_openapi_documents_the_schema_without_excluded_columns() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    schemas = blog(db).openapi()["components"]["schemas"]
    assert schemas["AuthorOut"]["properties"].keys() == {"id", "email", "age"}
    assert schemas["AuthorOut"]["required"] == ["id", "email"]
    posts = schemas["AuthorWithPosts"]["properties"]["posts"]
    assert posts == {"type": "array", "items": {"$ref": "#/components/schemas/PostOut"}}


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="'nickname'"):
        schema_from_model(Author, exclude={"nickname"})
