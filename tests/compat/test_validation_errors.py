"""422 bodies with ``error_format="fastapi"``: each item carries FastAPI's ``input`` and ``ctx``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from covet import CovetPy as FastAPI
from covet import Path, Query
from covet.testing import TestClient


@dataclass
class Item:
    name: str
    price: float
    tags: list[str]


class ModelName(str, Enum):  # noqa: UP042 (as FastAPI's tutorial declares it)
    alexnet = "alexnet"
    resnet = "resnet"
    lenet = "lenet"


def make_app() -> FastAPI:
    app = FastAPI(error_format="fastapi")

    @app.get("/items/{item_id}")
    async def read_item(
        item_id: Annotated[int, Path(gt=0)],
        q: str,
        size: Annotated[float, Query(le=10.5)] = 1,
        name: Annotated[str, Query(min_length=3, pattern="^[a-z]+$")] = "abc",
    ) -> Any:
        return {"item_id": item_id}

    @app.post("/items/")
    async def create_item(item: Item) -> Any:
        return item

    @app.get("/models/{model_name}")
    async def get_model(model_name: ModelName, order: Literal["asc", "desc"] = "asc") -> Any:
        return {"model_name": model_name}

    @app.get("/lists")
    async def lists(ids: Annotated[list[int], Query(min_length=2)]) -> Any:
        return ids

    return app


client = TestClient(make_app())


def test_missing_query_parameter_has_null_input() -> None:
    response = client.get("/items/1")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None}
        ]
    }


def test_unparsable_path_value_has_the_raw_string_as_input() -> None:
    (issue,) = client.get("/items/abc?q=x").json()["detail"]
    assert issue == {
        "type": "int_parsing",
        "loc": ["path", "item_id"],
        "msg": "Input should be a valid integer, unable to parse string",
        "input": "abc",
    }


def test_bounds_carry_their_limit_in_ctx() -> None:
    detail = client.get("/items/0?q=x&size=11").json()["detail"]
    assert detail == [
        {
            "type": "greater_than",
            "loc": ["path", "item_id"],
            "msg": "Input should be greater than 0",
            "input": "0",
            "ctx": {"gt": 0},
        },
        {
            "type": "less_than_equal",
            "loc": ["query", "size"],
            "msg": "Input should be less than or equal to 10.5",
            "input": "11",
            "ctx": {"le": 10.5},
        },
    ]


def test_string_limits_carry_theirs() -> None:
    detail = client.get("/items/1?q=x&name=AB").json()["detail"]
    assert [(i["type"], i["input"], i["ctx"]) for i in detail] == [
        ("string_too_short", "AB", {"min_length": 3}),
        ("string_pattern_mismatch", "AB", {"pattern": "^[a-z]+$"}),
    ]


def test_list_length_ctx_is_pydantics() -> None:
    (issue,) = client.get("/lists?ids=1").json()["detail"]
    assert issue["type"] == "too_short"
    assert issue["input"] == ["1"]
    assert issue["ctx"] == {"field_type": "List", "min_length": 2, "actual_length": 1}


def test_missing_body_field_has_the_object_as_input() -> None:
    body = {"name": "Foo", "tags": []}
    (issue,) = client.post("/items/", json=body).json()["detail"]
    assert issue == {
        "type": "missing",
        "loc": ["body", "price"],
        "msg": "Field required",
        "input": body,
    }


def test_bad_nested_value_has_that_value_as_input() -> None:
    body = {"name": "Foo", "price": 1, "tags": ["a", 2]}
    (issue,) = client.post("/items/", json=body).json()["detail"]
    assert issue == {
        "type": "string_type",
        "loc": ["body", "tags", 1],
        "msg": "Input should be a valid string",
        "input": 2,
    }


def test_enum_and_literal_list_what_is_expected() -> None:
    (issue,) = client.get("/models/vgg").json()["detail"]
    assert issue == {
        "type": "enum",
        "loc": ["path", "model_name"],
        "msg": "Input should be 'alexnet', 'resnet' or 'lenet'",
        "input": "vgg",
        "ctx": {"expected": "'alexnet', 'resnet' or 'lenet'"},
    }
    (issue,) = client.get("/models/lenet?order=up").json()["detail"]
    assert issue["ctx"] == {"expected": "'asc' or 'desc'"}
    assert issue["msg"] == "Input should be 'asc' or 'desc'"


def test_default_problem_format_is_unchanged() -> None:
    app = FastAPI()

    @app.get("/n")
    async def n(n: int) -> Any:
        return n

    errors = TestClient(app).get("/n?n=x").json()["errors"]
    assert errors == [
        {
            "loc": ["query", "n"],
            "msg": "Input should be a valid integer, unable to parse string",
            "type": "int_parsing",
        }
    ]


class Signup(BaseModel):
    name: str
    age: int = Field(gt=17)

    @field_validator("name")
    @classmethod
    def no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError("no spaces please")
        return value


@dataclass
class Window:
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end is before start")


def test_pydantic_body_errors_keep_pydantics_input_and_ctx() -> None:
    app = FastAPI(error_format="fastapi")

    @app.post("/signup")
    async def signup(body: Signup) -> Any:
        return body

    detail = TestClient(app).post("/signup", json={"name": "a b", "age": 3}).json()["detail"]
    assert detail == [
        {
            "type": "value_error",
            "loc": ["body", "name"],
            "msg": "Value error, no spaces please",
            "input": "a b",
            "ctx": {"error": {}},
        },
        {
            "type": "greater_than",
            "loc": ["body", "age"],
            "msg": "Input should be greater than 17",
            "input": 3,
            "ctx": {"gt": 17},
        },
    ]


def test_a_dataclass_refusing_its_values_is_a_value_error_with_ctx() -> None:
    app = FastAPI(error_format="fastapi")

    @app.post("/windows")
    async def window(body: Window) -> Any:
        return body

    (issue,) = TestClient(app).post("/windows", json={"start": 5, "end": 1}).json()["detail"]
    assert issue == {
        "type": "value_error",
        "loc": ["body"],
        "msg": "Value error, end is before start",
        "input": {"start": 5, "end": 1},
        "ctx": {"error": {}},
    }
