"""Parameter models with ``extra="forbid"``, as FastAPI's "Forbid Extra ..." sections use them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
import pytest
from pydantic import BaseModel, Field

from covet import Cookie, CovetPy, Form, Header, Query
from covet.testing import TestClient
from covet.validation import forbid_extra


class FilterParams(BaseModel):
    model_config = {"extra": "forbid"}

    limit: int = Field(100, gt=0, le=100)
    offset: int = Field(0, ge=0)
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class FormData(BaseModel):
    model_config = {"extra": "forbid"}

    username: str
    password: str


class Cookies(BaseModel):
    model_config = {"extra": "forbid"}

    session_id: str


class CommonHeaders(BaseModel):
    model_config = {"extra": "forbid"}

    host: str
    save_data: bool


class StrictQuery(msgspec.Struct, forbid_unknown_fields=True):
    q: str = ""


@forbid_extra
@dataclass
class Paging:
    page: int = 1


@forbid_extra
@dataclass
class Rename:
    name: str


@pytest.fixture
def client() -> TestClient:
    app = CovetPy(error_format="fastapi")

    @app.get("/items/")
    async def read_items(filter_query: Annotated[FilterParams, Query()]) -> Any:
        return filter_query.model_dump()

    @app.post("/login/")
    async def login(data: Annotated[FormData, Form()]) -> Any:
        return data.model_dump()

    @app.get("/cookies/")
    async def cookies(cookies: Annotated[Cookies, Cookie()]) -> Any:
        return cookies.model_dump()

    @app.get("/headers/")
    async def headers(headers: Annotated[CommonHeaders, Header()]) -> Any:
        return headers.model_dump()

    @app.get("/search/")
    async def search(params: Annotated[StrictQuery, Query()]) -> Any:
        return {"q": params.q}

    @app.get("/pages/")
    async def pages(paging: Annotated[Paging, Query()]) -> Any:
        return {"page": paging.page}

    @app.post("/rename/")
    async def rename(body: Rename) -> Any:
        return {"name": body.name}

    return TestClient(app)


def test_known_query_parameters_are_accepted(client: TestClient) -> None:
    response = client.get("/items/?limit=5&tags=a&tags=b")
    assert response.status_code == 200
    assert response.json() == {
        "limit": 5,
        "offset": 0,
        "order_by": "created_at",
        "tags": ["a", "b"],
    }


def test_an_extra_query_parameter_is_a_422(client: TestClient) -> None:
    response = client.get("/items/?limit=5&tool=plumbus")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "extra_forbidden",
            "loc": ["query", "tool"],
            "msg": "Extra inputs are not permitted",
            "input": "plumbus",
        }
    ]


def test_an_extra_form_field_is_a_422(client: TestClient) -> None:
    ok = client.post("/login/", data={"username": "ada", "password": "pw"})
    assert ok.json() == {"username": "ada", "password": "pw"}
    response = client.post("/login/", data={"username": "a", "password": "p", "extra": "x"})
    assert response.status_code == 422
    # FastAPI locates form fields in the body.
    assert [issue["loc"] for issue in response.json()["detail"]] == [["body", "extra"]]


def test_an_extra_cookie_is_a_422(client: TestClient) -> None:
    client.cookies.set("session_id", "123")
    assert client.get("/cookies/").json() == {"session_id": "123"}
    client.cookies.set("tracker", "x")
    response = client.get("/cookies/")
    assert response.status_code == 422
    assert [issue["loc"] for issue in response.json()["detail"]] == [["cookie", "tracker"]]


def test_every_header_the_model_does_not_declare_is_refused(client: TestClient) -> None:
    response = client.get("/headers/", headers={"save-data": "true", "tool": "plumbus"})
    assert response.status_code == 422
    locs = [issue["loc"] for issue in response.json()["detail"]]
    assert ["header", "tool"] in locs
    assert ["header", "save-data"] not in locs
    assert ["header", "host"] not in locs


def test_msgspec_forbid_unknown_fields_refuses_extra_query_parameters(client: TestClient) -> None:
    assert client.get("/search/?q=x").json() == {"q": "x"}
    response = client.get("/search/?q=x&page=2")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "page"]


def test_a_forbid_extra_dataclass_refuses_extra_query_parameters(client: TestClient) -> None:
    assert client.get("/pages/?page=2").json() == {"page": 2}
    response = client.get("/pages/?page=2&size=9")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "extra_forbidden",
            "loc": ["query", "size"],
            "msg": "Extra inputs are not permitted",
            "input": "9",
        }
    ]


def test_a_forbid_extra_dataclass_body_refuses_extra_keys_as_pydantic_does(
    client: TestClient,
) -> None:
    assert client.post("/rename/", json={"name": "a"}).json() == {"name": "a"}
    response = client.post("/rename/", json={"name": "a", "id": 3})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "extra_forbidden",
            "loc": ["body", "id"],
            "msg": "Extra inputs are not permitted",
            "input": 3,
        }
    ]
