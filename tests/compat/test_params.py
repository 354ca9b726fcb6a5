"""Parameter markers written as FastAPI's tutorial writes them (``Query(...)``, ``= ...``)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate

from covet import Body, Cookie, CovetPy, File, Form, Header, Path, Query, UploadFile
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
