"""The app the raw-socket hostile tests send malformed bytes to, served by uvicorn."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from covet import CovetPy, Request, Response, StreamingResponse

SECRET = os.environ.get("COVET_HOSTILE_SECRET", "hunter2")

app = CovetPy()


@app.get("/")
async def index() -> dict[str, str]:
    return {"hello": "world"}


@app.get("/dashboard")
async def dashboard() -> dict[str, str]:
    return {"page": "dashboard"}


@app.get("/{name}")
async def page(name: str) -> dict[str, str]:
    return {"name": name}


@app.get("/header/set")
async def set_header(request: Request) -> Response:
    return Response("ok", headers={"X-Echo": request.query_params.get("v", "")})


@app.get("/client/address")
async def client_address(request: Request) -> dict[str, Any]:
    peer = request.client
    return {"host": None if peer is None else peer.host, "url_host": request.url.hostname}


@app.get("/boom/now")
async def boom_now() -> None:
    raise RuntimeError(f"token={SECRET}")


@app.get("/boom/mid-stream")
async def boom_mid_stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first chunk\n"
        raise RuntimeError(f"token={SECRET}")

    return StreamingResponse(chunks(), media_type="text/plain")
