"""The OpenAPI document of apps written as FastAPI's docs write them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pytest
from openapi_spec_validator import validate

from covet import CovetPy, Depends, Header, HTTPException, Request, Router
from covet.exceptions import ConfigurationError
from covet.testing import TestClient


def document_of(app: CovetPy) -> dict[str, Any]:
    document: dict[str, Any] = TestClient(app).get("/openapi.json").json()
    validate(document)
    return document


# -- openapi_extra ------------------------------------------------------------------------


def test_openapi_extra_adds_an_extension() -> None:
    app = CovetPy()

    @app.get("/items/", openapi_extra={"x-aperture-labs-portal": "blue"})
    async def read_items() -> list[dict[str, str]]:
        return [{"item_id": "portal-gun"}]

    operation = document_of(app)["paths"]["/items/"]["get"]
    assert operation["x-aperture-labs-portal"] == "blue"
    assert operation["operationId"] == "read_items"


def test_openapi_extra_documents_a_body_read_by_hand() -> None:
    app = CovetPy()
    yaml_schema = {"type": "object", "properties": {"name": {"type": "string"}}}

    @app.post(
        "/items/",
        openapi_extra={
            "requestBody": {
                "content": {"application/x-yaml": {"schema": yaml_schema}},
                "required": True,
            },
        },
    )
    async def create_item(request: Request) -> dict[str, int]:
        raw_body = await request.body()
        return {"size": len(raw_body)}

    client = TestClient(app)
    assert client.post("/items/", content=b"name: x").json() == {"size": 7}
    operation = document_of(app)["paths"]["/items/"]["post"]
    assert operation["requestBody"] == {
        "content": {"application/x-yaml": {"schema": yaml_schema}},
        "required": True,
    }


def test_openapi_extra_merges_into_what_is_generated() -> None:
    app = CovetPy()

    @app.get(
        "/search",
        openapi_extra={
            "parameters": [{"name": "trace", "in": "header", "schema": {"type": "string"}}],
            "responses": {"200": {"headers": {"X-Total": {"schema": {"type": "integer"}}}}},
        },
    )
    async def search(q: str) -> list[str]:
        return [q]

    operation = document_of(app)["paths"]["/search"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["q", "trace"]
    ok = operation["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"
    assert ok["headers"] == {"X-Total": {"schema": {"type": "integer"}}}


def test_openapi_extra_must_be_a_dict() -> None:
    app = CovetPy()
    with pytest.raises(ConfigurationError, match="openapi_extra"):
        app.get("/", openapi_extra=["x-a"])


# -- deprecated, include_in_schema, responses, generate_unique_id_function on routers --------


async def get_token_header(x_token: str = Header()) -> None:
    if x_token != "fake-super-secret-token":
        raise HTTPException(status_code=400, detail="X-Token header invalid")


def bigger_app() -> CovetPy:
    """The shape of FastAPI's "Bigger Applications" tutorial."""
    app = CovetPy()
    items = Router(
        prefix="/items",
        tags=["items"],
        dependencies=[Depends(get_token_header)],
        responses={404: {"description": "Not found"}},
    )

    @items.get("/")
    async def read_items() -> dict[str, Any]:
        return {"plumbus": {"name": "Plumbus"}}

    @items.put("/{item_id}", tags=["custom"], responses={403: {"description": "Forbidden"}})
    async def update_item(item_id: str) -> dict[str, str]:
        return {"item_id": item_id}

    @items.get("/old", responses={404: {"description": "Gone for good"}})
    async def old_item() -> dict[str, str]:
        return {}

    admin = Router()

    @admin.post("/")
    async def update_admin() -> dict[str, str]:
        return {"message": "Admin getting schwifty"}

    legacy = Router(deprecated=True)

    @legacy.get("/v1")
    async def v1() -> str:
        return "v1"

    hidden = Router(include_in_schema=False)

    @hidden.get("/internal")
    async def internal() -> str:
        return "internal"

    app.include_router(items)
    app.include_router(
        admin,
        prefix="/admin",
        tags=["admin"],
        responses={418: {"description": "I'm a teapot"}},
        deprecated=True,
    )
    app.include_router(legacy, prefix="/legacy")
    app.include_router(hidden)
    return app


@pytest.fixture(scope="module")
def bigger() -> dict[str, Any]:
    return document_of(bigger_app())


def test_router_responses_are_merged_into_its_routes(bigger: dict[str, Any]) -> None:
    read = bigger["paths"]["/items/"]["get"]["responses"]
    assert read["404"] == {"description": "Not found"}
    update = bigger["paths"]["/items/{item_id}"]["put"]
    assert update["responses"]["403"] == {"description": "Forbidden"}
    assert update["responses"]["404"] == {"description": "Not found"}
    assert update["tags"] == ["items", "custom"]
    # The route's own entry for a status wins over the router's.
    old = bigger["paths"]["/items/old"]["get"]["responses"]
    assert old["404"] == {"description": "Gone for good"}


def test_include_router_options(bigger: dict[str, Any]) -> None:
    admin = bigger["paths"]["/admin/"]["post"]
    assert admin["deprecated"] is True
    assert admin["responses"]["418"] == {"description": "I'm a teapot"}
    assert admin["tags"] == ["admin"]


def test_deprecated_router(bigger: dict[str, Any]) -> None:
    assert bigger["paths"]["/legacy/v1"]["get"]["deprecated"] is True
    assert "deprecated" not in bigger["paths"]["/items/"]["get"]


def test_hidden_router_is_served_but_not_documented(bigger: dict[str, Any]) -> None:
    assert "/internal" not in bigger["paths"]
    assert TestClient(bigger_app()).get("/internal").json() == "internal"


def test_router_dependencies_still_guard_the_routes() -> None:
    client = TestClient(bigger_app())
    assert client.get("/items/").status_code == 422
    assert client.get("/items/", headers={"X-Token": "nope"}).status_code == 400
    ok = client.get("/items/", headers={"X-Token": "fake-super-secret-token"})
    assert ok.json() == {"plumbus": {"name": "Plumbus"}}


def test_deprecated_route() -> None:
    app = CovetPy()

    @app.get("/elements/", tags=["items"], deprecated=True)
    async def read_elements() -> list[dict[str, str]]:
        return [{"item_id": "Foo"}]

    assert document_of(app)["paths"]["/elements/"]["get"]["deprecated"] is True


def custom_generate_unique_id(route: Any) -> str:
    return f"{route.tags[0]}-{route.name}"


def test_generate_unique_id_function_on_router_and_route() -> None:
    app = CovetPy()
    users = Router(
        prefix="/users", tags=["users"], generate_unique_id_function=custom_generate_unique_id
    )

    @users.get("/")
    async def read_users() -> list[str]:
        return []

    @users.post("/", operation_id="make_user")
    async def create_user() -> str:
        return ""

    @app.get("/items/", tags=["items"], generate_unique_id_function=custom_generate_unique_id)
    async def read_items() -> list[str]:
        return []

    app.include_router(users)
    paths = document_of(app)["paths"]
    assert paths["/users/"]["get"]["operationId"] == "users-read_users"
    assert paths["/users/"]["post"]["operationId"] == "make_user"  # explicit wins
    assert paths["/items/"]["get"]["operationId"] == "items-read_items"


# -- bugs: the 422 of typed path values, and responses= merged with the route's own --------


class ModelName(str, enum.Enum):  # noqa: UP042 - as FastAPI's tutorial writes it
    alexnet = "alexnet"
    resnet = "resnet"


def test_typed_path_values_document_their_422() -> None:
    app = CovetPy()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/models/{model_name}")
    async def get_model(model_name: ModelName) -> dict[str, str]:
        return {"model_name": model_name.value}

    @app.get("/static/{name}")
    async def static(name: str) -> str:
        return name

    client = TestClient(app)
    assert client.get("/items/foo").status_code == 422
    assert client.get("/models/lenet").status_code == 422
    paths = document_of(app)["paths"]
    assert "422" in paths["/items/{item_id}"]["get"]["responses"]
    assert "422" in paths["/models/{model_name}"]["get"]["responses"]
    assert "422" not in paths["/static/{name}"]["get"]["responses"]  # a str takes any segment


@dataclass
class Item:
    id: str
    value: str


def test_additional_media_type_keeps_the_json_schema() -> None:
    app = CovetPy()

    @app.get(
        "/items/{item_id}",
        response_model=Item,
        responses={
            200: {"content": {"image/png": {}}, "description": "Return the JSON item or an image."}
        },
    )
    async def read_item(item_id: str, img: bool | None = None) -> Any:
        return {"id": "foo", "value": "there goes my hero"}

    ok = document_of(app)["paths"]["/items/{item_id}"]["get"]["responses"]["200"]
    assert ok["description"] == "Return the JSON item or an image."
    assert ok["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}},
        "image/png": {},
    }


def test_additional_response_with_model_and_example() -> None:
    @dataclass
    class Message:
        message: str

    app = CovetPy()

    @app.get(
        "/items/{item_id}",
        response_model=Item,
        responses={
            404: {"model": Message, "description": "The item was not found"},
            200: {
                "description": "Item requested by ID",
                "content": {
                    "application/json": {"example": {"id": "bar", "value": "The bar tenders"}}
                },
            },
        },
    )
    async def read_item(item_id: str) -> Any:
        return {"id": "foo", "value": "there goes my hero"}

    responses = document_of(app)["paths"]["/items/{item_id}"]["get"]["responses"]
    assert responses["200"]["content"]["application/json"] == {
        "schema": {"$ref": "#/components/schemas/Item"},
        "example": {"id": "bar", "value": "The bar tenders"},
    }
    assert responses["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Message"
    }


def test_app_level_responses_deprecated_and_include_in_schema() -> None:
    app = CovetPy(responses={503: {"description": "Down for maintenance"}}, deprecated=True)

    @app.get("/items/", responses={503: {"description": "Items are resting"}})
    async def read_items() -> list[str]:
        return []

    @app.get("/users/")
    async def read_users() -> list[str]:
        return []

    paths = document_of(app)["paths"]
    assert paths["/users/"]["get"]["responses"]["503"] == {"description": "Down for maintenance"}
    assert paths["/items/"]["get"]["responses"]["503"] == {"description": "Items are resting"}
    assert paths["/users/"]["get"]["deprecated"] is True

    hidden = CovetPy(include_in_schema=False)

    @hidden.get("/secret")
    async def secret() -> str:
        return "s"

    assert document_of(hidden)["paths"] == {}
    assert TestClient(hidden).get("/secret").json() == "s"
