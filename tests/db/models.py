"""The mapped classes of the data-layer tests (tables prefixed ``t_``)."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from covet.db import Model


class Author(Model):
    __tablename__ = "t_authors"
    __table_args__ = (CheckConstraint("age >= 0", name="age_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(120), default="")
    age: Mapped[int | None]
    posts: Mapped[list[Post]] = relationship(back_populates="author")


class Post(Model):
    __tablename__ = "t_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("t_authors.id"))
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[Author] = relationship(back_populates="posts")


class Gadget(Model):
    """Every kind of column default an input schema must tell apart."""

    __tablename__ = "t_gadgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(20), default="black")  # a plain default
    code: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)  # callable
    stock: Mapped[int] = mapped_column(server_default=text("0"))  # made by the database
    note: Mapped[str | None] = mapped_column(String(100))  # nullable, no default
