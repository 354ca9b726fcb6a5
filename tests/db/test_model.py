"""Model helpers, pagination and nested transactions, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from covet import HTTPException
from covet.db import AsyncSession, Database, paginate
from tests.db.models import Author

pytestmark = pytest.mark.anyio


async def test_crud_helpers(database: Database) -> None:
    async with database.session_scope() as session:
        ann = await Author.create(session, email="ann@example.com", age=30)
        await Author.create(session, email="bob@example.com", age=30)
        assert ann.id is not None
        assert await Author.count(session) == 2
        assert await Author.count(session, age=30) == 2
        assert await Author.exists(session, email="ann@example.com")
        assert not await Author.exists(session, email="zed@example.com")
        await ann.update(session, age=31)
        assert [a.email for a in await Author.filter_by(session, age=31)] == ["ann@example.com"]
        with pytest.raises(AttributeError, match="no mapped attribute 'nickname'"):
            await ann.update(session, nickname="a")
    async with database.session_scope() as session:
        found = await Author.get(session, ann.id)
        assert found is not None
        assert found.age == 31
        await found.delete(session)
        assert await Author.get(session, ann.id) is None
        with pytest.raises(HTTPException) as refused:
            await Author.get_or_404(session, ann.id)
        assert refused.value.status_code == 404


async def test_paginate_by_page_and_by_cursor(database: Database) -> None:
    async with database.session_scope() as session:
        session.add_all(Author(email=f"u{n:02}@example.com") for n in range(7))
    query = select(Author).order_by(Author.id)
    async with database.session_scope() as session:
        second = await paginate(session, query, page=2, size=3)
        assert [a.email for a in second.items] == [
            "u03@example.com",
            "u04@example.com",
            "u05@example.com",
        ]
        assert second.total == 7
        seen, cursor = [], None
        while True:
            page = await paginate(session, select(Author), size=3, cursor=cursor, by=Author.id)
            seen += [a.email for a in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [f"u{n:02}@example.com" for n in range(7)]
        for bad in ({"page": 0}, {"size": 0}, {"cursor": "!!", "by": Author.id}):
            with pytest.raises(HTTPException) as refused:
                await paginate(session, query, **bad)
            assert refused.value.status_code == 400


async def failing_step(db: Database, session: AsyncSession, email: str, why: str) -> None:
    async with db.transaction(session):
        session.add(Author(email=email))
        await session.flush()
        raise RuntimeError(why)


async def failing_unit(db: Database, session: AsyncSession) -> None:
    async with db.transaction(session):
        session.add(Author(email="x@example.com"))
        async with db.transaction(session):
            session.add(Author(email="y@example.com"))
        raise RuntimeError("whole unit failed")


async def test_nested_transactions_roll_back_only_the_savepoint(database: Database) -> None:
    async with database.sessionmaker() as session, database.transaction(session):
        session.add(Author(email="kept@example.com"))
        with pytest.raises(RuntimeError, match="inner step failed"):
            await failing_step(database, session, "dropped@example.com", "inner step failed")
        async with database.transaction(session):
            session.add(Author(email="inner@example.com"))
    async with database.session_scope() as session:
        emails = sorted((await session.scalars(select(Author.email))).all())
    assert emails == ["inner@example.com", "kept@example.com"]


async def test_outer_transaction_rolls_back_everything(database: Database) -> None:
    async with database.sessionmaker() as session:
        with pytest.raises(RuntimeError, match="whole unit failed"):
            await failing_unit(database, session)
    async with database.session_scope() as session:
        assert await Author.count(session) == 0
