"""Parameter models: a model marked Query/Header/Cookie/Form reads each field from that source."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired, TypedDict

import msgspec
import pydantic
import pytest
from openapi_spec_validator import validate as validate_document

from covet import Cookie, CovetPy, Form, Header, Query
from covet.exceptions import ConfigurationError
from covet.testing import TestClient
from covet.validation import Constraints


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Filters:
    q: str
    limit: Annotated[int, Constraints(ge=1, le=100)] = 10
    tags: list[str] = field(default_factory=list)
    since: dt.date | None = None
    price: decimal.Decimal | None = None
    color: Color | None = None


class Headers(TypedDict):
    x_token: str
    user_agent: NotRequired[str]


class Paging(pydantic.BaseModel):
    page: int = pydantic.Field(1, ge=1)
    order: Literal["asc", "desc"] = "asc"


class Session(msgspec.Struct):
    session: str
    theme: str = "light"


@dataclass
class Outer:
    inner: Filters


def build() -> CovetPy:
    app = CovetPy()

    @app.get("/search")
    async def search(
        filters: Annotated[Filters, Query()],
        headers: Annotated[Headers, Header()],
        paging: Annotated[Paging, Query()],
        cookies: Annotated[Session, Cookie()],
    ) -> dict[str, Any]:
        return {
            "filters": filters,
            "headers": headers,
            "paging": paging.model_dump(),
            "cookies": msgspec.to_builtins(cookies),
        }

    @app.post("/login")
    async def login(form: Annotated[Paging, Form()]) -> dict[str, Any]:
        return form.model_dump()

    return app


def test_each_field_is_read_from_its_source_and_converted() -> None:
    client = TestClient(build(), cookies={"session": "s"})
    response = client.get(
        "/search?q=x&limit=5&tags=a&tags=b&since=2026-01-02&price=1.50&color=red&page=2&order=desc",
        headers={"x-token": "t"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filters"] == {
        "q": "x",
        "limit": 5,
        "tags": ["a", "b"],
        "since": "2026-01-02",
        "price": "1.50",
        "color": "red",
    }
    assert body["headers"]["x_token"] == "t"
    assert body["paging"] == {"page": 2, "order": "desc"}
    assert body["cookies"] == {"session": "s", "theme": "light"}


def test_defaults_apply_and_every_bad_field_is_located() -> None:
    client = TestClient(build())
    response = client.get("/search?limit=0&page=0&order=up&since=bad")
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["query", "q"], "missing"),
        (["query", "limit"], "greater_than_equal"),
        (["query", "since"], "date_parsing"),
        (["header", "x-token"], "missing"),
        (["query", "page"], "greater_than_equal"),
        (["query", "order"], "literal_error"),
        (["cookie", "session"], "missing"),
    ]
    assert client.post("/login", data={"page": "3"}).json() == {"page": 3, "order": "asc"}


def test_the_document_lists_one_parameter_per_field() -> None:
    document = build().openapi()
    validate_document(document)
    parameters = document["paths"]["/search"]["get"]["parameters"]
    assert [(p["in"], p["name"], p["required"]) for p in parameters] == [
        ("query", "q", True),
        ("query", "limit", False),
        ("query", "tags", False),
        ("query", "since", False),
        ("query", "price", False),
        ("query", "color", False),
        ("header", "x-token", True),
        ("header", "user-agent", False),
        ("query", "page", False),
        ("query", "order", False),
        ("cookie", "session", True),
        ("cookie", "theme", False),
    ]
    limit = parameters[1]["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)


def test_a_nested_model_is_refused_at_start_up() -> None:
    app = CovetPy()

    @app.get("/nested")
    async def nested(outer: Annotated[Outer, Query()]) -> None:
        return None

    with pytest.raises(ConfigurationError, match=r"'outer' of .*nested.*'inner' of Outer"):
        TestClient(app).get("/")
