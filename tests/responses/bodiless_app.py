"""An app whose handlers put content where none may go, for the bodiless-response tests.

``tests/responses/test_bodiless.py`` drives it through the TestClient and, as ``app``, over
real keep-alive connections to uvicorn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from covet import CovetPy, JSONResponse, PlainTextResponse, Response, StreamingResponse


@dataclass
class Item:
    name: str


def bodiless_app() -> CovetPy:
    app = CovetPy()

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int) -> dict[str, Any]:
        return {"deleted": item_id}

    @app.post("/planned", status_code=204)
    async def planned(response: Response, q: str = "x") -> dict[str, Any]:
        response.headers["X-Seen"] = q
        return {"ignored": q}

    @app.post("/archive", status_code=204)
    async def archive(item: Item) -> Item:
        return item

    @app.post("/switch")
    async def switch(response: Response) -> dict[str, Any]:
        response.status_code = 204
        return {"ignored": True}

    @app.get("/not-modified")
    async def not_modified() -> Response:
        return JSONResponse({"stale": "body"}, status_code=304)

    @app.get("/not-modified-length")
    async def not_modified_length() -> Response:
        # The length of the 200 the client has cached: a 304 may state it (RFC 9110 §8.6).
        return Response(status_code=304, headers={"Content-Length": "42", "ETag": '"v1"'})

    @app.get("/reset")
    async def reset() -> Response:
        return Response(b"form", status_code=205)

    @app.get("/changed")
    async def changed() -> Response:
        response = PlainTextResponse("was a 200")
        response.status_code = 204
        return response

    @app.get("/lying")
    async def lying() -> Response:
        return Response(b"", status_code=204, headers={"Content-Length": "9"})

    @app.get("/stream")
    async def stream() -> Response:
        return StreamingResponse(iter([b"chunk"]), status_code=204)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id}

    @app.get("/text")
    async def text() -> Response:
        return PlainTextResponse("hello")

    return app


app = bodiless_app()
