import dataclasses
import datetime
import decimal
import enum
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, Required, TypedDict

import pytest
from openapi_spec_validator import validate

from covet import CovetPy, Depends, File, Form, Header, HTTPException, Query, UploadFile
from covet.exceptions import ConfigurationError
from covet.openapi import SchemaRegistry, openapi_document, openapi_path
from covet.responses import JSONResponse
from covet.testing import TestClient
from covet.validation import Constraints
from tests.support.optional import require


@dataclass
class ItemIn:
    name: str
    price: float
    tags: list[str]
    in_stock: bool = True


@dataclass
class Item:
    id: int


OtherItem = dataclasses.make_dataclass("Item", [("label", str)])
OtherItem.__module__ = "shop.other"


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(TypedDict):
    x: int
    y: int


@dataclass
class Node:
    value: int
    children: list["Node"] = dataclasses.field(default_factory=list)


async def current_user(x_token: Annotated[str, Header()]) -> str:
    if x_token != "secret":
        raise HTTPException(401, "bad token")
    return "ann"


def shop() -> CovetPy:
    app = CovetPy()

    @app.post("/items", status_code=201, tags=["items"])
    async def create_item(
        item: ItemIn,
        user: Annotated[str, Depends(current_user)],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> ItemIn:
        """Create an item.

        Stores it for later.
        """
        return item

    return app


def test_issue_example_operation() -> None:
    doc = openapi_document(shop(), title="Shop", version="1.0")
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Shop", "version": "1.0"}
    operation = doc["paths"]["/items"]["post"]
    assert operation["operationId"] == "create_item"
    assert operation["summary"] == "Create an item."
    assert operation["description"] == "Stores it for later."
    assert operation["tags"] == ["items"]
    parameters = {(p["in"], p["name"]): p for p in operation["parameters"]}
    assert parameters["header", "x-token"]["required"] is True
    limit = parameters["query", "limit"]
    assert limit["required"] is False
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    body = operation["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ItemIn"}
    item_in = doc["components"]["schemas"]["ItemIn"]
    assert item_in["required"] == ["name", "price", "tags"]
    assert item_in["properties"]["in_stock"] == {"type": "boolean", "default": True}
    assert item_in["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/ItemIn"}
    problem = operation["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/ValidationProblem"}
    assert "errors" in doc["components"]["schemas"]["ValidationProblem"]["properties"]


def test_two_classes_with_one_name_get_two_components() -> None:
    app = CovetPy()

    @app.get("/a")
    async def read_a() -> Item:
        return Item(1)

    @app.get("/b")
    async def read_b() -> OtherItem:  # type: ignore[valid-type]
        return OtherItem("x")

    @app.get("/c")
    async def read_c() -> list[Item]:
        return []

    doc = openapi_document(app)
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert set(schemas) == {"Item", "shop_other__Item"}
    assert schemas["Item"]["properties"] == {"id": {"type": "integer"}}
    assert schemas["shop_other__Item"]["properties"] == {"label": {"type": "string"}}
    c = doc["paths"]["/c"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert c == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    assert "422" not in doc["paths"]["/a"]["get"]["responses"]


def test_path_parameters_from_convertors_and_annotations() -> None:
    app = CovetPy()

    @app.get("/users/{user_id:int}/files/{rest:path}")
    async def user_file(user_id: int, rest: str) -> dict[str, Any]:
        return {}

    @app.get("/things/{thing_id}")
    async def thing(thing_id: uuid.UUID) -> JSONResponse:
        return JSONResponse({})

    @app.get("/orders/{order_id:uuid}", deprecated=True, include_in_schema=True)
    async def order(order_id: uuid.UUID) -> None:
        pass

    @app.get("/hidden", include_in_schema=False)
    async def hidden() -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    assert set(doc["paths"]) == {
        "/users/{user_id}/files/{rest}",
        "/things/{thing_id}",
        "/orders/{order_id}",
    }
    user = doc["paths"]["/users/{user_id}/files/{rest}"]["get"]
    assert [(p["name"], p["schema"]["type"]) for p in user["parameters"]] == [
        ("user_id", "integer"),
        ("rest", "string"),
    ]
    assert user["responses"]["200"]["content"]["application/json"]["schema"] == {"type": "object"}
    thing_op = doc["paths"]["/things/{thing_id}"]["get"]
    assert thing_op["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}
    assert "content" not in thing_op["responses"]["200"]
    order_op = doc["paths"]["/orders/{order_id}"]["get"]
    assert order_op["deprecated"] is True
    assert order_op["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}


def test_form_and_file_request_bodies() -> None:
    app = CovetPy()

    @app.post("/login")
    async def login(username: Annotated[str, Form()], password: Annotated[str, Form()]) -> None:
        pass

    @app.post("/upload")
    async def upload(
        title: Annotated[str, Form()],
        document: Annotated[UploadFile, File()],
        extras: Annotated[list[bytes], File()] = [],  # noqa: B006
    ) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    login_body = doc["paths"]["/login"]["post"]["requestBody"]["content"]
    assert login_body["application/x-www-form-urlencoded"]["schema"] == {
        "type": "object",
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
        "required": ["username", "password"],
    }
    upload_body = doc["paths"]["/upload"]["post"]["requestBody"]["content"]
    schema = upload_body["multipart/form-data"]["schema"]
    assert schema["properties"]["document"] == {"type": "string", "format": "binary"}
    assert schema["properties"]["extras"] == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
    }
    assert schema["required"] == ["title", "document"]


def test_several_body_parameters_embed_by_name() -> None:
    app = CovetPy()

    @app.put("/items/{item_id:int}")
    async def update(item_id: int, item: ItemIn, note: Point) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    body = doc["paths"]["/items/{item_id}"]["put"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {
        "type": "object",
        "properties": {
            "item": {"$ref": "#/components/schemas/ItemIn"},
            "note": {"$ref": "#/components/schemas/Point"},
        },
        "required": ["item", "note"],
    }
    assert doc["components"]["schemas"]["Point"]["required"] == ["x", "y"]


def test_operation_ids_are_unique_and_extra_responses_merge() -> None:
    app = CovetPy()

    @app.route("/a", methods=["GET", "POST"], responses={404: {"description": "Missing"}})
    async def handle() -> None:
        """Handle it."""

    @app.route("/b", methods=["GET"], summary="Custom", responses={409: {"model": Item}})
    async def handle_b(q: str | None = None) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    a = doc["paths"]["/a"]
    assert {a["get"]["operationId"], a["post"]["operationId"]} == {"handle", "handle_post"}
    assert a["get"]["responses"]["404"] == {"description": "Missing"}
    b = doc["paths"]["/b"]["get"]
    assert b["summary"] == "Custom"
    assert b["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }
    q = b["parameters"][0]
    assert q["schema"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}


def test_query_marker_documentation() -> None:
    app = CovetPy()

    @app.get("/search")
    async def search(
        q: Annotated[
            str,
            Query(description="Words", examples=["shoes"], deprecated=True, min_length=2),
        ],
    ) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    (param,) = doc["paths"]["/search"]["get"]["parameters"]
    assert param["description"] == "Words"
    assert param["deprecated"] is True
    assert param["schema"]["minLength"] == 2
    assert param["schema"]["examples"] == ["shoes"]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, {"type": "string"}),
        (bool, {"type": "boolean"}),
        (
            decimal.Decimal,
            {
                "anyOf": [
                    {"type": "number"},
                    {
                        "type": "string",
                        "pattern": r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
                    },
                ]
            },
        ),
        (datetime.datetime, {"type": "string", "format": "date-time"}),
        (datetime.timedelta, {"type": "string", "format": "duration"}),
        (Any, {}),
        (Color, {"title": "Color", "enum": ["red", "blue"], "type": "string"}),
        (Literal["a"], {"const": "a"}),
        (Literal["a", 1], {"enum": ["a", 1]}),
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        (set[int], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (
            tuple[int, str],
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (
            Annotated[float, Constraints(gt=0, multiple_of=0.5)],
            {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        ),
        (
            Annotated[str, Constraints(max_length=3, pattern="^a")],
            {"type": "string", "maxLength": 3, "pattern": "^a"},
        ),
        (
            Annotated[list[int], Constraints(min_length=1)],
            {"type": "array", "items": {"type": "integer"}, "minItems": 1},
        ),
    ],
    ids=lambda value: str(value),
)
def test_schema_of_annotation(annotation: Any, expected: dict[str, Any]) -> None:
    assert SchemaRegistry().schema(annotation) == expected


def test_recursive_dataclass_is_one_component() -> None:
    registry = SchemaRegistry()
    assert registry.schema(Node) == {"$ref": "#/components/schemas/Node"}
    node = registry.components["Node"]
    assert node["required"] == ["value"]
    assert node["properties"]["children"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Node"},
    }


def test_pydantic_models_merge_their_definitions() -> None:
    pydantic = require("pydantic")

    class Tag(pydantic.BaseModel):
        label: str

    class Post(pydantic.BaseModel):
        title: str
        tags: list[Tag]

    registry = SchemaRegistry()
    assert registry.schema(Post) == {"$ref": "#/components/schemas/Post"}
    assert registry.components["Post"]["properties"]["tags"]["items"] == {
        "$ref": "#/components/schemas/Tag"
    }
    assert registry.components["Tag"]["required"] == ["label"]


def test_fastapi_error_format_documents_detail() -> None:
    app = CovetPy(error_format="fastapi")

    @app.get("/q")
    async def q(n: int) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    # As FastAPI documents it, and as the error middleware sends it (plain JSON).
    problem = doc["paths"]["/q"]["get"]["responses"]["422"]["content"]["application/json"]
    assert problem["schema"] == {"$ref": "#/components/schemas/HTTPValidationError"}
    assert "detail" in doc["components"]["schemas"]["HTTPValidationError"]["properties"]


def test_openapi_path() -> None:
    assert openapi_path("/a/{b:int}/{c}") == "/a/{b}/{c}"


def test_app_openapi_is_cached_until_routes_change() -> None:
    app = CovetPy(title="Shop", version="2.0")

    @app.get("/a")
    async def read_a() -> None:
        pass

    first = app.openapi()
    assert first["info"] == {"title": "Shop", "version": "2.0"}
    assert app.openapi() is first

    @app.get("/b")
    async def read_b() -> None:
        pass

    second = app.openapi()
    assert second is not first
    assert set(second["paths"]) == {"/a", "/b"}


def test_document_is_served_at_openapi_url_and_can_be_turned_off() -> None:
    from covet import CovetPy
    from covet.testing import TestClient

    app = CovetPy(title="Shop", version="2.0")

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    served = TestClient(app).get("/openapi.json")
    assert served.status_code == 200
    document = served.json()
    assert document["info"] == {"title": "Shop", "version": "2.0"}
    assert list(document["paths"]) == ["/ping"]
    assert [route.path for route in app.routes] == ["/ping"]

    hidden = CovetPy(openapi_url=None)

    @hidden.get("/ping")
    async def ping_hidden() -> str:
        return "pong"

    assert TestClient(hidden).get("/openapi.json").status_code == 404


def test_extra_response_model_keeps_the_other_media_types_of_its_content() -> None:
    # Found by schemathesis on examples/app.py: a 404 that is either the app's JSON body or the
    # router's problem document lost its problem+json entry when ``model`` was given as well.
    app = CovetPy()
    problem = {"schema": {"type": "object"}}

    @app.get(
        "/items/{item_id:int}",
        responses={
            404: {
                "description": "Missing",
                "model": Item,
                "content": {
                    "application/problem+json": problem,
                    "application/json": {"example": {"id": 1}},
                },
            }
        },
    )
    async def get_item(item_id: int) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    missing = doc["paths"]["/items/{item_id}"]["get"]["responses"]["404"]
    assert missing == {
        "description": "Missing",
        "content": {
            "application/json": {
                "example": {"id": 1},
                "schema": {"$ref": "#/components/schemas/Item"},
            },
            "application/problem+json": problem,
        },
    }


REF = "#/components/schemas/"


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema["$ref"]
    assert ref.startswith(REF)
    resolved: dict[str, Any] = doc["components"]["schemas"][ref.removeprefix(REF)]
    return resolved


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def msgspec_shop() -> CovetPy:
    msgspec = require("msgspec")

    class Tag(msgspec.Struct):
        label: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]

    class Product(msgspec.Struct):
        """A product on sale."""

        name: str
        price: Annotated[float, msgspec.Meta(gt=0)]
        tags: list[Tag]
        stock: int = 0

    class Receipt(msgspec.Struct):
        product: Product
        total: float

    app = CovetPy()

    @app.post("/products", status_code=201)
    async def create_product(product: Product) -> Receipt:
        return Receipt(product=product, total=product.price)

    return app


def test_msgspec_structs_get_components_from_msgspec() -> None:
    doc = openapi_document(msgspec_shop())
    validate(doc)
    operation = doc["paths"]["/products"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Product"}
    response = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/Receipt"}
    schemas = doc["components"]["schemas"]
    assert {"Product", "Receipt", "Tag"} <= set(schemas)
    product = _resolve(doc, body)
    assert product["description"] == "A product on sale."
    assert product["required"] == ["name", "price", "tags"]
    assert product["properties"]["price"] == {"type": "number", "exclusiveMinimum": 0}
    assert product["properties"]["stock"] == {"type": "integer", "default": 0}
    assert product["properties"]["tags"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Tag"},
    }
    receipt = _resolve(doc, response)
    assert receipt["required"] == ["product", "total"]
    assert receipt["properties"]["product"] == {"$ref": "#/components/schemas/Product"}
    assert schemas["Tag"]["properties"]["label"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 20,
    }
    for ref in _refs(doc):
        assert _resolve(doc, {"$ref": ref})


def test_msgspec_struct_body_works_end_to_end() -> None:
    from covet.testing import TestClient

    client = TestClient(msgspec_shop())
    good = {"name": "pen", "price": 2.5, "tags": [{"label": "office"}]}
    created = client.post("/products", json=good)
    assert created.status_code == 201
    assert created.json() == {"product": {**good, "stock": 0}, "total": 2.5}
    bad = client.post("/products", json={"name": "pen", "price": 0, "tags": []})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][-1] == "price"


def test_msgspec_structs_with_one_name_get_two_components() -> None:
    msgspec = require("msgspec")

    class Item(msgspec.Struct):
        id: int

    OtherStructItem = msgspec.defstruct("Item", [("label", str)], module="shop.other")

    class Both(msgspec.Struct):
        mine: Item
        theirs: OtherStructItem  # type: ignore[valid-type]

    class Again(msgspec.Struct):
        theirs: OtherStructItem  # type: ignore[valid-type]
        mine: list[Item]

    app = CovetPy()

    @app.post("/both")
    async def both(body: Both) -> Again:
        return Again(theirs=body.theirs, mine=[body.mine])

    @app.get("/dataclass")
    async def dataclass_item() -> OtherItem:  # type: ignore[valid-type]
        return OtherItem("x")

    doc = openapi_document(app)
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert {"Item", "shop_other__Item", "shop_other__Item_2", "Both", "Again"} <= set(schemas)
    both_schema = schemas["Both"]["properties"]
    assert both_schema["mine"] == {"$ref": "#/components/schemas/Item"}
    assert both_schema["theirs"] == {"$ref": "#/components/schemas/shop_other__Item"}
    again = schemas["Again"]["properties"]
    assert again["theirs"] == both_schema["theirs"]
    assert again["mine"]["items"] == both_schema["mine"]
    assert schemas["Item"]["properties"] == {"id": {"type": "integer"}}
    assert schemas["shop_other__Item"]["properties"] == {"label": {"type": "string"}}
    dataclass_ref = doc["paths"]["/dataclass"]["get"]["responses"]["200"]["content"]
    assert dataclass_ref["application/json"]["schema"] == {
        "$ref": "#/components/schemas/shop_other__Item_2"
    }
    for ref in _refs(doc):
        assert _resolve(doc, {"$ref": ref})


def test_msgspec_struct_refers_to_registry_components() -> None:
    msgspec = require("msgspec")
    pydantic = require("pydantic")

    class Owner(pydantic.BaseModel):
        name: str

    class A(msgspec.Struct, tag=True):
        a: int

    class B(msgspec.Struct, tag=True):
        b: int

    class Box(msgspec.Struct):
        owner: Owner
        point: Point
        color: Color
        content: A | B
        pair: tuple[int, bytes] = (1, b"")

    registry = SchemaRegistry()
    assert registry.schema(Point) == {"$ref": "#/components/schemas/Point"}
    assert registry.schema(Box) == {"$ref": "#/components/schemas/Box"}
    box = registry.components["Box"]["properties"]
    assert box["owner"] == {"$ref": "#/components/schemas/Owner"}
    assert box["point"] == {"$ref": "#/components/schemas/Point"}
    assert box["content"]["discriminator"]["mapping"] == {
        "A": "#/components/schemas/A",
        "B": "#/components/schemas/B",
    }
    assert registry.components["Owner"]["required"] == ["name"]
    assert registry.components["Color"]["enum"] == ["blue", "red"]
    assert registry.components["A"]["required"] == ["type", "a"]
    assert box["pair"]["items"] is False
    assert box["pair"]["default"] == [1, ""]
    for ref in _refs(registry.components):
        assert ref.removeprefix(REF) in registry.components
    info = {"title": "Boxes", "version": "1"}
    validate(
        {
            "openapi": "3.1.0",
            "info": info,
            "paths": {},
            "components": {"schemas": {**registry.components}},
        }
    )


# -- pydantic's nested definitions go through the collision-safe names -------------------------


def _pydantic_shop(module: str, field: str, color: str) -> tuple[type, type]:
    """An enum ``Color`` and a model ``Item`` using it, as if defined in ``module``."""
    pydantic = require("pydantic")
    color_enum = enum.Enum("Color", {color: color}, module=module)  # type: ignore[misc]
    item = pydantic.create_model(
        "Item", __module__=module, **{field: (int, ...), "color": color_enum}
    )
    return color_enum, item


def test_same_named_pydantic_nested_classes_from_two_modules_stay_apart() -> None:
    _, item_a = _pydantic_shop("shop.a", "name", "red")
    _, item_b = _pydantic_shop("shop.b", "qty", "green")
    app = CovetPy()

    @app.post("/a")
    async def a(x: item_a) -> None:  # type: ignore[valid-type]
        pass

    @app.post("/b")
    async def b(x: item_b) -> None:  # type: ignore[valid-type]
        pass

    doc = openapi_document(app)
    validate(doc)
    schemas = doc["components"]["schemas"]
    body_a = doc["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body_b = doc["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body_a == {"$ref": REF + "Item"}
    assert body_b == {"$ref": REF + "shop_b__Item"}
    assert _resolve(doc, schemas["Item"]["properties"]["color"])["enum"] == ["red"]
    assert _resolve(doc, schemas["shop_b__Item"]["properties"]["color"])["enum"] == ["green"]
    assert "qty" in schemas["shop_b__Item"]["properties"]
    for ref in _refs(doc):
        assert ref.removeprefix(REF) in schemas


def test_same_named_pydantic_classes_nested_in_one_model() -> None:
    pydantic = require("pydantic")
    _, item_a = _pydantic_shop("shop.a", "name", "red")
    _, item_b = _pydantic_shop("shop.b", "qty", "green")
    both = pydantic.create_model("Both", a=(item_a, ...), b=(list[item_b], ...))  # type: ignore[valid-type]
    registry = SchemaRegistry()
    assert registry.schema(both) == {"$ref": REF + "Both"}
    properties = registry.components["Both"]["properties"]
    a = registry.components[properties["a"]["$ref"].removeprefix(REF)]
    b = registry.components[properties["b"]["items"]["$ref"].removeprefix(REF)]
    assert set(a["properties"]) == {"name", "color"}
    assert set(b["properties"]) == {"qty", "color"}
    colors = [
        registry.components[s["properties"]["color"]["$ref"].removeprefix(REF)] for s in (a, b)
    ]
    assert [c["enum"] for c in colors] == [["red"], ["green"]]
    assert {"Both", "Item", "Color", "shop_b__Item", "shop_b__Color"} == set(registry.components)


@pytest.mark.parametrize(
    "dataclass_first", [True, False], ids=["dataclass-first", "pydantic-first"]
)
def test_a_dataclass_and_a_nested_pydantic_model_sharing_a_name(dataclass_first: bool) -> None:
    pydantic = require("pydantic")
    _, item = _pydantic_shop("shop.c", "qty", "blue")
    order = pydantic.create_model("Order", item=(item, ...))  # type: ignore[valid-type]
    registry = SchemaRegistry()
    if dataclass_first:
        registry.schema(Item)
    registry.schema(order)
    if not dataclass_first:
        registry.schema(Item)
    dataclass_item = registry.components[registry.name_of(Item)]
    pydantic_item = registry.components[registry.name_of(item)]
    assert registry.name_of(Item) != registry.name_of(item)
    assert set(dataclass_item["properties"]) == {"id"}
    assert set(pydantic_item["properties"]) == {"qty", "color"}
    ref = registry.components["Order"]["properties"]["item"]
    assert ref == {"$ref": REF + registry.name_of(item)}


def test_recursive_pydantic_model_and_a_shared_nested_dataclass() -> None:
    pydantic = require("pydantic")

    class Node(pydantic.BaseModel):
        point: ItemIn
        children: list["Node"]

    registry = SchemaRegistry()
    assert registry.schema(ItemIn) == {"$ref": REF + "ItemIn"}
    assert registry.schema(Node) == {"$ref": REF + "Node"}
    node = registry.components["Node"]
    assert node["type"] == "object"
    assert node["properties"]["children"]["items"] == {"$ref": REF + "Node"}
    assert node["properties"]["point"] == {"$ref": REF + "ItemIn"}
    assert set(registry.components) == {"ItemIn", "Node"}


# -- the 422 answer is documented as it is sent --------------------------------------------


@pytest.mark.parametrize(
    ("error_format", "media", "name"),
    [
        ("problem", "application/problem+json", "ValidationProblem"),
        ("fastapi", "application/json", "HTTPValidationError"),
    ],
    ids=["problem", "fastapi"],
)
def test_validation_error_is_documented_as_sent(error_format: Any, media: str, name: str) -> None:
    from covet.testing import TestClient

    app = CovetPy(error_format=error_format)

    @app.get("/q")
    async def q(n: int) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    documented = doc["paths"]["/q"]["get"]["responses"]["422"]["content"]
    response = TestClient(app).get("/q?n=x")
    assert response.status_code == 422
    assert list(documented) == [response.headers["content-type"].split(";")[0]] == [media]
    assert documented[media]["schema"] == {"$ref": REF + name}
    problem = doc["components"]["schemas"][name]
    assert set(response.json()) <= set(problem["properties"])
    if error_format == "fastapi":
        assert problem["properties"]["detail"]["items"] == {"$ref": REF + "ValidationError"}
        issue = doc["components"]["schemas"]["ValidationError"]
        sent = set(response.json()["detail"][0])
        assert set(issue["required"]) <= sent <= set(issue["properties"])


def test_fastapi_error_schema_names_do_not_take_a_user_class_name() -> None:
    validation_error = dataclasses.make_dataclass("ValidationError", [("field", str)])
    app = CovetPy(error_format="fastapi")

    @app.post("/e")
    async def e(body: validation_error) -> None:  # type: ignore[valid-type]
        pass

    doc = openapi_document(app)
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert schemas["ValidationError"]["properties"] == {"field": {"type": "string"}}
    issues = schemas["HTTPValidationError"]["properties"]["detail"]["items"]["$ref"]
    assert issues != REF + "ValidationError"
    assert set(schemas[issues.removeprefix(REF)]["required"]) == {"loc", "msg", "type"}


# -- Body / Form / File metadata --------------------------------------------------------------


def test_body_form_and_file_markers_document_their_metadata() -> None:
    from covet import Body

    app = CovetPy()

    @app.post("/b")
    async def b(item: Annotated[Item, Body(description="The item", examples=[{"id": 1}])]) -> None:
        pass

    @app.post("/e")
    async def e(
        item: Annotated[Item, Body(embed=True, description="Emb", examples=[{"id": 2}])],
        note: Annotated[str, Body(embed=True, deprecated=True)] = "",
    ) -> None:
        pass

    @app.post("/f")
    async def f(
        up: Annotated[UploadFile, File(description="The file")],
        ups: Annotated[list[UploadFile], File(description="More files")],
        n: Annotated[str, Form(examples=["x"], deprecated=True)],
    ) -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    whole = doc["paths"]["/b"]["post"]["requestBody"]
    assert whole["description"] == "The item"
    assert whole["content"]["application/json"]["schema"]["examples"] == [{"id": 1}]
    embedded = doc["paths"]["/e"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert embedded["properties"]["item"] == {
        "$ref": REF + "Item",
        "description": "Emb",
        "examples": [{"id": 2}],
    }
    assert embedded["properties"]["note"]["deprecated"] is True
    assert "description" not in doc["paths"]["/e"]["post"]["requestBody"]
    form = doc["paths"]["/f"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["up"] == {
        "type": "string",
        "format": "binary",
        "description": "The file",
    }
    assert form["properties"]["ups"]["description"] == "More files"
    assert form["properties"]["n"] == {"type": "string", "examples": ["x"], "deprecated": True}


# -- operation_id and response_description ------------------------------------------------------


def test_operation_id_option_overrides_the_generated_one_and_stays_unique() -> None:
    app = CovetPy()

    @app.get("/a")
    async def custom() -> None:  # generated "custom" would clash with the explicit one below
        pass

    @app.get("/b", operation_id="custom")
    async def b() -> None:
        pass

    @app.route("/c", methods=["GET", "POST"], operation_id="shared")
    async def c() -> None:
        pass

    @app.get("/d", operation_id="shared")
    async def d() -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    ids = {
        (path, method): operation["operationId"]
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }
    assert ids[("/b", "get")] == "custom"
    assert ids[("/a", "get")] != "custom"
    assert ids[("/c", "get")] == "shared"
    assert ids[("/c", "post")] == "shared_post"
    assert ids[("/d", "get")] == "shared_get"
    assert len(set(ids.values())) == len(ids)


def test_response_description_option_describes_the_success_response() -> None:
    app = CovetPy()

    @app.post("/items", status_code=201, response_description="The created item")
    async def create() -> Item:
        return Item(id=1)

    @app.get("/plain")
    async def plain() -> None:
        pass

    doc = openapi_document(app)
    validate(doc)
    assert doc["paths"]["/items"]["post"]["responses"]["201"]["description"] == "The created item"
    assert doc["paths"]["/plain"]["get"]["responses"]["200"]["description"] == "Successful Response"


# -- servers: the root path an app is served under -------------------------------------------


def _sub_app() -> CovetPy:
    sub = CovetPy(title="Sub")

    @sub.get("/items/{item_id}")
    async def read_item(item_id: int) -> Item:
        return Item(id=item_id)

    return sub


def test_mounted_app_serves_its_prefix_as_server() -> None:
    sub = _sub_app()
    parent = CovetPy()
    parent.mount("/sub", sub)
    client = TestClient(parent)

    served = client.get("/sub/openapi.json").json()
    validate(served)
    assert served["servers"] == [{"url": "/sub"}]
    assert list(served["paths"]) == ["/items/{item_id}"]  # relative to the server
    assert client.get(served["servers"][0]["url"] + "/items/3").json() == {"id": 3}
    # The cached document is not the served variant, before or after serving.
    assert "servers" not in sub.openapi()
    assert client.get("/sub/openapi.json").json() == served
    assert "servers" not in client.get("/openapi.json").json()


def test_root_path_from_the_server_is_the_documents_server() -> None:
    app = _sub_app()
    served = TestClient(app, root_path="/api/v1/").get("/openapi.json").json()
    validate(served)
    assert served["servers"] == [{"url": "/api/v1"}]
    assert "servers" not in TestClient(app).get("/openapi.json").json()
    assert "servers" not in app.openapi()


def test_configured_servers_are_listed_and_win_over_the_root_path() -> None:
    servers = [{"url": "https://api.example.com", "description": "Production"}]
    app = CovetPy(servers=servers)

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    doc = app.openapi()
    validate(doc)
    assert doc["servers"] == servers
    assert TestClient(app, root_path="/prefix").get("/openapi.json").json()["servers"] == servers
    assert openapi_document(app, servers=[{"url": "/other"}])["servers"] == [{"url": "/other"}]


@pytest.mark.parametrize(
    "servers", [["https://api.example.com"], [{"description": "no url"}]], ids=["str", "no-url"]
)
def test_servers_without_a_url_fail_at_startup(servers: Any) -> None:
    with pytest.raises(ConfigurationError, match="servers"):
        CovetPy(servers=servers)


# -- TypedDict Required[...] / NotRequired[...] keys ----------------------------------------------


class Draft(TypedDict, total=False):
    title: Required[str]
    body: str
    tags: Required[list[str]]


class Published(TypedDict):
    title: str
    slug: NotRequired[str]
    views: "NotRequired[int]"  # a string, as under ``from __future__ import annotations``


def test_typeddict_required_and_not_required_keep_their_types() -> None:
    app = CovetPy()

    @app.post("/drafts")
    async def save(draft: Draft) -> Published:
        return {"title": draft["title"]}

    doc = openapi_document(app)
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert schemas["Draft"]["properties"] == {
        "title": {"type": "string"},
        "body": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    }
    assert schemas["Draft"]["required"] == ["title", "tags"]
    assert schemas["Published"]["properties"]["slug"] == {"type": "string"}
    assert schemas["Published"]["properties"]["views"] == {"type": "integer"}
    assert schemas["Published"]["required"] == ["title"]
