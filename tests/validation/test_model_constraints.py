"""Constraints on model fields are enforced, whatever spells them; none is silently ignored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import annotated_types as at
import pydantic
import pytest

from covet import Body, CovetPy, Query
from covet.testing import TestClient
from covet.validation import Constraints, ValidationError, compile_validator


@dataclass
class Order:
    a: Annotated[int, Constraints(gt=0)]
    b: Annotated[int, Query(gt=0)]
    c: Annotated[int, Body(le=10)]
    d: Annotated[int, at.Gt(0)]
    e: Annotated[str, at.MaxLen(2)]
    f: Annotated[int, at.Interval(ge=1, lt=5)]
    g: Annotated[int, pydantic.Field(gt=0)]
    h: Annotated[str, pydantic.Field(pattern=r"^[a-z]+$", min_length=2)]
    note: Annotated[str, "free-form metadata that is not a constraint"] = ""


GOOD: dict[str, Any] = {"a": 1, "b": 1, "c": 10, "d": 1, "e": "ab", "f": 4, "g": 1, "h": "ok"}
BAD: dict[str, Any] = {"a": 0, "b": 0, "c": 11, "d": 0, "e": "abc", "f": 5, "g": 0, "h": "X"}


def test_every_spelling_of_a_field_constraint_is_enforced() -> None:
    validate = compile_validator(Order)
    assert validate(GOOD) == Order(**GOOD)
    with pytest.raises(ValidationError) as caught:
        validate(BAD)
    issues = {(issue.loc, issue.type) for issue in caught.value.issues}
    assert issues == {
        (("a",), "greater_than"),
        (("b",), "greater_than"),
        (("c",), "less_than_equal"),
        (("d",), "greater_than"),
        (("e",), "string_too_long"),
        (("f",), "less_than"),
        (("g",), "greater_than"),
        (("h",), "string_pattern_mismatch"),
        (("h",), "string_too_short"),
    }


class Filter(TypedDict):
    limit: Annotated[int, at.Le(100)]


def test_typeddict_fields_too_and_through_http() -> None:
    app = CovetPy()

    @app.post("/search")
    async def search(body: Filter) -> dict[str, Any]:
        return dict(body)

    client = TestClient(app)
    assert client.post("/search", json={"limit": 100}).json() == {"limit": 100}
    response = client.post("/search", json={"limit": 101})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "limit"]


def test_an_annotated_types_item_that_is_no_limit_is_refused_at_compile_time() -> None:
    with pytest.raises(TypeError, match=r"Timezone.*not supported"):
        compile_validator(Annotated[str, at.Timezone(None)])


AT_LEAST_2 = Constraints(min_length=2)
AT_MOST_2 = Constraints(max_length=2)


@pytest.mark.parametrize(
    ("annotation", "value", "message", "kind"),
    [
        (
            Annotated[str, AT_LEAST_2],
            "a",
            "String should have at least 2 characters",
            "string_too_short",
        ),
        (
            Annotated[str, AT_MOST_2],
            "abc",
            "String should have at most 2 characters",
            "string_too_long",
        ),
        (Annotated[list[int], AT_LEAST_2], [1], "Input should have at least 2 items", "too_short"),
        (Annotated[bytes, AT_MOST_2], b"abc", "Input should have at most 2 bytes", "too_long"),
    ],
)
def test_length_errors_are_worded_as_pydantic_words_them(
    annotation: Any, value: Any, message: str, kind: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_validator(annotation)(value)
    (issue,) = caught.value.issues
    assert (issue.msg, issue.type) == (message, kind)


def test_the_document_shows_the_constraints_that_are_enforced() -> None:
    app = CovetPy()

    @app.post("/orders")
    async def create(order: Order) -> None:
        return None

    schema = app.openapi()["components"]["schemas"]["Order"]["properties"]
    assert schema["a"]["exclusiveMinimum"] == 0
    assert schema["b"]["exclusiveMinimum"] == 0
    assert schema["c"]["maximum"] == 10
    assert schema["d"]["exclusiveMinimum"] == 0
    assert schema["e"]["maxLength"] == 2
    assert (schema["f"]["minimum"], schema["f"]["exclusiveMaximum"]) == (1, 5)
    assert schema["g"]["exclusiveMinimum"] == 0
    assert (schema["h"]["pattern"], schema["h"]["minLength"]) == (r"^[a-z]+$", 2)


@dataclass
class Bounded:
    x: Annotated[int, Constraints(ge=0, le=10)]
    name: Annotated[str, Query(pattern=r"^[a-z]+$")] = "a"


class Holder(pydantic.BaseModel):
    inner: Bounded


def test_pydantic_enforces_covet_constraints_on_a_nested_dataclass() -> None:
    assert Holder.model_validate({"inner": {"x": 3}}).inner == Bounded(3)
    for bad in ({"x": 11}, {"x": 1, "name": "B"}):
        with pytest.raises(pydantic.ValidationError):
            Holder.model_validate({"inner": bad})
    properties = Holder.model_json_schema()["$defs"]["Bounded"]["properties"]
    assert (properties["x"]["minimum"], properties["x"]["maximum"]) == (0, 10)
