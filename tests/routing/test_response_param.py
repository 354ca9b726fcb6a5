"""A ``Response`` parameter lets handlers and dependencies set headers, cookies and status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest

from covet import (
    CovetPy,
    Depends,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
    WebSocket,
)
from covet.exceptions import ConfigurationError
from covet.testing import TestClient

SHARED = JSONResponse({"shared": True})


def refresh_session(response: Response) -> str:
    response.set_cookie("session", "renewed")
    return "ann"


def build() -> CovetPy:
    app = CovetPy()

    @app.post("/items", status_code=201)
    async def create(response: Response) -> dict[str, Any]:
        seen = response.status_code
        response.headers["x-item-id"] = "7"
        return {"status_seen": seen}

    @app.get("/maybe")
    async def maybe(response: Response, missing: bool = False) -> dict[str, bool]:
        if missing:
            response.status_code = 404
        return {"missing": missing}

    @app.get("/me")
    async def me(
        user: Annotated[str, Depends(refresh_session)], response: Response
    ) -> dict[str, str]:
        response.headers["cache-control"] = "no-store"
        return {"user": user}

    @app.get("/go")
    async def go(user: Annotated[str, Depends(refresh_session)]) -> RedirectResponse:
        return RedirectResponse("/me")

    @app.get("/shared")
    async def shared(response: Response, n: int = 0) -> JSONResponse:
        response.headers["x-n"] = str(n)
        return SHARED

    @app.get("/stream")
    async def stream(response: Response) -> StreamingResponse:
        response.headers["x-stream"] = "yes"

        async def chunks() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


def test_headers_set_on_the_parameter_reach_a_json_result() -> None:
    response = TestClient(build()).post("/items")
    assert response.status_code == 201
    assert response.json() == {"status_seen": 201}  # the route's status, as a start
    assert response.headers["x-item-id"] == "7"
    assert response.headers["content-type"] == "application/json"


def test_the_status_can_be_changed() -> None:
    client = TestClient(build())
    assert client.get("/maybe").status_code == 200
    response = client.get("/maybe?missing=true")
    assert response.status_code == 404
    assert response.json() == {"missing": True}


def test_a_dependency_and_the_handler_share_the_response() -> None:
    response = TestClient(build()).get("/me")
    assert response.json() == {"user": "ann"}
    assert response.headers["cache-control"] == "no-store"
    assert "session=renewed" in response.headers["set-cookie"]


def test_headers_are_added_to_a_returned_response_too() -> None:
    response = TestClient(build()).get("/go", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/me"
    assert "session=renewed" in response.headers["set-cookie"]


def test_a_shared_returned_response_is_not_modified() -> None:
    client = TestClient(build())
    first = client.get("/shared?n=1")
    second = client.get("/shared?n=2")
    assert first.headers.get_list("x-n") == ["1"]
    assert second.headers.get_list("x-n") == ["2"]
    assert b"x-n" not in {name for name, _ in SHARED.raw_headers}


def test_streaming_responses_get_the_headers() -> None:
    response = TestClient(build()).get("/stream")
    assert response.text == "ab"
    assert response.headers["x-stream"] == "yes"


def test_the_parameter_is_not_documented_as_a_request_parameter() -> None:
    operation = build().openapi()["paths"]["/maybe"]["get"]
    assert [parameter["name"] for parameter in operation["parameters"]] == ["missing"]


def test_websockets_cannot_ask_for_a_response() -> None:
    app = CovetPy()

    @app.websocket("/ws")
    async def socket(websocket: WebSocket, response: Response) -> None:
        await websocket.accept()

    with pytest.raises(ConfigurationError, match=r"'response' of .*socket.*WebSocket"):
        TestClient(app).get("/")


def test_the_container_cannot_give_a_response() -> None:
    async def resolve() -> None:
        async with CovetPy().container() as container:
            await container.resolve(refresh_session)

    with pytest.raises(ConfigurationError, match="only available to HTTP handlers"):
        asyncio.run(resolve())
