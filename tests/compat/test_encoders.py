"""``jsonable_encoder`` and ``RequestValidationError`` as FastAPI's tutorials use them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import pytest
from pydantic import BaseModel, Field

from covet import CovetPy as FastAPI
from covet import JSONResponse, Request, RequestValidationError
from covet.encoders import jsonable_encoder
from covet.testing import TestClient

# -- "JSON Compatible Encoder": a model with a datetime, stored in a JSON-only database ---------


class Item(BaseModel):
    title: str
    timestamp: dt.datetime
    description: str | None = None


def test_a_model_becomes_a_dict_with_iso_dates() -> None:
    fake_db: dict[str, Any] = {}

    app = FastAPI()

    @app.put("/items/{id}")
    def update_item(id: str, item: Item) -> None:
        fake_db[id] = jsonable_encoder(item)

    response = TestClient(app).put(
        "/items/foo", json={"title": "Foo", "timestamp": "2024-01-02T03:04:05"}
    )
    assert response.status_code == 200
    assert fake_db["foo"] == {
        "title": "Foo",
        "timestamp": "2024-01-02T03:04:05",
        "description": None,
    }


# -- "Body - Updates": a partial update merged into the stored item --------------------------


class Stored(BaseModel):
    name: str | None = None
    description: str | None = None
    price: float | None = None
    tax: float = 10.5
    tags: list[str] = []


ITEMS = {"bar": {"name": "Bar", "description": "The bartenders", "price": 62, "tax": 20.2}}


def test_put_replaces_with_jsonable_encoder() -> None:
    app = FastAPI()
    items = {key: dict(value) for key, value in ITEMS.items()}

    @app.put("/items/{item_id}", response_model=Stored)
    async def update_item(item_id: str, item: Stored) -> Any:
        items[item_id] = jsonable_encoder(item)
        return items[item_id]

    response = TestClient(app).put("/items/bar", json={"name": "Barz", "price": 3})
    assert response.json() == {
        "name": "Barz",
        "description": None,
        "price": 3.0,
        "tax": 10.5,
        "tags": [],
    }


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    label: str | None = None


def test_values_as_fastapi_encodes_them() -> None:
    ident = uuid.UUID(int=1)
    assert jsonable_encoder(
        {
            "when": dt.date(2024, 1, 2),
            "at": dt.time(3, 4),
            "for": dt.timedelta(minutes=1, seconds=30),
            "id": ident,
            "price": Decimal("1.50"),
            "count": Decimal("3"),
            "color": Color.RED,
            "path": PurePosixPath("/tmp/x"),
            "raw": b"bytes",
            "point": Point(1),
            "set": {1},
            "tuple": (1, "a"),
        }
    ) == {
        "when": "2024-01-02",
        "at": "03:04:00",
        "for": 90.0,
        "id": str(ident),
        "price": 1.5,
        "count": 3,
        "color": "red",
        "path": "/tmp/x",
        "raw": "bytes",
        "point": {"x": 1, "label": None},
        "set": [1],
        "tuple": [1, "a"],
    }


class Account(BaseModel):
    user_name: str = Field(alias="userName")
    email: str | None = None
    secret: str = "s"


def test_include_exclude_alias_and_none_options() -> None:
    account = Account(userName="ada")
    assert jsonable_encoder(account) == {"userName": "ada", "email": None, "secret": "s"}
    assert jsonable_encoder(account, by_alias=False, exclude={"secret"}) == {
        "user_name": "ada",
        "email": None,
    }
    assert jsonable_encoder(account, exclude_none=True, include={"user_name", "email"}) == {
        "userName": "ada"
    }
    assert jsonable_encoder(account, exclude_unset=True) == {"userName": "ada"}
    assert jsonable_encoder(account, exclude_defaults=True) == {"userName": "ada"}
    assert jsonable_encoder({"a": 1, "b": None, "_sa_state": 0}, exclude_none=True) == {"a": 1}
    assert jsonable_encoder({"a": 1, "b": 2}, include={"a"}) == {"a": 1}


def test_custom_encoder_comes_first() -> None:
    encoded = jsonable_encoder(
        {"at": dt.datetime(2024, 1, 2, 3, 4, 5)},
        custom_encoder={dt.datetime: lambda value: value.strftime("%d/%m/%Y")},
    )
    assert encoded == {"at": "02/01/2024"}


class Plain:
    def __init__(self) -> None:
        self.a = 1
        self.when = dt.date(2024, 1, 1)


def test_other_objects_by_their_attributes_and_refused_without_any() -> None:
    assert jsonable_encoder(Plain()) == {"a": 1, "when": "2024-01-01"}
    with pytest.raises(ValueError, match="Cannot encode object"):
        jsonable_encoder(object())


# -- "Handling Errors": override the request validation exception handler -------------------


def test_request_validation_error_handler_as_in_the_tutorial() -> None:
    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def validation_exception_handler(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": exc.errors()}))

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> Any:
        return {"item_id": item_id}

    response = TestClient(app).get("/items/foo")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string",
                "input": "foo",
            }
        ]
    }


class Towel(BaseModel):
    title: str
    size: int


def body_echoing_app() -> FastAPI:
    """FastAPI's "Use the RequestValidationError body" example."""
    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def validation_exception_handler(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content=jsonable_encoder({"detail": exc.errors(), "body": exc.body}),
        )

    @app.post("/items/")
    async def create_item(item: Towel) -> Any:
        return item

    @app.post("/tagged/")
    async def create_tagged(item: Towel, tag: str) -> Any:
        return {"item": item, "tag": tag}

    return app


@pytest.mark.parametrize("path", ["/items/", "/tagged/?tag=x"], ids=["body-only", "with-query"])
def test_the_error_carries_the_received_body(path: str) -> None:
    sent = {"title": "towel", "size": "XL"}
    response = TestClient(body_echoing_app()).post(path, json=sent)
    assert response.status_code == 422
    assert response.json()["body"] == sent
    assert response.json()["detail"][0]["loc"] == ["body", "size"]
