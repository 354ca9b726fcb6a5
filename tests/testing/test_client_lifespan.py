"""TestClient and AsyncTestClient running the ASGI lifespan protocol."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from covet import CovetPy, Request
from covet.testing import AsyncTestClient, LifespanError, TestClient
from covet.types import Receive, Scope, Send


def lifespan_app(events: list[str], **startup_state: Any) -> Any:
    """An app that records lifespan events and echoes the ``scope["state"]`` keys it gets."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            assert message["type"] == "lifespan.startup"
            events.append("startup")
            scope["state"].update(startup_state)
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
            events.append("shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
        events.append(f"request {scope['path']}")
        state = scope.get("state", {})
        body = repr(sorted(state)).encode()
        state["touched"] = True  # a per-request copy: must not leak into the next request
        if "shared" in state:
            state["shared"].append(scope["path"])  # a shallow copy: same list object
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def test_lifespan_startup_and_shutdown_wrap_the_requests() -> None:
    events: list[str] = []

    with TestClient(lifespan_app(events)) as client:
        assert events == ["startup"]
        client.get("/a")
        client.get("/b")
        assert events == ["startup", "request /a", "request /b"]

    assert events == ["startup", "request /a", "request /b", "shutdown"]


def test_lifespan_state_is_shallow_copied_into_each_request() -> None:
    shared: list[str] = []
    app = lifespan_app([], db="conn", shared=shared)

    with TestClient(app) as client:
        first = client.get("/one").text
        second = client.get("/two").text

    assert first == second == "['db', 'shared']"
    assert shared == ["/one", "/two"]


def test_no_lifespan_without_context_manager() -> None:
    events: list[str] = []
    client = TestClient(lifespan_app(events))
    client.get("/")
    client.close()

    assert events == ["request /"]


def test_lifespan_startup_failure_raises_with_the_apps_message() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})

    client = TestClient(app)
    with pytest.raises(LifespanError, match="startup failed: database unreachable"), client:
        pytest.fail("the block must not run when startup fails")
    assert client.is_closed


def test_lifespan_shutdown_failure_raises() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.failed", "message": "flush failed"})

    with pytest.raises(LifespanError, match="shutdown failed: flush failed"), TestClient(app):
        pass


def test_exception_during_shutdown_is_reraised() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        raise RuntimeError("cleanup crashed")

    with pytest.raises(RuntimeError, match="cleanup crashed"), TestClient(app):
        pass


def test_app_without_lifespan_support_is_tolerated(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"unsupported scope type {scope['type']!r}")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with caplog.at_level(logging.INFO, logger="covet.testing"), TestClient(app) as client:
        assert client.get("/").status_code == 204

    assert "lifespan" in caplog.text
    assert "unsupported scope type" in caplog.text


def test_naive_app_that_answers_lifespan_with_http_is_tolerated() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"hi"})

    with TestClient(app) as client:
        assert client.get("/").text == "hi"

    assert [s["type"] for s in seen] == ["lifespan", "http"]
    assert "state" not in seen[1]


def test_lifespan_objects_stay_usable_across_requests() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            scope["state"]["lock"] = asyncio.Lock()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        async with scope["state"]["lock"]:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"locked"})

    with TestClient(app) as client:
        assert client.get("/").text == "locked"
        assert client.get("/").text == "locked"


def test_async_client_runs_lifespan_in_the_callers_loop() -> None:
    events: list[str] = []

    async def main() -> str:
        async with AsyncTestClient(lifespan_app(events, answer=42)) as client:
            assert events == ["startup"]
            response = await client.get("/x")
        return response.text

    text = asyncio.run(main())

    assert events == ["startup", "request /x", "shutdown"]
    assert text == "['answer']"


def test_async_client_startup_failure_raises() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no config"})

    async def main() -> None:
        async with AsyncTestClient(app):
            pytest.fail("the block must not run when startup fails")

    with pytest.raises(LifespanError, match="no config"):
        asyncio.run(main())


# -- a TestClient used without ``with`` on an app whose lifespan provides state ---------------


@dataclass
class Resources:
    db: str


def state_app() -> CovetPy:
    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[Resources]:
        yield Resources(db="sqlite://")

    app = CovetPy(lifespan=lifespan)

    @app.get("/db")
    async def db(request: Request) -> str:
        return str(request.state.db)

    @app.get("/typed")
    async def typed(request: Request) -> str:
        return request.state_of(Resources).db

    return app


@pytest.mark.parametrize(
    ("path", "error"), [("/db", AttributeError), ("/typed", LookupError)], ids=["state", "state_of"]
)
def test_without_with_the_missing_state_error_says_to_use_with(
    path: str, error: type[Exception]
) -> None:
    app = state_app()
    client = TestClient(app)
    with pytest.raises(error, match=r"use 'with TestClient\(app\) as client:'"):
        client.get(path)
    with TestClient(app) as client:
        assert client.get(path).json() == "sqlite://"
    # After the block, the lifespan has ended: no stale state, and the same advice.
    with pytest.raises(error, match=r"with TestClient\(app\) as client:"):
        TestClient(app).get(path)


def test_an_app_without_a_lifespan_keeps_the_plain_message() -> None:
    app = CovetPy()

    @app.get("/")
    async def home(request: Request) -> str:
        return str(request.state.missing)

    with pytest.raises(AttributeError) as caught:
        TestClient(app).get("/")
    assert str(caught.value) == "State has no attribute 'missing'"
