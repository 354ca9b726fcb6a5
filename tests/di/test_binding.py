"""Binding plans checked at start-up: missing optional extras."""

from __future__ import annotations

import sys

import pytest

from covet import CovetPy, File, Form, UploadFile
from covet.exceptions import MissingDependencyError
from covet.testing import TestClient


@pytest.fixture
def without_multipart(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes ``import python_multipart`` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "python_multipart", None)


@pytest.mark.usefixtures("without_multipart")
def test_an_upload_parameter_without_python_multipart_fails_at_start_up() -> None:
    app = CovetPy()

    @app.post("/files/")
    async def create_upload_file(file: UploadFile = File()) -> dict[str, str]:
        return {"filename": file.filename or ""}

    with pytest.raises(MissingDependencyError) as info:
        app.build()
    message = str(info.value)
    assert "pip install 'covetpy[multipart]'" in message
    assert "Parameter 'file' of" in message
    assert "create_upload_file" in message
    assert "route '/files/'" in message


@pytest.mark.usefixtures("without_multipart")
def test_text_form_fields_still_work_urlencoded_without_python_multipart() -> None:
    app = CovetPy()

    @app.post("/login/")
    async def login(username: str = Form()) -> dict[str, str]:
        return {"username": username}

    response = TestClient(app).post("/login/", data={"username": "ada"})
    assert response.json() == {"username": "ada"}
