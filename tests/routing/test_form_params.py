"""Form and File parameters: urlencoded and multipart fields, uploads, and their 422s."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.forms import UploadFile
from covet.params import File, Form, Query
from covet.testing import TestClient
from covet.validation import Constraints


def forms_app() -> CovetPy:
    app = CovetPy()

    @app.post("/profile")
    async def profile(
        name: Annotated[str, Form(min_length=1)],
        age: Annotated[int, Form(ge=0)] = 18,
        tags: Annotated[list[str] | None, Form()] = None,
        nick: Annotated[str, Form(alias="nickname")] = "anon",
        page: int = Query(1),
    ) -> dict[str, Any]:
        return {"name": name, "age": age, "tags": tags, "nick": nick, "page": page}

    @app.post("/upload")
    async def upload(
        document: Annotated[UploadFile, File()],
        title: Annotated[str, Form()] = "untitled",
    ) -> dict[str, Any]:
        content = await document.read()
        return {
            "filename": document.filename,
            "content_type": document.content_type,
            "size": document.size,
            "content": content.decode(),
            "title": title,
        }

    @app.post("/raw")
    async def raw(data: Annotated[bytes, File(alias="file")]) -> dict[str, Any]:
        return {"length": len(data), "content": data.decode()}

    @app.post("/many")
    async def many(
        files: Annotated[list[UploadFile], File()],
        blobs: Annotated[list[bytes] | None, File()] = None,
    ) -> dict[str, Any]:
        return {
            "names": [upload.filename for upload in files],
            "blobs": None if blobs is None else [blob.decode() for blob in blobs],
        }

    @app.post("/optional")
    async def optional(attachment: Annotated[UploadFile | None, File()] = None) -> str | None:
        return None if attachment is None else attachment.filename

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(forms_app())


def errors(response: Any) -> set[tuple[tuple[Any, ...], str]]:
    return {(tuple(error["loc"]), error["type"]) for error in response.json()["errors"]}


def test_urlencoded_fields_are_bound_and_converted(client: TestClient) -> None:
    response = client.post(
        "/profile?page=2", data={"name": "Ada", "age": "36", "nickname": "countess"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "name": "Ada",
        "age": 36,
        "tags": None,
        "nick": "countess",
        "page": 2,
    }


def test_defaults_apply_when_fields_are_absent(client: TestClient) -> None:
    response = client.post("/profile", data={"name": "Ada"})
    assert response.json() == {"name": "Ada", "age": 18, "tags": None, "nick": "anon", "page": 1}


def test_repeated_fields_fill_a_list(client: TestClient) -> None:
    response = client.post("/profile", data={"name": "Ada", "tags": ["math", "poetry"]})
    assert response.json()["tags"] == ["math", "poetry"]


def test_multipart_text_fields_are_bound(client: TestClient) -> None:
    response = client.post(
        "/profile",
        data={"name": "Ada", "age": "36"},
        files={"ignored": ("notes.txt", b"x", "text/plain")},
    )
    assert response.status_code == 200
    assert response.json()["age"] == 36


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"age": "3"}, {(("form", "name"), "missing")}),
        ({"name": "Ada", "age": "old"}, {(("form", "age"), "int_parsing")}),
        ({"name": "Ada", "age": "-1"}, {(("form", "age"), "greater_than_equal")}),
        ({"name": ""}, {(("form", "name"), "string_too_short")}),
    ],
    ids=["missing", "wrong-type", "too-small", "too-short"],
)
def test_invalid_fields_answer_422_with_locations(
    client: TestClient, data: dict[str, str], expected: set[tuple[tuple[Any, ...], str]]
) -> None:
    response = client.post("/profile", data=data)
    assert response.status_code == 422
    assert errors(response) == expected


def test_upload_file_parameter(client: TestClient) -> None:
    response = client.post(
        "/upload",
        data={"title": "Report"},
        files={"document": ("report.txt", b"hello world", "text/plain")},
    )
    assert response.status_code == 200
    assert response.json() == {
        "filename": "report.txt",
        "content_type": "text/plain",
        "size": 11,
        "content": "hello world",
        "title": "Report",
    }


def test_bytes_parameter_reads_the_whole_file(client: TestClient) -> None:
    response = client.post("/raw", files={"file": ("data.bin", b"abc" * 1000)})
    assert response.status_code == 200
    assert response.json() == {"length": 3000, "content": "abc" * 1000}


def test_list_of_files_collects_every_upload_under_the_key(client: TestClient) -> None:
    response = client.post(
        "/many",
        files=[
            ("files", ("a.txt", b"A")),
            ("files", ("b.txt", b"B")),
            ("blobs", ("c.txt", b"C")),
            ("blobs", ("d.txt", b"D")),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"names": ["a.txt", "b.txt"], "blobs": ["C", "D"]}


def test_optional_file_may_be_left_out(client: TestClient) -> None:
    assert client.post("/optional", files={"other": ("x.txt", b"x")}).json() is None
    assert client.post("/optional", files={"attachment": ("x.txt", b"x")}).json() == "x.txt"


def test_missing_file_is_a_422(client: TestClient) -> None:
    response = client.post("/upload", files={"other": ("x.txt", b"x")})
    assert response.status_code == 422
    assert errors(response) == {(("file", "document"), "missing")}


def test_text_field_where_a_file_is_expected_is_a_422(client: TestClient) -> None:
    response = client.post("/upload", data={"document": "not a file"})
    assert response.status_code == 422
    assert errors(response) == {(("file", "document"), "file_expected")}


def test_text_field_in_a_list_of_files_is_located_by_index(client: TestClient) -> None:
    response = client.post("/many", data={"files": "oops"}, files=[("files", ("a.txt", b"A"))])
    assert response.status_code == 422
    assert errors(response) == {(("file", "files", 0), "file_expected")}


def test_json_request_to_a_form_handler_is_a_415(client: TestClient) -> None:
    response = client.post("/profile", json={"name": "Ada"})
    assert response.status_code == 415


def test_form_is_not_read_when_no_form_parameter_needs_it() -> None:
    app = CovetPy()

    @app.post("/echo")
    async def echo(q: str = Query("x")) -> str:
        return q

    response = TestClient(app).post("/echo", content=b"{}", headers={"content-type": "x/y"})
    assert response.json() == "x"


def test_a_file_parameter_with_an_unsupported_annotation_fails_at_startup() -> None:
    app = CovetPy()

    @app.post("/bad")
    async def bad(upload: Annotated[str, File()]) -> None:
        return None

    with pytest.raises(ConfigurationError, match="File\\(\\) parameter"):
        TestClient(app).post("/bad")


def test_file_size_limits_and_examples() -> None:
    app = CovetPy()

    @app.post("/avatar")
    async def avatar(
        image: Annotated[
            UploadFile,
            File(min_length=2, max_length=4, description="A tiny image", examples=["abc"]),
        ],
        extras: Annotated[list[bytes], File(max_length=3)] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {"size": image.size, "extras": len(extras)}

    client = TestClient(app)
    ok = client.post("/avatar", files={"image": ("a.png", b"abcd")})
    assert ok.json() == {"size": 4, "extras": 0}
    too_big = client.post(
        "/avatar",
        files=[("image", ("a.png", b"abcde")), ("extras", ("x", b"1")), ("extras", ("y", b"1234"))],
    )
    assert too_big.status_code == 422
    assert [(e["loc"], e["type"]) for e in too_big.json()["errors"]] == [
        (["file", "image"], "file_too_large"),
        (["file", "extras", 1], "file_too_large"),
    ]
    too_small = client.post("/avatar", files={"image": ("a.png", b"a")})
    assert too_small.json()["errors"][0]["type"] == "file_too_small"
    schema = app.openapi()["paths"]["/avatar"]["post"]["requestBody"]["content"]
    image = schema["multipart/form-data"]["schema"]["properties"]["image"]
    assert image["description"] == "A tiny image"
    assert image["examples"] == ["abc"]


def test_a_file_takes_no_numeric_bounds() -> None:
    app = CovetPy()

    @app.post("/f")
    async def upload(f: Annotated[UploadFile, File(), Constraints(gt=1)]) -> None:
        return None

    with pytest.raises(ConfigurationError, match="only min_length/max_length"):
        TestClient(app).get("/")
