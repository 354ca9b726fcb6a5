"""``Model``: the declarative base, with constraint names and thin async helpers."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import MetaData, Select, String, func, select
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession
from sqlalchemy.orm import DeclarativeBase, RelationshipProperty

from covet.exceptions import HTTPException

NAMING_CONVENTION: Mapping[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names ``Model.metadata`` gives, so migrations and 409 answers name them stably."""

_M = TypeVar("_M", bound="Model")
_T = TypeVar("_T")


class Model(AsyncAttrs, DeclarativeBase):
    """The base of mapped classes: named constraints and async helpers; plain SQLAlchemy too.

    Relationships declared without ``lazy=`` load with ``lazy="raise_on_sql"``: reading one
    that was not loaded raises at once, naming it, instead of an implicit query (which async
    code cannot run: SQLAlchemy's ``MissingGreenlet``). Load it in the query
    (``options(selectinload(User.posts))``), declare ``lazy="selectin"``, or
    ``await user.awaitable_attrs.posts``. Plain ``Mapped[str]`` columns are ``VARCHAR(255)``
    on MySQL and MariaDB (which need a length), unbounded elsewhere.
    """

    __abstract__ = True
    metadata = MetaData(naming_convention=dict(NAMING_CONVENTION))
    # MySQL and MariaDB need a length for VARCHAR: plain ``Mapped[str]`` columns get 255 there.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        str: String().with_variant(String(255), "mysql", "mariadb")
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for value in vars(cls).values():
            if isinstance(value, RelationshipProperty) and value.lazy == "select":
                value.lazy = "raise_on_sql"
                value.strategy_key = (("lazy", "raise_on_sql"),)
        super().__init_subclass__(**kwargs)

    @classmethod
    async def get(cls: type[_M], session: AsyncSession, ident: Any) -> _M | None:
        """The row with primary key ``ident``, or ``None``."""
        return await session.get(cls, ident)

    @classmethod
    async def get_or_404(cls: type[_M], session: AsyncSession, ident: Any) -> _M:
        """The row with primary key ``ident``; a 404 when there is none.

        Raises:
            HTTPException: 404, naming the model.
        """
        found = await session.get(cls, ident)
        if found is None:
            raise HTTPException(404, f"{cls.__name__} not found.")
        return found

    @classmethod
    async def create(cls: type[_M], session: AsyncSession, **values: Any) -> _M:
        """Add a new row and flush it, so its generated key is set (and conflicts raise now)."""
        instance = cls(**values)
        session.add(instance)
        await session.flush()
        return instance

    async def update(self, session: AsyncSession, **values: Any) -> None:
        """Set ``values`` on this row and flush them.

        Raises:
            AttributeError: a name is not a mapped attribute of the model.
        """
        mapped = type(self).__mapper__.attrs.keys()
        for name, value in values.items():
            if name not in mapped:
                raise AttributeError(f"{type(self).__name__} has no mapped attribute {name!r}")
            setattr(self, name, value)
        await session.flush()

    async def delete(self, session: AsyncSession) -> None:
        """Delete this row and flush."""
        await session.delete(self)
        await session.flush()

    @classmethod
    async def filter_by(cls: type[_M], session: AsyncSession, **criteria: Any) -> list[_M]:
        """Rows whose attributes equal ``criteria``."""
        return list((await session.scalars(select(cls).filter_by(**criteria))).all())

    @classmethod
    async def exists(cls, session: AsyncSession, **criteria: Any) -> bool:
        """Whether a row matches ``criteria``."""
        query = select(select(cls).filter_by(**criteria).exists())
        return bool(await session.scalar(query))

    @classmethod
    async def count(cls, session: AsyncSession, **criteria: Any) -> int:
        """How many rows match ``criteria``."""
        query = select(func.count()).select_from(cls).filter_by(**criteria)
        return int(await session.scalar(query) or 0)


@dataclass(frozen=True, slots=True)
class Page(Generic[_T]):
    """One page of results.

    Attributes:
        items: The rows of this page.
        total: How many rows the query has (page/size pagination; ``None`` with cursors).
        next_cursor: Pass it as ``cursor=`` for the next page (``None`` on the last page).
    """

    items: list[_T]
    total: int | None = None
    next_cursor: str | None = None


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    *,
    page: int | None = None,
    size: int = 20,
    cursor: str | None = None,
    by: Any = None,
) -> Page[Any]:
    """One page of ``query``'s rows: by ``page`` number (with the total) or by ``cursor``.

    Page numbers start at 1 and use OFFSET, with ``total`` counted. Cursor pagination (pass
    ``by``, a unique, ordered column such as ``User.id``, and ``cursor`` from the previous
    page) reads ``WHERE by > last`` and stays fast on deep pages.

    Raises:
        HTTPException: 400 for a page below 1, a size outside 1..1000 or a bad cursor.
    """
    if not 1 <= size <= 1000:
        raise HTTPException(400, "Page size must be between 1 and 1000.")
    if by is None:
        if cursor is not None:
            raise HTTPException(400, "This listing does not take a cursor.")
        number = 1 if page is None else page
        if number < 1:
            raise HTTPException(400, "Page numbers start at 1.")
        total = int(
            await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
            or 0
        )
        offset = (number - 1) * size
        if offset >= total:  # past the end: no query (and no OFFSET a database cannot take)
            return Page([], total=total)
        found = await session.scalars(query.limit(size).offset(offset))
        return Page(list(found.all()), total=total)
    if cursor is not None:
        query = query.where(by > _decode_cursor(cursor))
    rows = list((await session.scalars(query.order_by(by).limit(size + 1))).all())
    more = len(rows) > size
    items = rows[:size]
    next_cursor = _encode_cursor(getattr(items[-1], by.key)) if more and items else None
    return Page(items, next_cursor=next_cursor)


def _encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise HTTPException(400, "The cursor is not valid.") from None
    if not isinstance(value, int | str | float):
        raise HTTPException(400, "The cursor is not valid.")
    return value


__all__ = ["NAMING_CONVENTION", "Model", "Page", "paginate"]
