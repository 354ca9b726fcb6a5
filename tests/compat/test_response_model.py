"""Response models as FastAPI's "Response Model" and "Extra Models" tutorials use them."""

from __future__ import annotations

import dataclasses
from typing import Any, Union

import pytest
from pydantic import BaseModel, Field

from covet import ConfigurationError
from covet import CovetPy as FastAPI
from covet.testing import TestClient


class Item(BaseModel):
    name: str
    description: str | None = None
    price: float
    tax: float = 10.5
    tags: list[str] = []


@dataclasses.dataclass
class ItemRecord:
    """The same shape as a dataclass: defaults are filled in the same way."""

    name: str
    price: float
    description: str | None = None
    tax: float = 10.5
    tags: list[str] = dataclasses.field(default_factory=list)


ITEMS: dict[str, dict[str, Any]] = {
    "foo": {"name": "Foo", "price": 50.2},
    "bar": {"name": "Bar", "description": "The bartenders", "price": 62, "tax": 20.2},
    "baz": {"name": "Baz", "description": None, "price": 50.2, "tax": 10.5, "tags": []},
}
FULL_FOO = {"name": "Foo", "description": None, "price": 50.2, "tax": 10.5, "tags": []}


def tutorial_app(model: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}", response_model=model)
    async def read_item(item_id: str) -> Any:
        return ITEMS[item_id]

    @app.get("/unset/{item_id}", response_model=model, response_model_exclude_unset=True)
    async def read_item_unset(item_id: str) -> Any:
        return ITEMS[item_id]

    @app.get(
        "/items/{item_id}/name",
        response_model=model,
        response_model_include={"name", "description"},
    )
    async def read_item_name(item_id: str) -> Any:
        return ITEMS[item_id]

    @app.get("/items/{item_id}/public", response_model=model, response_model_exclude={"tax"})
    async def read_item_public_data(item_id: str) -> Any:
        return ITEMS[item_id]

    @app.get("/lists/{item_id}/name", response_model=model, response_model_include=["name"])
    async def read_item_name_from_a_list(item_id: str) -> Any:
        return ITEMS[item_id]

    @app.get("/compact/{item_id}", response_model=model, response_model_exclude_none=True)
    async def read_item_compact(item_id: str) -> Any:
        return ITEMS[item_id]

    return app


MODELS = pytest.mark.parametrize("model", [Item, ItemRecord], ids=["pydantic", "dataclass"])


@MODELS
def test_defaults_are_filled_for_a_dict_result(model: Any) -> None:
    response = TestClient(tutorial_app(model)).get("/items/foo")
    assert response.status_code == 200
    assert response.json() == FULL_FOO


@MODELS
def test_exclude_unset_leaves_out_what_the_dict_does_not_set(model: Any) -> None:
    client = TestClient(tutorial_app(model))
    assert client.get("/unset/foo").json() == {"name": "Foo", "price": 50.2}
    assert client.get("/unset/bar").json() == ITEMS["bar"]
    # Set explicitly, even to the default value: kept.
    assert client.get("/unset/baz").json() == ITEMS["baz"]


@MODELS
def test_include_and_exclude(model: Any) -> None:
    client = TestClient(tutorial_app(model))
    assert client.get("/items/bar/name").json() == {"name": "Bar", "description": "The bartenders"}
    assert client.get("/items/bar/public").json() == {
        "name": "Bar",
        "description": "The bartenders",
        "price": 62,
        "tags": [],
    }
    assert client.get("/lists/bar/name").json() == {"name": "Bar"}


@MODELS
def test_exclude_none(model: Any) -> None:
    assert TestClient(tutorial_app(model)).get("/compact/baz").json() == {
        "name": "Baz",
        "price": 50.2,
        "tax": 10.5,
        "tags": [],
    }


@dataclasses.dataclass
class Invoice:
    total: float
    tax: float | None = None


def test_a_dataclass_model_with_a_defaulted_field_accepts_a_dict_without_it() -> None:
    app = FastAPI()

    @app.get("/invoice")
    async def invoice() -> Invoice:
        return {"total": 3.5}  # type: ignore[return-value]

    response = TestClient(app).get("/invoice")
    assert response.status_code == 200
    assert response.json() == {"total": 3.5, "tax": None}


def test_a_required_field_missing_from_the_dict_is_still_a_server_error() -> None:
    app = FastAPI()

    @app.get("/invoice", response_model=Invoice)
    async def invoice() -> Any:
        return {"tax": 1.0}

    assert TestClient(app, raise_server_exceptions=False).get("/invoice").status_code == 500


class UserOut(BaseModel):
    user_name: str = Field(alias="userName")
    full_name: str | None = Field(default=None, alias="fullName")


def test_by_alias_is_the_default_and_can_be_turned_off() -> None:
    app = FastAPI()

    @app.get("/user", response_model=UserOut)
    async def user() -> Any:
        return {"userName": "ada", "fullName": "Ada Lovelace"}

    @app.get("/user/plain", response_model=UserOut, response_model_by_alias=False)
    async def user_plain() -> Any:
        return {"userName": "ada"}

    client = TestClient(app)
    assert client.get("/user").json() == {"userName": "ada", "fullName": "Ada Lovelace"}
    assert client.get("/user/plain").json() == {"user_name": "ada", "full_name": None}


# -- "Extra Models": a union of models, returned as plain dicts --------------------------------


class BaseItem(BaseModel):
    description: str
    type: str


class CarItem(BaseItem):
    type: str = "car"


class PlaneItem(BaseItem):
    type: str = "plane"
    size: int


VEHICLES = {
    "item1": {"description": "All my friends drive a low rider", "type": "car"},
    "item2": {
        "description": "Music is my aeroplane, it's my aeroplane",
        "type": "plane",
        "size": 5,
    },
}


@pytest.mark.parametrize(
    "model",
    [Union[PlaneItem, CarItem], CarItem | PlaneItem],  # noqa: UP007 (the tutorial's spelling)
    ids=["plane-first", "car-first"],
)
def test_union_response_model_validates_the_dict_into_the_fitting_model(model: Any) -> None:
    app = FastAPI()

    @app.get("/items/{item_id}", response_model=model)
    async def read_item(item_id: str) -> Any:
        return VEHICLES[item_id]

    client = TestClient(app)
    assert client.get("/items/item1").json() == VEHICLES["item1"]
    assert client.get("/items/item2").json() == VEHICLES["item2"]


def test_union_of_models_still_refuses_a_dict_that_fits_none() -> None:
    app = FastAPI()

    @app.get("/nothing", response_model=PlaneItem | CarItem)
    async def nothing() -> Any:
        return {"size": 3}

    assert TestClient(app, raise_server_exceptions=False).get("/nothing").status_code == 500


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"response_model_include": "name"}, "must be a set of field names"),
        ({"response_model_exclude": {"tags": {0}}}, "nested field selections"),
        ({"response_model_exclude_none": "yes"}, "must be True or False"),
    ],
    ids=["include-str", "nested-exclude", "flag-not-bool"],
)
def test_bad_options_are_refused_at_start_up(options: dict[str, Any], message: str) -> None:
    app = FastAPI()

    @app.get("/items/{item_id}", response_model=Item, **options)
    async def read_item(item_id: str) -> Any:
        return ITEMS[item_id]

    with pytest.raises(ConfigurationError, match=message):
        app.build()


def test_options_without_a_model_are_refused_not_ignored() -> None:
    app = FastAPI()

    @app.get("/raw", response_model_exclude_none=True)
    async def raw() -> dict[str, Any]:
        return {"a": None}

    with pytest.raises(ConfigurationError, match="no response model"):
        app.build()
