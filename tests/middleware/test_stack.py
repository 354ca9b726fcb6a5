"""Pure ASGI middleware on the app, a router and a single route; the function form."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from typing import Any

from covet import CovetPy, Request, Response, Router, StreamingResponse
from covet.testing import TestClient
from covet.types import ASGIApp, Message, Receive, Scope, Send


class Tag:
    """Appends its name to an ``x-trail`` response header."""

    def __init__(self, app: ASGIApp, *, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message["headers"])
                headers.append((b"x-trail", self.name.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


def trail(response: Any) -> list[str]:
    return response.headers.get_list("x-trail")  # type: ignore[no-any-return]


def test_middleware_on_app_router_and_route() -> None:
    router = Router(prefix="/r", middleware=[(Tag, {"name": "router"})])

    @router.get("/x", middleware=[(Tag, {"name": "route"})])
    async def in_router() -> str:
        return "x"

    @router.get("/y")
    async def plain_in_router() -> str:
        return "y"

    app = CovetPy(middleware=[(Tag, {"name": "outer"})])
    app.add_middleware(Tag, name="added")
    app.include_router(router, middleware=[(Tag, {"name": "include"})])

    @app.get("/top")
    async def top() -> str:
        return "top"

    client = TestClient(app)
    # Inner middleware sees the response first, so it appends first.
    assert trail(client.get("/r/x")) == ["route", "router", "include", "outer", "added"]
    assert trail(client.get("/r/y")) == ["router", "include", "outer", "added"]
    assert trail(client.get("/top")) == ["outer", "added"]
    assert trail(client.get("/missing")) == ["outer", "added"]


def test_function_middleware_end_to_end() -> None:
    request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var")
    events: list[str] = []
    app = CovetPy()

    @app.middleware("http")
    async def around(request: Request, call_next: Any) -> Response:
        request_var.set("set-by-middleware")
        body = await request.body()
        response: Response = await call_next(request)
        response.headers["X-Handler-Saw"] = events[-1]
        response.headers["X-Body-Len"] = str(len(body))
        return response

    async def chunks() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two"

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        events.append(request_var.get())
        return {"body": (await request.body()).decode()}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        events.append("stream")
        return StreamingResponse(chunks())

    @app.middleware("http")
    async def short_circuit(request: Request, call_next: Any) -> Response:
        if request.url.path == "/blocked":
            return Response("no", status_code=403)
        result: Response = await call_next(request)
        return result

    client = TestClient(app)
    response = client.post("/echo", content=b"hello")
    assert response.json() == {"body": "hello"}
    assert response.headers["x-handler-saw"] == "set-by-middleware"
    assert response.headers["x-body-len"] == "5"
    streamed = client.get("/stream")
    assert streamed.content == b"one,two"
    assert client.get("/blocked").status_code == 403
