"""``input_schema_from_model``: request bodies that create and update rows, on every database."""

from __future__ import annotations

import pickle
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends
from covet.db import UNSET, AsyncSession, Database, input_schema_from_model, schema_from_model
from covet.exceptions import ConfigurationError
from covet.testing import AsyncTestClient
from tests.db.models import Author, Gadget

pytestmark = pytest.mark.anyio

GadgetCreate = input_schema_from_model(Gadget)
GadgetUpdate = input_schema_from_model(Gadget, partial=True)
GadgetOut = schema_from_model(Gadget)


def shop(db: Database) -> CovetPy:
    """The CRUD routes a user writes with the derived schemas."""
    app = CovetPy(lifespan=db.lifespan)
    Session = Annotated[AsyncSession, Depends(db.session)]

    @app.post("/gadgets", status_code=201)
    async def create(gadget: GadgetCreate, session: Session) -> GadgetOut:  # type: ignore[valid-type]
        return await Gadget.create(session, **gadget.model_values())

    @app.patch("/gadgets/{gadget_id}")
    async def change(gadget_id: int, changes: GadgetUpdate, session: Session) -> GadgetOut:  # type: ignore[valid-type]
        gadget = await Gadget.get_or_404(session, gadget_id)
        await gadget.update(session, **changes.model_values())
        return gadget

    @app.get("/gadgets/count")
    async def count(session: Session) -> int:
        return await Gadget.count(session)

    return app


def issues(answer: Any) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(issue["loc"]), issue["type"]) for issue in answer.json()["errors"]]


async def test_creating_applies_every_kind_of_default(database: Database) -> None:
    async with AsyncTestClient(shop(database)) as client:
        answer = await client.post("/gadgets", json={"name": "kettle"})
        assert answer.status_code == 201
        made = answer.json()
        assert made["name"] == "kettle"
        assert made["colour"] == "black"  # the column's plain default
        assert len(made["code"]) == 32  # the callable default ran: the field was not sent
        assert made["stock"] == 0  # the database's server default
        assert made["note"] is None
        chosen = await client.post(
            "/gadgets", json={"name": "cup", "colour": "red", "stock": 5, "note": "new"}
        )
        assert chosen.json() | {"id": 0, "code": ""} == {
            "id": 0,
            "name": "cup",
            "colour": "red",
            "code": "",
            "stock": 5,
            "note": "new",
        }


async def test_a_client_cannot_choose_the_id_or_send_unknown_fields(database: Database) -> None:
    async with AsyncTestClient(shop(database)) as client:
        answer = await client.post("/gadgets", json={"id": 99, "name": "x", "owner": "ann"})
        assert answer.status_code == 422
        assert issues(answer) == [
            (("body", "id"), "extra_forbidden"),
            (("body", "owner"), "extra_forbidden"),
        ]
        assert (await client.get("/gadgets/count")).json() == 0


async def test_lengths_and_types_are_checked_before_the_database(database: Database) -> None:
    async with AsyncTestClient(shop(database)) as client:
        answer = await client.post("/gadgets", json={"name": "x" * 41, "stock": "many"})
        assert answer.status_code == 422
        assert issues(answer) == [
            (("body", "name"), "string_too_long"),
            (("body", "stock"), "int_type"),
        ]
        missing = await client.post("/gadgets", json={"colour": "red"})
        assert issues(missing) == [(("body", "name"), "missing")]
        assert (await client.get("/gadgets/count")).json() == 0


async def test_patch_changes_only_what_was_sent(database: Database) -> None:
    async with AsyncTestClient(shop(database)) as client:
        made = (await client.post("/gadgets", json={"name": "lamp", "note": "old"})).json()
        url = f"/gadgets/{made['id']}"
        colour = await client.patch(url, json={"colour": "green"})
        assert colour.json() == {**made, "colour": "green"}
        cleared = await client.patch(url, json={"note": None})
        assert cleared.json() == {**made, "colour": "green", "note": None}
        assert (await client.patch(url, json={})).json() == cleared.json()

        refused = await client.patch(url, json={"name": None, "id": 5, "colour": "c" * 21})
        assert refused.status_code == 422
        assert issues(refused) == [
            (("body", "name"), "string_type"),
            (("body", "colour"), "string_too_long"),
            (("body", "id"), "extra_forbidden"),
        ]
        assert (await client.patch("/gadgets/404", json={"name": "x"})).status_code == 404


def test_openapi_shows_the_create_and_update_shapes() -> None:
    schemas = shop(Database("sqlite+aiosqlite:///:memory:")).openapi()["components"]["schemas"]
    create, update = schemas["GadgetCreate"], schemas["GadgetUpdate"]
    assert create["required"] == ["name"]
    assert "required" not in update
    assert create["additionalProperties"] is update["additionalProperties"] is False
    assert (
        set(create["properties"])
        == set(update["properties"])
        == {
            "name",
            "colour",
            "code",
            "stock",
            "note",
        }
    )
    assert create["properties"]["name"] == {"type": "string", "maxLength": 40}
    assert create["properties"]["colour"] == {"type": "string", "maxLength": 20, "default": "black"}
    assert "default" not in create["properties"]["code"]  # made when omitted, not a fixed value
    assert "default" not in update["properties"]["colour"]  # omitted means "unchanged"


def test_options_choose_the_fields() -> None:
    fields = lambda schema: [f.name for f in schema.__dataclass_fields__.values()]  # noqa: E731
    assert fields(input_schema_from_model(Author, exclude={"password_hash"})) == ["email", "age"]
    assert fields(input_schema_from_model(Gadget, read_only={"code", "stock"})) == [
        "name",
        "colour",
        "note",
    ]
    with_id = input_schema_from_model(Gadget, include={"id", "name"}, name="GadgetImport")
    assert fields(with_id) == ["id", "name"]  # named explicitly: writable
    assert with_id.__name__ == "GadgetImport"
    with pytest.raises(ConfigurationError, match="'colour_code'"):
        input_schema_from_model(Gadget, read_only={"colour_code"})


def test_unset_is_one_falsy_value_that_survives_pickling() -> None:
    update = GadgetUpdate(colour="red")
    assert update.note is UNSET
    assert not UNSET
    assert repr(UNSET) == "UNSET"
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET
    assert update.model_values() == {"colour": "red"}
