"""`response_class=` and `default_response_class=` as in FastAPI's "Custom Response" docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from openapi_spec_validator import validate

from covet import CovetPy, Router
from covet.exceptions import ConfigurationError
from covet.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from covet.testing import TestClient


class IndentedJSONResponse(Response):
    """A custom class as FastAPI's docs write one (there with orjson's OPT_INDENT_2)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, indent=2).encode("utf-8")


@dataclass
class Item:
    name: str


@dataclass
class StoredItem:
    name: str
    secret: str


HTML = "<html><head><title>Some HTML</title></head><body><h1>Look ma! HTML!</h1></body></html>"


def custom_app() -> CovetPy:
    app = CovetPy()

    @app.get("/items/", response_class=HTMLResponse)
    async def read_items() -> str:
        return HTML

    @app.get("/text", response_class=PlainTextResponse)
    async def main() -> str:
        return "Hello World"

    @app.get("/typer")
    async def redirect_typer() -> RedirectResponse:
        return RedirectResponse("https://typer.tiangolo.com")

    @app.get("/fastapi", response_class=RedirectResponse)
    async def redirect_fastapi() -> str:
        return "https://fastapi.tiangolo.com"

    @app.get("/pydantic", response_class=RedirectResponse, status_code=302)
    async def redirect_pydantic() -> str:
        return "https://docs.pydantic.dev/"

    @app.get("/indented", response_class=IndentedJSONResponse)
    async def indented() -> dict[str, Any]:
        return {"message": "Hello World"}

    @app.get("/filtered", response_class=IndentedJSONResponse, response_model=Item)
    async def filtered() -> Any:
        return StoredItem(name="pen", secret="hidden")

    @app.get("/legacy", response_class=HTMLResponse)
    async def legacy() -> Response:
        # A returned Response is sent as it is, whatever response_class says.
        return PlainTextResponse("plain", status_code=202)

    @app.post("/created", response_class=HTMLResponse, status_code=201)
    async def created(response: Response) -> str:
        response.headers["X-Made"] = "yes"
        return "<p>made</p>"

    @app.post("/accepted", response_class=HTMLResponse)
    async def accepted(response: Response) -> str:
        response.status_code = 202
        return "<p>later</p>"

    return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(custom_app(), follow_redirects=False)


def test_html_response_class(client: TestClient) -> None:
    response = client.get("/items/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == HTML


def test_plain_text_response_class(client: TestClient) -> None:
    response = client.get("/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Hello World"


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/typer", 307, "https://typer.tiangolo.com"),
        ("/fastapi", 307, "https://fastapi.tiangolo.com"),
        ("/pydantic", 302, "https://docs.pydantic.dev/"),
    ],
    ids=["returned", "response-class", "response-class-with-status"],
)
def test_redirect_response_class(client: TestClient, path: str, status: int, location: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["location"] == location


def test_custom_json_class_renders_the_result(client: TestClient) -> None:
    response = client.get("/indented")
    assert response.headers["content-type"] == "application/json"
    assert response.text == '{\n  "message": "Hello World"\n}'


def test_response_model_filters_before_the_class_renders(client: TestClient) -> None:
    assert client.get("/filtered").text == '{\n  "name": "pen"\n}'


def test_a_returned_response_wins_over_response_class(client: TestClient) -> None:
    response = client.get("/legacy")
    assert response.status_code == 202
    assert response.text == "plain"


def test_route_status_and_response_parameter_apply(client: TestClient) -> None:
    created = client.post("/created")
    assert (created.status_code, created.headers["x-made"], created.text) == (
        201,
        "yes",
        "<p>made</p>",
    )
    accepted = client.post("/accepted")
    assert accepted.status_code == 202
    assert accepted.headers["content-type"] == "text/html; charset=utf-8"


def test_head_keeps_the_length_of_the_class_body(client: TestClient) -> None:
    head = client.head("/items/")
    assert head.content == b""
    assert head.headers["content-length"] == str(len(HTML))


def test_openapi_documents_the_class_media_type(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    paths = document["paths"]
    html = paths["/items/"]["get"]["responses"]["200"]["content"]
    assert html == {"text/html": {"schema": {"type": "string"}}}
    text = paths["/text"]["get"]["responses"]["200"]["content"]
    assert text == {"text/plain": {"schema": {"type": "string"}}}
    filtered = paths["/filtered"]["get"]["responses"]["200"]["content"]
    assert filtered == {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}
    assert "content" not in paths["/fastapi"]["get"]["responses"]["307"]
    assert "content" not in paths["/pydantic"]["get"]["responses"]["302"]
    assert "201" in paths["/created"]["post"]["responses"]


# -- default_response_class on the app, routers and include_router -------------------------


def layered_app() -> CovetPy:
    app = CovetPy(default_response_class=IndentedJSONResponse)

    @app.get("/items/")
    async def read_items() -> list[dict[str, str]]:
        return [{"item_id": "Foo"}]

    @app.get("/own", response_class=PlainTextResponse)
    async def own() -> str:
        return "own"

    pages = Router(prefix="/pages", default_response_class=HTMLResponse)

    @pages.get("/home")
    async def home() -> str:
        return "<h1>home</h1>"

    @pages.get("/data", response_class=JSONResponse)
    async def data() -> dict[str, int]:
        return {"a": 1}

    plain = Router()

    @plain.get("/note")
    async def note() -> str:
        return "note"

    @plain.get("/json")
    async def as_json() -> dict[str, int]:
        return {"b": 2}

    app.include_router(pages)
    app.include_router(plain, prefix="/plain", default_response_class=PlainTextResponse)
    return app


@pytest.fixture(scope="module")
def layered() -> TestClient:
    return TestClient(layered_app())


@pytest.mark.parametrize(
    ("path", "content_type", "text"),
    [
        ("/items/", "application/json", '[\n  {\n    "item_id": "Foo"\n  }\n]'),
        ("/own", "text/plain; charset=utf-8", "own"),
        ("/pages/home", "text/html; charset=utf-8", "<h1>home</h1>"),
        ("/pages/data", "application/json", '{"a":1}'),
        ("/plain/note", "text/plain; charset=utf-8", "note"),
    ],
    ids=["app-default", "route-over-app", "router-default", "route-over-router", "include-default"],
)
def test_the_nearest_response_class_wins(
    layered: TestClient, path: str, content_type: str, text: str
) -> None:
    response = layered.get(path)
    assert response.headers["content-type"] == content_type
    assert response.text == text


def test_include_default_documented(layered: TestClient) -> None:
    document = layered.get("/openapi.json").json()
    validate(document)
    responses = document["paths"]["/plain/json"]["get"]["responses"]["200"]
    assert list(responses["content"]) == ["text/plain"]
    home = document["paths"]["/pages/home"]["get"]["responses"]["200"]
    assert list(home["content"]) == ["text/html"]


@pytest.mark.parametrize("bad", [dict, "HTMLResponse", HTMLResponse("x")], ids=repr)
def test_response_class_must_be_a_response_subclass(bad: Any) -> None:
    app = CovetPy()
    with pytest.raises(ConfigurationError, match="response_class"):
        app.get("/", response_class=bad)
    with pytest.raises(ConfigurationError, match="default_response_class"):
        Router(default_response_class=bad)


# -- "Response Status Code": 204 and HEAD carry no body --------------------------------------


def test_no_content_status_as_fastapi_users_write_it() -> None:
    from covet import status

    app = CovetPy()
    items = {"foo": "The Foo Wrestlers"}

    @app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_item(item_id: str) -> None:
        items.pop(item_id, None)

    @app.delete("/legacy/{item_id}", status_code=204)
    async def delete_legacy(item_id: str) -> dict[str, str]:
        return {"deleted": item_id}  # dropped: a 204 has no content

    client = TestClient(app)
    for path in ("/items/foo", "/legacy/foo"):
        response = client.delete(path)
        assert response.status_code == 204
        assert response.content == b""
        assert "content-length" not in response.headers
        assert "content-type" not in response.headers
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["paths"]["/legacy/{item_id}"]["delete"]["responses"]["204"] == {
        "description": "Successful Response"
    }
