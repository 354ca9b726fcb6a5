"""Validators in ``Annotated`` metadata, as a FastAPI user writes them: applied, never ignored.

Shaped as FastAPI's "Query Parameters and String Validations" page (custom validation with
``AfterValidator``) and pydantic's functional validators; the 422 items are FastAPI's.
"""

# No ``from __future__ import annotations``: the handlers below are defined inside the tests
# and annotated with local names (validators, parametrised annotations), as FastAPI allows.

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import annotated_types as at
import pytest
from pydantic import (
    AfterValidator,
    BeforeValidator,
    InstanceOf,
    PlainValidator,
    StringConstraints,
    WrapValidator,
)

from covet import Body, ConfigurationError, Header, Path, Query
from covet import CovetPy as FastAPI
from covet.testing import TestClient


def check_valid_id(id: str) -> str:
    if not id.startswith(("isbn-", "imdb-")):
        raise ValueError('Invalid ID format, it must start with "isbn-" or "imdb-"')
    return id


def test_after_validator_on_a_query_parameter() -> None:
    app = FastAPI(error_format="fastapi")

    @app.get("/items/")
    async def read_items(id: Annotated[str | None, AfterValidator(check_valid_id)] = None) -> Any:
        return {"id": id}

    client = TestClient(app)
    assert client.get("/items/", params={"id": "isbn-9781529046137"}).json() == {
        "id": "isbn-9781529046137"
    }
    assert client.get("/items/").json() == {"id": None}
    response = client.get("/items/", params={"id": "dune"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "value_error",
                "loc": ["query", "id"],
                "msg": 'Value error, Invalid ID format, it must start with "isbn-" or "imdb-"',
                "input": "dune",
                "ctx": {"error": {}},
            }
        ]
    }


def test_after_validator_can_transform_the_value() -> None:
    app = FastAPI()

    @app.get("/users/{name}")
    async def read_user(name: Annotated[str, AfterValidator(str.title)]) -> Any:
        return {"name": name}

    assert TestClient(app).get("/users/ada lovelace").json() == {"name": "Ada Lovelace"}


def test_assertion_in_a_validator_is_a_422() -> None:
    def even(value: int) -> int:
        assert value % 2 == 0, "must be even"
        return value

    app = FastAPI(error_format="fastapi")

    @app.get("/pairs")
    async def pairs(n: Annotated[int, AfterValidator(even)]) -> Any:
        return {"n": n}

    client = TestClient(app)
    assert client.get("/pairs?n=4").json() == {"n": 4}
    (issue,) = client.get("/pairs?n=3").json()["detail"]
    assert issue["type"] == "assertion_error"
    # pytest rewrites this module's asserts, adding the expression to the message.
    assert issue["msg"].startswith("Assertion failed, must be even")
    assert issue["loc"] == ["query", "n"]


def test_before_validator_runs_on_the_raw_text() -> None:
    def no_separators(value: Any) -> Any:
        return value.replace("_", "").replace(",", "") if isinstance(value, str) else value

    app = FastAPI()

    @app.get("/amount")
    async def amount(cents: Annotated[int, BeforeValidator(no_separators), Query(gt=0)]) -> Any:
        return {"cents": cents}

    client = TestClient(app)
    assert client.get("/amount?cents=1,000").json() == {"cents": 1000}
    assert client.get("/amount?cents=0").status_code == 422
    assert client.get("/amount?cents=lots").status_code == 422


def test_plain_validator_replaces_the_type_check() -> None:
    def parse_flag(value: Any) -> bool:
        if value not in ("y", "n"):
            raise ValueError("answer y or n")
        return value == "y"

    app = FastAPI()

    @app.get("/answer")
    async def answer(ok: Annotated[bool, PlainValidator(parse_flag)]) -> Any:
        return {"ok": ok}

    client = TestClient(app)
    assert client.get("/answer?ok=y").json() == {"ok": True}
    # "true" is a bool to the type's own validator, but the plain validator decides alone.
    assert client.get("/answer?ok=true").status_code == 422


def test_wrap_validator_decides_around_the_type_check() -> None:
    def lenient(value: Any, handler: Any) -> int:
        if value == "none":
            return 0
        result: int = handler(value)
        return result

    app = FastAPI()

    @app.get("/count")
    async def count(n: Annotated[int, WrapValidator(lenient)]) -> Any:
        return {"n": n}

    client = TestClient(app)
    assert client.get("/count?n=none").json() == {"n": 0}
    assert client.get("/count?n=7").json() == {"n": 7}
    assert client.get("/count?n=x").json()["errors"][0]["type"] == "int_parsing"


def test_validators_on_headers_and_path_values() -> None:
    def lower(value: str) -> str:
        return value.lower()

    app = FastAPI()

    @app.get("/tenants/{slug}")
    async def tenant(
        slug: Annotated[str, Path(), AfterValidator(lower)],
        x_token: Annotated[str, Header(), AfterValidator(check_valid_id)],
    ) -> Any:
        return {"slug": slug, "token": x_token}

    client = TestClient(app)
    ok = client.get("/tenants/ACME", headers={"x-token": "imdb-1"})
    assert ok.json() == {"slug": "acme", "token": "imdb-1"}
    bad = client.get("/tenants/ACME", headers={"x-token": "other"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["header", "x-token"]


@pytest.mark.parametrize(
    ("annotation", "good", "bad", "kind"),
    [
        (Annotated[str, at.Predicate(str.isdigit)], "123", "12a", "predicate_failed"),
        (Annotated[str, at.Not(str.isdigit)], "abc", "123", "not_operation_failed"),
        (Annotated[int, at.Gt(0)], "1", "0", "greater_than"),
        (Annotated[int, at.Interval(ge=1, le=5)], "5", "6", "less_than_equal"),
        (Annotated[str, at.MinLen(3)], "abc", "ab", "string_too_short"),
        (at.LowerCase[str], "abc", "aBc", "predicate_failed"),
    ],
    ids=["predicate", "not", "gt", "interval", "min-len", "lowercase"],
)
def test_annotated_types_on_a_query_parameter(
    annotation: Any, good: str, bad: str, kind: str
) -> None:
    app = FastAPI(error_format="fastapi")

    @app.get("/check")
    async def check(value: annotation) -> Any:  # type: ignore[valid-type]
        return {"value": value}

    client = TestClient(app)
    assert client.get("/check", params={"value": good}).status_code == 200
    response = client.get("/check", params={"value": bad})
    assert response.status_code == 422
    (issue,) = response.json()["detail"]
    assert (issue["type"], issue["input"]) == (kind, bad)


def test_predicate_message_is_pydantics() -> None:
    app = FastAPI(error_format="fastapi")

    @app.get("/digits")
    async def digits(code: Annotated[str, at.Predicate(str.isdigit)]) -> Any:
        return {"code": code}

    (issue,) = TestClient(app).get("/digits?code=x").json()["detail"]
    assert issue == {
        "type": "predicate_failed",
        "loc": ["query", "code"],
        "msg": "Predicate 'str.isdigit' failed",
        "input": "x",
    }


def test_string_constraints_transform_before_the_limits() -> None:
    app = FastAPI()

    @app.get("/tags")
    async def tags(
        tag: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=3)],
    ) -> Any:
        return {"tag": tag}

    client = TestClient(app)
    assert client.get("/tags", params={"tag": "  AbC  "}).json() == {"tag": "abc"}
    assert client.get("/tags", params={"tag": "abcd"}).status_code == 422


def positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be positive")
    return value


@dataclass
class Item:
    name: Annotated[str, AfterValidator(str.strip)]
    price: Annotated[float, AfterValidator(positive)]
    tags: list[Annotated[str, AfterValidator(str.lower)]]


class Offer(TypedDict):
    discount: Annotated[int, AfterValidator(lambda v: v if v <= 50 else _too_much())]


def _too_much() -> int:
    raise ValueError("at most 50")


def test_after_validator_on_the_fields_of_a_dataclass_body() -> None:
    app = FastAPI(error_format="fastapi")

    @app.post("/items/")
    async def create_item(item: Item) -> Any:
        return {"name": item.name, "price": item.price, "tags": item.tags}

    client = TestClient(app)
    created = client.post("/items/", json={"name": " Foo ", "price": 2.5, "tags": ["A", "b"]})
    assert created.json() == {"name": "Foo", "price": 2.5, "tags": ["a", "b"]}
    response = client.post("/items/", json={"name": "Foo", "price": -1, "tags": []})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "price"],
            "msg": "Value error, must be positive",
            "input": -1,
            "ctx": {"error": {}},
        }
    ]


def test_after_validator_on_the_fields_of_a_typeddict_body() -> None:
    app = FastAPI(error_format="fastapi")

    @app.post("/offers")
    async def offer(offer: Annotated[Offer, Body()]) -> Any:
        return offer

    client = TestClient(app)
    assert client.post("/offers", json={"discount": 10}).json() == {"discount": 10}
    (issue,) = client.post("/offers", json={"discount": 60}).json()["detail"]
    assert (issue["loc"], issue["msg"]) == (["body", "discount"], "Value error, at most 50")


@pytest.mark.parametrize(
    "annotation",
    [
        Annotated[str, AfterValidator(lambda value, info: value)],
        InstanceOf[str],
        Annotated[str, at.Timezone(None)],
    ],
    ids=["validation-info", "instance-of", "timezone"],
)
def test_a_validator_covet_cannot_apply_is_refused_at_start_up(annotation: Any) -> None:
    app = FastAPI()

    @app.get("/q")
    async def q(value: annotation) -> Any:  # type: ignore[valid-type]
        return value

    with pytest.raises(ConfigurationError, match="value"):
        app.build()


class CustomCheck:
    """Metadata of a third-party library hooking into pydantic: covet cannot run it."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return handler(source)


def test_unknown_pydantic_hook_metadata_is_refused_not_ignored() -> None:
    app = FastAPI()

    @app.get("/q")
    async def q(value: Annotated[str, CustomCheck()]) -> Any:
        return value

    with pytest.raises(ConfigurationError, match="customises pydantic validation"):
        app.build()
