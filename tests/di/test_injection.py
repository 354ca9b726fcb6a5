"""``covet.di.resolve``: a dependency resolved for a request, a WebSocket, or no connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated, Any

import pytest

import covet.di.injection
from covet import CovetPy, Depends, Header, Query, Request, WebSocket
from covet.di import resolve
from covet.exceptions import ConfigurationError
from covet.testing import TestClient


def current_user(x_user: Annotated[str, Header()]) -> str:
    return x_user


def greeting(user: str = Depends(current_user), lang: str = "en") -> str:
    return f"{lang}:{user}"


def test_a_graphql_style_resolver_gets_the_handlers_providers_for_its_request() -> None:
    app = CovetPy()

    async def resolve_viewer(context: dict[str, Any]) -> str:  # as a GraphQL resolver would
        return await resolve(greeting, context["request"])

    @app.post("/graphql")
    async def graphql(request: Request) -> dict[str, str]:
        return {"viewer": await resolve_viewer({"request": request})}

    client = TestClient(app)
    response = client.post("/graphql?lang=fr", headers={"X-User": "ada"})
    assert response.status_code == 200
    assert response.json() == {"viewer": "fr:ada"}


def test_request_data_failing_the_dependency_is_a_422() -> None:
    app = CovetPy(error_format="fastapi")

    @app.get("/")
    async def index(request: Request) -> str:
        return await resolve(greeting, request)

    response = TestClient(app).get("/")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "x-user"]


def test_a_websocket_message_handler_resolves_per_message() -> None:
    app = CovetPy()

    def room(ws: WebSocket, name: Annotated[str, Query()] = "lobby") -> str:
        assert ws.url.path == "/chat"
        return name

    async def on_message(ws: WebSocket, text: str) -> None:
        await ws.send_text(f"{await resolve(room, ws)}:{text}")

    @app.websocket("/chat")
    async def chat(ws: WebSocket) -> None:
        await ws.accept()
        for _ in range(2):
            await on_message(ws, await ws.receive_text())
        await ws.close()

    with TestClient(app).websocket_connect("/chat?name=kitchen") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "kitchen:hi"
        ws.send_text("again")
        assert ws.receive_text() == "kitchen:again"


def test_a_job_resolves_without_a_connection_and_sees_overrides() -> None:
    app = CovetPy()

    def get_queue() -> str:
        return "real"

    async def job() -> str:
        return await resolve(get_queue, app=app)

    assert asyncio.run(job()) == "real"
    app.dependency_overrides[get_queue] = lambda: "fake"
    assert asyncio.run(job()) == "fake"


def test_a_generator_dependency_is_torn_down_with_the_given_stack() -> None:
    app = CovetPy()
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        events.append("open")
        yield "session"
        events.append("close")

    async def job() -> None:
        with pytest.raises(ConfigurationError, match=r"pass stack=AsyncExitStack\(\)"):
            await resolve(session, app=app)
        assert events == []
        async with AsyncExitStack() as stack:
            assert await resolve(session, app=app, stack=stack) == "session"
            assert events == ["open"]
        assert events == ["open", "close"]

    asyncio.run(job())


def test_without_an_application_resolve_says_what_to_pass() -> None:
    with pytest.raises(ConfigurationError, match="needs the application: pass app="):
        asyncio.run(resolve(current_user))


def test_plans_are_made_once_per_app_and_again_after_an_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = CovetPy()
    planned: list[object] = []
    original = covet.di.injection.plan_dependency

    def counting(*args: Any, **kwargs: Any) -> Any:
        planned.append(args[1].dependency)
        return original(*args, **kwargs)

    monkeypatch.setattr(covet.di.injection, "plan_dependency", counting)

    def get_value() -> int:
        return 1

    async def job() -> int:
        return await resolve(get_value, app=app)

    assert [asyncio.run(job()) for _ in range(3)] == [1, 1, 1]
    assert planned == [get_value]
    app.dependency_overrides[get_value] = lambda: 2
    assert asyncio.run(job()) == 2
    assert planned == [get_value, get_value]
