"""Parameter markers written as FastAPI's tutorial writes them (``Query(...)``, ``= ...``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate

from covet import Body, Cookie, CovetPy, File, Form, Header, Path, Query, UploadFile
from covet.exceptions import ConfigurationError
from covet.testing import TestClient


def required_markers_app() -> CovetPy:
    app = CovetPy(error_format="fastapi")

    # "Query Parameters and String Validations": required with Ellipsis.
    @app.get("/items/")
    async def read_items(q: str = Query(default=..., min_length=3)) -> dict[str, Any]:
        return {"q": q}

    @app.get("/positional/")
    async def positional(q: str = Query(...)) -> dict[str, Any]:
        return {"q": q}

    # "Required, can be None": the Ellipsis is the parameter's default, the marker in Annotated.
    @app.get("/nullable/")
    async def nullable(q: Annotated[str | None, Query(min_length=3)] = ...) -> dict[str, Any]:
        return {"q": q}

    @app.get("/headers/")
    async def headers(x_token: str = Header(...)) -> dict[str, Any]:
        return {"X-Token": x_token}

    @app.get("/cookies/")
    async def cookies(ads_id: str = Cookie(...)) -> dict[str, Any]:
        return {"ads_id": ads_id}

    @app.put("/importance/")
    async def importance(importance: int = Body(..., embed=True)) -> dict[str, Any]:
        return {"importance": importance}

    @app.post("/login/")
    async def login(username: str = Form(...), password: str = Form(...)) -> dict[str, Any]:
        return {"username": username}

    @app.post("/uploadfile/")
    async def upload(file: UploadFile = File(...)) -> dict[str, Any]:
        return {"filename": file.filename}

    @app.get("/things/{item_id}")
    async def thing(item_id: int = Path(...)) -> dict[str, Any]:
        return {"item_id": item_id}

    return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(required_markers_app())


MISSING = [
    pytest.param("get", "/items/", {}, ("query", "q"), id="Query(default=...)"),
    pytest.param("get", "/positional/", {}, ("query", "q"), id="Query(...)"),
    pytest.param("get", "/nullable/", {}, ("query", "q"), id="Annotated = ..."),
    pytest.param("get", "/headers/", {}, ("header", "x-token"), id="Header(...)"),
    pytest.param("get", "/cookies/", {}, ("cookie", "ads_id"), id="Cookie(...)"),
    pytest.param("put", "/importance/", {"json": {}}, ("body", "importance"), id="Body(...)"),
    pytest.param("post", "/login/", {"data": {"username": "ann"}}, ("body", "password"), id="Form"),
    pytest.param("post", "/uploadfile/", {"data": {"x": "1"}}, ("body", "file"), id="File(...)"),
]


@pytest.mark.parametrize(("method", "path", "sent", "loc"), MISSING)
def test_an_ellipsis_default_makes_the_parameter_required(
    client: TestClient, method: str, path: str, sent: dict[str, Any], loc: tuple[str, str]
) -> None:
    response = client.request(method.upper(), path, **sent)
    assert response.status_code == 422, response.text
    issue = response.json()["detail"][0]
    assert issue["type"] == "missing"
    assert tuple(issue["loc"]) == loc


def test_required_parameters_given_are_used(client: TestClient) -> None:
    assert client.get("/items/?q=foo").json() == {"q": "foo"}
    assert client.get("/positional/?q=x").json() == {"q": "x"}
    assert client.get("/nullable/?q=abcd").json() == {"q": "abcd"}
    assert client.get("/headers/", headers={"X-Token": "t"}).json() == {"X-Token": "t"}
    assert client.get("/cookies/", headers={"Cookie": "ads_id=7"}).json() == {"ads_id": "7"}
    assert client.put("/importance/", json={"importance": 5}).json() == {"importance": 5}
    login = client.post("/login/", data={"username": "ann", "password": "pw"})
    assert login.json() == {"username": "ann"}
    upload = client.post("/uploadfile/", files={"file": ("a.txt", b"hi")})
    assert upload.json() == {"filename": "a.txt"}
    assert client.get("/things/3").json() == {"item_id": 3}


def test_required_constraint_still_applies(client: TestClient) -> None:
    response = client.get("/items/?q=ab")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_openapi_marks_ellipsis_parameters_required(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    paths = document["paths"]
    for path in ("/items/", "/positional/", "/nullable/", "/headers/", "/cookies/"):
        (parameter,) = paths[path]["get"]["parameters"]
        assert parameter["required"] is True, path
        assert "default" not in parameter["schema"], path
    for path, method in [("/importance/", "put"), ("/login/", "post"), ("/uploadfile/", "post")]:
        body = paths[path][method]["requestBody"]
        assert body["required"] is True, path
        schema = next(iter(body["content"].values()))["schema"]
        assert schema["required"], path


# -- marker options: title=, include_in_schema=, openapi_examples=, convert_underscores= -----


@dataclass
class Item:
    name: str
    price: float
    description: str | None = None
    tax: float | None = None


ITEM_EXAMPLES = {
    "normal": {
        "summary": "A normal example",
        "description": "A **normal** item works correctly.",
        "value": {"name": "Foo", "description": "A very nice Item", "price": 35.4, "tax": 3.2},
    },
    "converted": {
        "summary": "An example with converted data",
        "description": "FastAPI can convert price `strings` to actual `numbers` automatically",
        "value": {"name": "Bar", "price": "35.4"},
    },
    "invalid": {
        "summary": "Invalid data is rejected with an error",
        "value": {"name": "Baz", "price": "thirty five point four"},
    },
}


def marker_options_app() -> CovetPy:
    app = CovetPy()

    @app.get("/items/")
    async def read_items(
        q: Annotated[str | None, Query(title="Query string", min_length=3)] = None,
        hidden_query: Annotated[str | None, Query(include_in_schema=False)] = None,
        strange_header: Annotated[str | None, Header(convert_underscores=False)] = None,
        x_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        return {"q": q, "hidden_query": hidden_query, "strange": strange_header, "x": x_token}

    @app.put("/items/{item_id}")
    async def update_item(
        item_id: Annotated[int, Path(title="The ID of the item to get")],
        item: Annotated[Item, Body(openapi_examples=ITEM_EXAMPLES)],
    ) -> dict[str, Any]:
        return {"item_id": item_id, "item": item}

    @app.get("/search/")
    async def search(
        q: Annotated[
            str,
            Query(openapi_examples={"short": {"summary": "One word", "value": "pen"}}),
        ],
    ) -> str:
        return q

    @app.post("/note/")
    async def note(
        text: Annotated[str, Body(embed=True, openapi_examples={"hi": {"value": "hello"}})],
        secret: Annotated[str, Body(embed=True, include_in_schema=False)] = "",
    ) -> str:
        return text + secret

    return app


@pytest.fixture(scope="module")
def options_client() -> TestClient:
    return TestClient(marker_options_app())


@pytest.fixture(scope="module")
def options_document(options_client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = options_client.get("/openapi.json").json()
    validate(document)
    return document


def _parameters(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return {p["name"]: p for p in document["paths"][path][method]["parameters"]}


def test_title_goes_into_the_parameter_schema(options_document: dict[str, Any]) -> None:
    query = _parameters(options_document, "/items/", "get")["q"]
    assert query["schema"]["title"] == "Query string"
    path = _parameters(options_document, "/items/{item_id}", "put")["item_id"]
    assert path["schema"] == {"type": "integer", "title": "The ID of the item to get"}


def test_hidden_parameter_is_read_but_not_documented(
    options_client: TestClient, options_document: dict[str, Any]
) -> None:
    assert "hidden_query" not in _parameters(options_document, "/items/", "get")
    response = options_client.get("/items/?hidden_query=found")
    assert response.json()["hidden_query"] == "found"


def test_hidden_body_field_is_read_but_not_documented(
    options_client: TestClient, options_document: dict[str, Any]
) -> None:
    body = options_document["paths"]["/note/"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert list(schema["properties"]) == ["text"]
    assert schema["properties"]["text"]["examples"] == ["hello"]
    response = options_client.post("/note/", json={"text": "a", "secret": "b"})
    assert response.json() == "ab"


def test_header_without_underscore_conversion(
    options_client: TestClient, options_document: dict[str, Any]
) -> None:
    response = options_client.get(
        "/items/", headers={"strange_header": "kept", "strange-header": "other", "X-Token": "t"}
    )
    assert response.json()["strange"] == "kept"
    assert response.json()["x"] == "t"
    names = set(_parameters(options_document, "/items/", "get"))
    assert {"strange_header", "x-token"} <= names


def test_body_openapi_examples_go_on_the_media_type(options_document: dict[str, Any]) -> None:
    body = options_document["paths"]["/items/{item_id}"]["put"]["requestBody"]
    assert body["content"]["application/json"]["examples"] == ITEM_EXAMPLES


def test_parameter_openapi_examples_go_on_the_parameter(options_document: dict[str, Any]) -> None:
    query = _parameters(options_document, "/search/", "get")["q"]
    assert query["examples"] == {"short": {"summary": "One word", "value": "pen"}}


@pytest.mark.parametrize(
    "examples",
    [["pen"], {"a": "pen"}, {"a": {"valeu": 1}}, {"a": {"value": object()}}],
    ids=["list", "not-an-example-object", "typo", "not-json"],
)
def test_bad_openapi_examples_are_refused_where_written(examples: Any) -> None:
    with pytest.raises(ConfigurationError, match="openapi_examples"):
        Query(openapi_examples=examples)


@dataclass
class CommonHeaders:
    x_tag: str


def test_header_model_without_underscore_conversion() -> None:
    app = CovetPy()

    @app.get("/tags/")
    async def tags(headers: Annotated[CommonHeaders, Header(convert_underscores=False)]) -> str:
        return headers.x_tag

    client = TestClient(app)
    assert client.get("/tags/", headers={"x_tag": "raw"}).json() == "raw"
    assert client.get("/tags/", headers={"x-tag": "dash"}).status_code == 422
