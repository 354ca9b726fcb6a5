"""The CovetPy application the end-to-end tests serve with real ASGI servers.

The server fixture configures it through the environment:

* ``COVET_E2E_MARKER_DIR``: directory where the slow stream records that its generator
  started and that its ``finally`` ran (the side channel for the disconnect test);
* ``COVET_E2E_SECRET``: text put in the message of the exception ``/boom`` raises;
* ``COVET_E2E_BODY_LIMIT``: the application's ``max_body_size`` in bytes.

``app`` is served behind a proxy that strips the prefix (``--root-path /api``) or at the
root; ``prefixed_app`` knows its own prefix (``root_path="/api"``) and is served by a
server that does not strip it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from covet import CovetPy, Limits, Request, Response, StreamingResponse, WebSocket
from covet.forms import UploadFile

STREAM_CHUNKS = 5
STREAM_PAUSE = 0.05
SLOW_STREAM_PAUSE = 0.05
SLOW_STREAM_MAX_CHUNKS = 400  # 20 s: far longer than any test waits
SMALL_ROUTE_LIMIT = 1024


def _marker_dir() -> Path:
    return Path(os.environ.get("COVET_E2E_MARKER_DIR", "."))


def _mark(token: str, event: str) -> None:
    """Record ``event`` for the stream ``token`` (a file the test process can see)."""
    (_marker_dir() / f"{token}.{event}").write_text(event)


@asynccontextmanager
async def lifespan(app: CovetPy) -> AsyncIterator[dict[str, Any]]:
    yield {"greeting": "hello from lifespan", "server_pid": os.getpid()}


app = CovetPy(
    lifespan=lifespan,
    limits=Limits(max_body_size=int(os.environ.get("COVET_E2E_BODY_LIMIT", 64 * 1024))),
)


@app.get("/json")
async def json_route() -> dict[str, Any]:
    return {"hello": "world", "unicode": "café ✓", "numbers": [1, 2.5, None, True]}


@app.get("/items/{item_id:int}", name="item")
async def item(request: Request, item_id: int) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "q": request.query_params.get("q"),
        "tags": request.query_params.getlist("tag"),
    }


@app.get("/users/{name}/files/{path:path}")
async def user_file(name: str, path: str) -> dict[str, str]:
    return {"name": name, "path": path}


@app.post("/echo/json")
async def echo_json(request: Request) -> Any:
    return {"received": await request.json()}


@app.post("/echo/body")
async def echo_body(request: Request) -> Response:
    body = await request.body()
    return Response(body, media_type="application/octet-stream")


@app.post("/echo/small", max_body_size=SMALL_ROUTE_LIMIT)
async def echo_small(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


@app.post("/upload")
async def upload(request: Request) -> dict[str, Any]:
    form = await request.form()
    fields: dict[str, str] = {}
    files: dict[str, dict[str, Any]] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            files[name] = {
                "filename": value.filename,
                "size": len(data),
                "content_type": value.content_type,
            }
        else:
            fields[name] = value
    await request.close()
    return {"fields": fields, "files": files}


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(STREAM_CHUNKS):
            yield f"chunk-{index}\n".encode()
            await asyncio.sleep(STREAM_PAUSE)

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/slow-stream")
async def slow_stream(request: Request) -> StreamingResponse:
    token = request.query_params["token"]

    async def chunks() -> AsyncIterator[bytes]:
        _mark(token, "started")
        try:
            for index in range(SLOW_STREAM_MAX_CHUNKS):
                yield f"tick-{index}\n".encode()
                await asyncio.sleep(SLOW_STREAM_PAUSE)
            _mark(token, "completed")
        finally:
            _mark(token, "stopped")

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/boom")
async def boom() -> None:
    raise RuntimeError(f"database password is {os.environ.get('COVET_E2E_SECRET', 'hunter2')}")


@app.get("/state")
async def state(request: Request) -> dict[str, Any]:
    return {"greeting": request.state.greeting, "server_pid": request.state.server_pid}


@app.get("/client")
async def client(request: Request) -> dict[str, Any]:
    peer = request.client
    return {"host": None if peer is None else peer.host}


@app.get("/where")
async def where(request: Request) -> dict[str, Any]:
    return {
        "url": str(request.url),
        "root_path": request.scope.get("root_path", ""),
        "url_for": str(request.url_for("item", item_id=7)),
        "url_path_for": request.app.url_path_for("item", item_id=7),
    }


@app.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


@app.websocket("/ws/json")
async def ws_json(websocket: WebSocket) -> None:
    await websocket.accept()
    async for data in websocket.iter_json():
        await websocket.send_json({"echo": data, "greeting": websocket.state.greeting})


prefixed_app = CovetPy(root_path="/api")
prefixed_app.get("/items/{item_id:int}", name="item")(item)
prefixed_app.get("/where")(where)
