"""Generated model fast paths give exactly the generic validators' and serialisers' results.

Each model is compiled twice: as the application gets it (generated fast path in front) and
with the code generation switched off (the generic loop alone). Thousands of random inputs,
valid and broken in every way, must give equal values or equal issues from both.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import pytest

from covet.validation import ValidationError, _codegen, compile_serializer, forbid_extra
from covet.validation import models as m
from covet.validation import serialization as ser
from covet.validation.compiler import _Compiler
from covet.validation.errors import SerializationError


@dataclass
class Inner:
    code: int
    label: str = "none"


@dataclass
class Order:
    name: str
    price: float
    tags: list[str]
    in_stock: bool
    quantity: int
    inner: Inner
    note: str | None = None
    extras: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.quantity == 13:
            raise ValueError("unlucky quantity")


class Event(TypedDict):
    kind: str
    count: int
    labels: NotRequired[list[str]]


Weird = TypedDict("Weird", {"a-b": int, "class": str})


@forbid_extra
@dataclass
class StrictOrder(Order):
    """Order refusing keys it does not declare."""


@forbid_extra
class StrictEvent(Event):
    """Event refusing keys it does not declare."""


VALUES: list[Any] = [
    "x",
    "",
    0,
    1,
    13,
    -7,
    2**70,
    1.5,
    True,
    False,
    None,
    [],
    ["a", "b"],
    ["a", 1],
    [1, 2],
    {},
    {"code": 1},
    {"code": "1"},
    {"code": 2, "label": "two"},
]
KEYS = [
    "name",
    "price",
    "tags",
    "in_stock",
    "quantity",
    "inner",
    "note",
    "extras",
    "kind",
    "count",
    "labels",
    "a-b",
    "class",
    "other",
]


def outcome(validate: Callable[[Any], Any], value: Any) -> Any:
    try:
        return ("ok", validate(value))
    except ValidationError as exc:
        return ("issues", exc.issues)


def random_inputs(seed: int, count: int) -> Iterator[Any]:
    rng = random.Random(seed)
    good = {
        "name": "pen",
        "price": 1.5,
        "tags": ["a"],
        "in_stock": True,
        "quantity": 2,
        "inner": {"code": 1},
        "kind": "k",
        "count": 3,
        "a-b": 1,
        "class": "c",
    }
    for _ in range(count):
        value = dict(good)
        for _ in range(rng.randrange(4)):
            action = rng.random()
            key = rng.choice(KEYS)
            if action < 0.4:
                value[key] = rng.choice(VALUES)
            elif action < 0.7:
                value.pop(key, None)
        yield value if rng.random() > 0.05 else rng.choice(VALUES)


@pytest.mark.parametrize(
    "annotation", [Order, Event, Weird, list[Order], StrictOrder, StrictEvent, list[StrictOrder]]
)
def test_fast_validators_match_the_generic_ones(
    annotation: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _Compiler("json").build(annotation, None)
    monkeypatch.setattr(
        m, "fast_model_validator", lambda target, fields, fallback, allowed=None: fallback
    )
    generic = _Compiler("json").build(annotation, None)
    assert fast is not generic
    for value in random_inputs(seed=7, count=3000):
        value = [value] if annotation in (list[Order], list[StrictOrder]) else value
        assert outcome(fast, value) == outcome(generic, value), value


def test_fast_path_reports_the_models_own_value_error() -> None:
    validate = _Compiler("json").build(Order, None)
    good = {
        "name": "pen",
        "price": 1,
        "tags": [],
        "in_stock": False,
        "quantity": 13,
        "inner": {"code": 1},
    }
    with pytest.raises(ValidationError) as caught:
        validate(good)
    assert [(issue.type, issue.msg) for issue in caught.value.issues] == [
        ("value_error", "Value error, unlucky quantity")
    ]


def test_lists_of_exact_values_pass_through_and_others_are_checked() -> None:
    validate = _Compiler("json").build(list[str], None)
    words = ["a", "b"]
    assert validate(words) is words
    with pytest.raises(ValidationError) as caught:
        validate(["a", 2, "c", None])
    assert [issue.loc for issue in caught.value.issues] == [(1,), (3,)]
    assert validate(("a", "b")) == ["a", "b"]


def test_only_validators_that_declare_it_are_skipped_for_exact_types() -> None:
    assert _codegen.unchanged_type(_Compiler("json").build(str, None)) is str
    assert _codegen.unchanged_type(_Compiler("json").build(int, None)) is int
    # float checks finiteness; constrained validators check their constraints.
    assert _codegen.unchanged_type(_Compiler("json").build(float, None)) is None


@dataclass
class Account:
    name: str
    tags: list[str]
    inner: Inner


@dataclass
class AccountWithSecret(Account):
    password_hash: str = "secret"


class AccountDict(TypedDict):
    name: str
    tags: list[str]


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (Account, Account("ann", ["a"], Inner(1))),
        (Account, AccountWithSecret("ann", ["a"], Inner(1))),
        (Account, {"name": "ann", "tags": ("a",), "inner": {"code": 1, "x": 2}, "extra": 1}),
        (AccountDict, {"name": "ann", "tags": {"a"}, "password_hash": "x"}),
        (AccountDict, {"name": "ann"}),
        (list[Account], [Account("b", [], Inner(2, "x"))]),
    ],
)
def test_fast_serializers_match_the_generic_ones(
    annotation: Any, value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = ser._SerializerCompiler().build(annotation)
    monkeypatch.setattr(ser, "fast_fields_serializer", lambda source, fields, fallback, _: fallback)
    generic = ser._SerializerCompiler().build(annotation)
    assert fast is not generic
    assert _serialized(fast, value) == _serialized(generic, value)


def _serialized(serialize: Callable[[Any], Any], value: Any) -> Any:
    try:
        return ("ok", serialize(value))
    except SerializationError as exc:
        return ("error", str(exc))


def test_fast_serializer_never_leaks_and_reports_missing_attributes() -> None:
    serialize = compile_serializer(Account)
    secret = AccountWithSecret("ann", ["a"], Inner(1))
    assert serialize(secret) == {
        "name": "ann",
        "tags": ["a"],
        "inner": {"code": 1, "label": "none"},
    }
    broken = Account("bob", [], Inner(1))
    del broken.tags
    with pytest.raises(SerializationError, match="'tags' is missing"):
        serialize(broken)
    assert dataclasses.asdict(Account("c", [], Inner(3))) == serialize(Account("c", [], Inner(3)))
