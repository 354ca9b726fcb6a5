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
from tests.support.optional import require


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


def test_pydantic_subclass_is_sent_as_the_declared_model() -> None:
    pydantic = require("pydantic")

    class User(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str

    class UserInDB(User):  # type: ignore[misc,valid-type]
        password_hash: str

    class Team(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        owner: User  # type: ignore[valid-type]
        members: list[User]  # type: ignore[valid-type]

    secret = UserInDB(name="ann", password_hash="SECRET")
    app = CovetPy()

    @app.get("/user", response_model=User)
    async def user() -> Any:
        return secret

    @app.get("/users", response_model=list[User])
    async def users() -> Any:
        return [secret, User(name="bob")]

    @app.get("/team", response_model=Team)
    async def team() -> Any:
        return Team(owner=secret, members=[secret])

    client = TestClient(app)
    assert client.get("/user").json() == {"name": "ann"}
    assert client.get("/users").json() == [{"name": "ann"}, {"name": "bob"}]
    assert client.get("/team").json() == {"owner": {"name": "ann"}, "members": [{"name": "ann"}]}


def test_msgspec_subclass_is_sent_as_the_declared_struct() -> None:
    msgspec = require("msgspec")

    class User(msgspec.Struct):  # type: ignore[misc,name-defined]
        name: str

    class UserInDB(User):  # type: ignore[misc,valid-type]
        password_hash: str

    # defstruct: msgspec cannot resolve string annotations naming function-local classes.
    fields = [("owner", User), ("members", list[User]), ("by_role", dict[str, User | None])]
    Team = msgspec.defstruct("Team", fields)
    TeamInDB = msgspec.defstruct("TeamInDB", [("budget", int)], bases=(Team,))
    secret = UserInDB(name="ann", password_hash="SECRET")
    app = CovetPy()

    @app.get("/user", response_model=User)
    async def user() -> Any:
        return secret

    @app.get("/users", response_model=list[User])
    async def users() -> Any:
        return [secret, User(name="bob")]

    @app.get("/team", response_model=Team)
    async def team() -> Any:
        return Team(owner=secret, members=[secret], by_role={"lead": secret, "none": None})

    @app.get("/team-subclass", response_model=Team)
    async def team_subclass() -> Any:
        return TeamInDB(owner=secret, members=[], by_role={}, budget=10)

    client = TestClient(app)
    assert client.get("/user").json() == {"name": "ann"}
    assert client.get("/users").json() == [{"name": "ann"}, {"name": "bob"}]
    assert client.get("/team").json() == {
        "owner": {"name": "ann"},
        "members": [{"name": "ann"}],
        "by_role": {"lead": {"name": "ann"}, "none": None},
    }
    assert client.get("/team-subclass").json() == {
        "owner": {"name": "ann"},
        "members": [],
        "by_role": {},
    }


@dataclass
class Envelope:
    payload: Any


def test_pydantic_and_msgspec_values_without_a_model_annotation_are_dumped() -> None:
    pydantic = require("pydantic")
    msgspec = require("msgspec")

    class Pet(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str
        born: datetime.date = datetime.date(2020, 1, 2)

    class Toy(msgspec.Struct):  # type: ignore[misc,name-defined]
        name: str

    app = CovetPy()

    @app.get("/plain", response_model=None)
    async def plain() -> Any:
        return Pet(name="rex")

    @app.get("/mixed")
    async def mixed():  # type: ignore[no-untyped-def]
        return {"pets": [Pet(name="rex")], "toy": Toy(name="ball")}

    @app.get("/any-values")
    async def any_values() -> dict[str, Any]:
        return {"pet": Pet(name="rex"), "toy": Toy(name="ball")}

    @app.get("/envelope", response_model=None)
    async def envelope() -> Any:
        return Envelope(Pet(name="rex"))

    client = TestClient(app)
    pet = {"name": "rex", "born": "2020-01-02"}
    assert client.get("/plain").json() == pet
    assert client.get("/mixed").json() == {"pets": [pet], "toy": {"name": "ball"}}
    assert client.get("/any-values").json() == {"pet": pet, "toy": {"name": "ball"}}
    assert client.get("/envelope").json() == {"payload": pet}


@dataclass
class Blob:
    data: bytes


def test_utf8_bytes_are_sent_as_text_and_other_bytes_are_a_server_error() -> None:
    app = CovetPy()

    @app.get("/untyped/{ok}")
    async def untyped(ok: bool):  # type: ignore[no-untyped-def]
        return {"data": b"caf\xc3\xa9" if ok else b"\xffab"}

    @app.get("/model/{ok}")
    async def model(ok: bool) -> Blob:
        return Blob(b"caf\xc3\xa9" if ok else b"\xffab")

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/untyped/true").json() == {"data": "café"}
    assert client.get("/model/true").json() == {"data": "café"}
    assert client.get("/untyped/false").status_code == 500
    assert client.get("/model/false").status_code == 500
