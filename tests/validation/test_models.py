"""Model validators (dataclass, TypedDict, pydantic, msgspec) and the serialiser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, NotRequired, Required, TypedDict

import pytest

from covet.validation import (
    Constraints,
    SerializationError,
    ValidationError,
    compile_serializer,
    compile_validator,
    forbid_extra,
)
from tests.support.optional import require


@dataclass
class ItemIn:
    name: str
    price: float
    tags: list[str]
    in_stock: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class Order:
    id: uuid.UUID
    items: list[ItemIn]
    meta: dict[str, int]
    ship: dt.date | None = None


@dataclass
class Node:
    value: int
    children: list[Node] = field(default_factory=list)


@dataclass
class Positive:
    n: Annotated[int, Constraints(gt=0)]

    def __post_init__(self) -> None:
        if self.n == 13:
            raise ValueError("unlucky")


@dataclass
class WithInitFalse:
    a: int
    b: int = field(init=False, default=0)


class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]


class Partial(TypedDict, total=False):
    title: Required[str]
    year: int


ITEM = {"name": "pen", "price": 1.5, "tags": ["a"]}


def test_dataclass_is_built_with_defaults_and_unknown_keys_ignored() -> None:
    item = compile_validator(ItemIn)({**ITEM, "surprise": 1})
    assert item == ItemIn("pen", 1.5, ["a"], True, [])


@forbid_extra
@dataclass
class StrictItem:
    name: str
    price: float = 0.0


@forbid_extra
class StrictMovie(TypedDict):
    title: str


def test_a_class_marked_forbid_extra_refuses_unknown_keys_after_its_fields() -> None:
    assert compile_validator(StrictItem)({"name": "pen"}) == StrictItem("pen")
    with pytest.raises(ValidationError) as info:
        compile_validator(StrictItem)({"price": "x", "id": 3, "name": "pen", "owner": "ann"})
    assert [(i.loc, i.type, i.msg) for i in info.value.issues] == [
        (("price",), "float_type", "Input should be a valid number"),
        (("id",), "extra_forbidden", "Extra inputs are not permitted"),
        (("owner",), "extra_forbidden", "Extra inputs are not permitted"),
    ]
    with pytest.raises(ValidationError) as typed:
        compile_validator(StrictMovie)({"title": "Heat", "year": 1995})
    assert [(i.loc, i.type) for i in typed.value.issues] == [(("year",), "extra_forbidden")]


def test_a_flood_of_unknown_keys_is_reported_within_the_issue_cap() -> None:
    flood = {"name": "pen", **{f"k{n}": n for n in range(10_000)}}
    with pytest.raises(ValidationError) as info:
        compile_validator(StrictItem)(flood)
    assert 0 < len(info.value.issues) <= 101


def test_dataclass_instance_passes_through() -> None:
    item = ItemIn("pen", 1.5, [])
    assert compile_validator(ItemIn)(item) is item


def test_every_bad_field_is_reported_with_its_loc() -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(ItemIn)({"name": 1, "tags": ["ok", 2, None], "in_stock": "yes"})
    assert [(i.loc, i.type) for i in info.value.issues] == [
        (("name",), "string_type"),
        (("price",), "missing"),
        (("tags", 1), "string_type"),
        (("tags", 2), "string_type"),
        (("in_stock",), "bool_type"),
    ]


def test_nested_dataclass_errors_have_full_locs() -> None:
    raw = {
        "id": "not-a-uuid",
        "items": [ITEM, {"name": "x", "price": "1", "tags": []}, 5],
        "meta": {"a": 1, "b": "2"},
        "ship": "2024-02-30",
    }
    with pytest.raises(ValidationError) as info:
        compile_validator(Order, loc_prefix=("body",))(raw)
    assert [(i.loc, i.type) for i in info.value.issues] == [
        (("body", "id"), "uuid_parsing"),
        (("body", "items", 1, "price"), "float_type"),
        (("body", "items", 2), "model_type"),
        (("body", "meta", "b"), "int_type"),
        (("body", "ship"), "date_parsing"),
    ]


def test_nested_dataclass_converts() -> None:
    order = compile_validator(Order)(
        {"id": str(uuid.UUID(int=5)), "items": [ITEM], "meta": {}, "ship": "2024-01-02"}
    )
    assert order.id == uuid.UUID(int=5)
    assert order.items == [ItemIn("pen", 1.5, ["a"])]
    assert order.ship == dt.date(2024, 1, 2)


def test_recursive_dataclass() -> None:
    validate = compile_validator(Node)
    tree = validate({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})
    assert tree.children[0].children[0] == Node(3)
    with pytest.raises(ValidationError) as info:
        validate({"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]})
    assert info.value.issues[0].loc == ("children", 0, "children", 0, "value")


def test_dataclass_field_constraints_and_post_init_value_error() -> None:
    validate = compile_validator(Positive)
    with pytest.raises(ValidationError) as info:
        validate({"n": 0})
    assert [(i.loc, i.type) for i in info.value.issues] == [(("n",), "greater_than")]
    with pytest.raises(ValidationError) as info:
        validate({"n": 13})
    assert info.value.issues[0].type == "value_error"
    assert "unlucky" in info.value.issues[0].msg


def test_init_false_fields_are_not_read() -> None:
    assert compile_validator(WithInitFalse)({"a": 1, "b": 5}).b == 0


@pytest.mark.parametrize("raw", [None, [], "x", 1], ids=["null", "list", "str", "int"])
def test_dataclass_needs_an_object(raw: Any) -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(ItemIn)(raw)
    assert [(i.loc, i.type) for i in info.value.issues] == [((), "model_type")]


def test_typeddict_total_and_not_required() -> None:
    validate = compile_validator(Movie)
    assert validate({"title": "x", "year": 1999, "extra": 1}) == {"title": "x", "year": 1999}
    assert validate({"title": "x", "year": 1, "rating": 2})["rating"] == 2.0
    with pytest.raises(ValidationError) as info:
        validate({"year": "1999"})
    assert [(i.loc, i.type) for i in info.value.issues] == [
        (("title",), "missing"),
        (("year",), "int_type"),
    ]


def test_typeddict_non_total_with_required() -> None:
    validate = compile_validator(Partial)
    assert validate({"title": "x"}) == {"title": "x"}
    with pytest.raises(ValidationError) as info:
        validate({"year": 1})
    assert [(i.loc, i.type) for i in info.value.issues] == [(("title",), "missing")]


# --- serialisation -------------------------------------------------------------------------


@dataclass
class UserOut:
    id: int
    name: str


@dataclass
class UserRow:
    id: int
    name: str
    password_hash: str


class Kind(enum.Enum):
    A = "a"


@dataclass
class Rich:
    when: dt.datetime
    day: dt.date
    at: dt.time
    span: dt.timedelta
    uid: uuid.UUID
    price: Decimal
    kind: Kind
    raw: bytes
    owner: UserOut | None
    friends: list[UserOut]
    by_id: dict[uuid.UUID, UserOut]
    pair: tuple[int, Kind]
    anything: Any


class UserDict(TypedDict):
    id: int
    nick: NotRequired[str]


def test_serializer_does_not_leak_fields_of_another_class() -> None:
    row = UserRow(1, "ann", "secret-hash")
    assert compile_serializer(UserOut)(row) == {"id": 1, "name": "ann"}
    assert compile_serializer(list[UserOut])([row]) == [{"id": 1, "name": "ann"}]
    assert compile_serializer(UserOut | None)(row) == {"id": 1, "name": "ann"}


def test_serializer_reads_mappings_by_key_and_drops_extra_keys() -> None:
    data = {"id": 1, "name": "ann", "password_hash": "x"}
    assert compile_serializer(UserOut)(data) == {"id": 1, "name": "ann"}
    assert compile_serializer(UserDict)(data) == {"id": 1}
    assert compile_serializer(UserDict)({**data, "nick": "a"}) == {"id": 1, "nick": "a"}


def test_serializer_makes_values_json_able() -> None:
    uid = uuid.UUID(int=1)
    row = UserRow(2, "bo", "h")
    value = Rich(
        when=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        day=dt.date(2024, 1, 2),
        at=dt.time(3, 4),
        span=dt.timedelta(days=1, hours=1, microseconds=5),
        uid=uid,
        price=Decimal("1.10"),
        kind=Kind.A,
        raw=b"hi",
        owner=None,
        friends=[row],  # type: ignore[list-item]
        by_id={uid: row},  # type: ignore[dict-item]
        pair=(1, Kind.A),
        anything={"k": [dt.date(2024, 1, 1), Kind.A, uid, {1, 2}]},
    )
    assert compile_serializer(Rich)(value) == {
        "when": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "at": "03:04:00",
        "span": "P1DT1H0.000005S",
        "uid": str(uid),
        "price": "1.10",
        "kind": "a",
        "raw": "hi",
        "owner": None,
        "friends": [{"id": 2, "name": "bo"}],
        "by_id": {str(uid): {"id": 2, "name": "bo"}},
        "pair": [1, "a"],
        "anything": {"k": ["2024-01-01", "a", str(uid), [1, 2]]},
    }


@pytest.mark.parametrize(
    "span",
    [dt.timedelta(0), dt.timedelta(hours=1, minutes=30), dt.timedelta(days=-1, seconds=5)],
    ids=["zero", "90min", "negative"],
)
def test_serialised_timedelta_validates_back(span: dt.timedelta) -> None:
    text = compile_serializer(dt.timedelta)(span)
    assert compile_validator(dt.timedelta)(text) == span


def test_serializer_missing_required_field_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError, match="'name'"):
        compile_serializer(UserOut)({"id": 1})


def test_serializer_union_of_models_picks_by_class() -> None:
    serialize = compile_serializer(UserOut | int)
    assert serialize(UserOut(1, "a")) == {"id": 1, "name": "a"}
    assert serialize(3) == 3
    with pytest.raises(SerializationError):
        serialize("x")


def test_serializer_is_cached_and_rejects_unsupported() -> None:
    assert compile_serializer(list[UserOut]) is compile_serializer(list[UserOut])
    with pytest.raises(TypeError, match="Unsupported annotation"):
        compile_serializer(object)


def test_dataclasses_round_trip() -> None:
    order = Order(uuid.UUID(int=3), [ItemIn("a", 1.0, ["t"])], {"n": 1}, dt.date(2024, 1, 1))
    data = compile_serializer(Order)(order)
    assert compile_validator(Order)(data) == order
    assert dataclasses.asdict(order)["items"][0]["name"] == data["items"][0]["name"]


# --- optional libraries --------------------------------------------------------------------


def test_pydantic_model_is_validated_by_pydantic() -> None:
    pydantic = require("pydantic")

    class Pet(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str
        age: int

    validate = compile_validator(list[Pet])
    assert validate([{"name": "rex", "age": 3}])[0].age == 3
    with pytest.raises(ValidationError) as info:
        validate([{"name": "rex", "age": "old"}])
    assert info.value.issues[0].loc == (0, "age")
    assert info.value.issues[0].type == "int_parsing"
    assert compile_serializer(Pet)({"name": "rex", "age": 3, "secret": 1}) == {
        "name": "rex",
        "age": 3,
    }


def test_msgspec_struct_is_validated_by_msgspec() -> None:
    msgspec = require("msgspec")

    class Pet(msgspec.Struct):  # type: ignore[misc,name-defined]
        name: str
        tags: list[int]

    validate = compile_validator(Pet)
    assert validate({"name": "rex", "tags": [1]}).tags == [1]
    with pytest.raises(ValidationError) as info:
        validate({"name": "rex", "tags": [1, "x"]})
    assert info.value.issues[0].loc == ("tags", 1)
    assert compile_serializer(Pet)(Pet(name="a", tags=[])) == {"name": "a", "tags": []}


def test_pydantic_serializer_writes_only_the_declared_fields_of_a_subclass() -> None:
    pydantic = require("pydantic")

    class User(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str

    class UserInDB(User):  # type: ignore[misc,valid-type]
        password_hash: str

    serialize = compile_serializer(User)
    assert serialize(UserInDB(name="a", password_hash="x")) == {"name": "a"}
    assert serialize(User(name="b")) == {"name": "b"}
    assert serialize({"name": "c", "password_hash": "x"}) == {"name": "c"}
    assert compile_serializer(list[User])([UserInDB(name="a", password_hash="x")]) == [
        {"name": "a"}
    ]


def test_msgspec_serializer_writes_only_the_declared_fields_at_every_depth() -> None:
    msgspec = require("msgspec")

    class User(msgspec.Struct):  # type: ignore[misc,name-defined]
        name: str

    class UserInDB(User):  # type: ignore[misc,valid-type]
        password_hash: str

    Team = msgspec.defstruct(
        "Team", [("owner", User), ("when", dt.date), ("blob", bytes)], rename="camel"
    )
    secret = UserInDB(name="a", password_hash="x")
    assert compile_serializer(User)(secret) == {"name": "a"}
    assert compile_serializer(User)({"name": "b", "password_hash": "x"}) == {"name": "b"}
    team = Team(owner=secret, when=dt.date(2026, 1, 2), blob=b"\x00\xff")
    # Everything but the filtering is msgspec's own output (camelCase, base64 bytes).
    expected = msgspec.to_builtins(Team(owner=User(name="a"), when=team.when, blob=team.blob))
    assert compile_serializer(Team)(team) == expected
    assert expected["owner"] == {"name": "a"}


def test_msgspec_value_that_cannot_take_the_declared_shape_is_a_serialization_error() -> None:
    msgspec = require("msgspec")

    class Strict(msgspec.Struct, forbid_unknown_fields=True):  # type: ignore[misc,name-defined,call-arg]
        name: str

    class Wider(Strict):  # type: ignore[misc,valid-type]
        extra: int

    Holder = msgspec.defstruct("Holder", [("item", Strict)])
    assert compile_serializer(Strict)(Wider(name="a", extra=1)) == {"name": "a"}
    # Filtering a nested value would need an unknown field: refuse rather than leak it.
    with pytest.raises(SerializationError, match="Holder"):
        compile_serializer(Holder)(Holder(item=Wider(name="a", extra=1)))
    with pytest.raises(SerializationError, match="Strict"):
        compile_serializer(Strict)({"name": 1})


def test_bytes_serialize_as_utf8_text_and_refuse_anything_else() -> None:
    assert compile_serializer(bytes)(b"caf\xc3\xa9") == "café"
    assert compile_serializer(Any)({"b": b"ok"}) == {"b": "ok"}
    with pytest.raises(SerializationError, match="not valid UTF-8"):
        compile_serializer(bytes)(b"\xffab")
    with pytest.raises(SerializationError, match="not valid UTF-8"):
        compile_serializer(Any)([b"\xffab"])
