"""Response models: the return annotation (or response_model=) filters what is sent."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any, TypedDict

import pytest

from covet import CovetPy, JSONResponse
from covet.exceptions import ConfigurationError
from covet.testing import TestClient


@dataclass
class UserOut:
    id: uuid.UUID
    name: str
    joined: datetime.date


class UserRecord:
    """What a data layer returns: more attributes than the API may show."""

    def __init__(self, name: str) -> None:
        self.id = uuid.UUID(int=7)
        self.name = name
        self.joined = datetime.date(2026, 1, 2)
        self.password_hash = "$argon2id$secret"


class Summary(TypedDict):
    name: str


def build() -> CovetPy:
    app = CovetPy()

    @app.get("/users/{name}")
    async def user(name: str) -> UserOut:
        return UserRecord(name)  # type: ignore[return-value]

    @app.get("/users")
    async def users() -> list[UserOut]:
        return [UserRecord("ann"), UserRecord("bob")]  # type: ignore[list-item]

    @app.get("/summary", response_model=Summary)
    async def summary() -> Any:
        return {"name": "ann", "password_hash": "x"}

    @app.get("/raw", response_model=None)
    async def raw() -> UserOut:
        return {"name": "ann", "password_hash": "visible by choice"}  # type: ignore[return-value]

    @app.get("/response")
    async def response() -> UserOut:
        return JSONResponse({"custom": True})  # type: ignore[return-value]

    return app


def test_fields_outside_the_model_never_leak() -> None:
    client = TestClient(build())
    assert client.get("/users/ann").json() == {
        "id": "00000000-0000-0000-0000-000000000007",
        "name": "ann",
        "joined": "2026-01-02",
    }
    listed = client.get("/users").json()
    assert [u["name"] for u in listed] == ["ann", "bob"]
    assert all("password_hash" not in u for u in listed)


def test_response_model_option_and_opt_out() -> None:
    client = TestClient(build())
    assert client.get("/summary").json() == {"name": "ann"}
    assert client.get("/raw").json() == {"name": "ann", "password_hash": "visible by choice"}


def test_responses_pass_through_untouched() -> None:
    assert TestClient(build()).get("/response").json() == {"custom": True}


def test_unresolvable_return_annotation_fails_at_startup() -> None:
    app = CovetPy()

    @app.get("/")
    async def index() -> NotDefinedAnywhere:  # type: ignore[name-defined]  # noqa: F821
        return None

    with pytest.raises(ConfigurationError, match="response_model="):
        app.build()
