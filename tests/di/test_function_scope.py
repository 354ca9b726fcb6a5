"""Generator dependencies torn down before the response: ``scope="function"`` and the marker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import pytest

from covet import CovetPy, Depends, HTTPException
from covet.di import teardown_before_response
from covet.exceptions import ConfigurationError
from covet.testing import TestClient
from covet.types import Message, Receive, Scope, Send


def recording(app: CovetPy, log: list[str]):  # type: ignore[no-untyped-def]
    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                log.append("response")
            await send(message)

        await app(scope, receive, watch if scope["type"] == "http" else send)

    return wrapper


def test_function_scope_tears_down_before_the_response_and_can_fail_it() -> None:
    log: list[str] = []

    async def unit(fail: bool = False) -> AsyncIterator[str]:
        yield "u"
        log.append("teardown")
        if fail:
            raise HTTPException(409, "Commit failed.")

    async def late() -> AsyncIterator[str]:
        yield "l"
        log.append("late teardown")

    app = CovetPy()

    @app.get("/")
    async def index(
        u: Annotated[str, Depends(unit, scope="function")], lt: Annotated[str, Depends(late)]
    ) -> dict[str, str]:
        log.append("handler")
        return {"u": u}

    client = TestClient(recording(app, log))
    assert client.get("/").status_code == 200
    assert log == ["handler", "teardown", "response", "late teardown"]
    failed = client.get("/?fail=true")
    assert (failed.status_code, failed.json()["detail"]) == (409, "Commit failed.")


def test_marked_dependency_is_torn_down_before_the_response() -> None:
    log: list[str] = []

    @teardown_before_response
    async def unit() -> AsyncIterator[None]:
        yield
        log.append("teardown")

    app = CovetPy()

    @app.get("/", dependencies=[Depends(unit)])
    async def index() -> None:
        log.append("handler")

    assert TestClient(recording(app, log)).get("/").status_code == 200
    assert log == ["handler", "teardown", "response"]


def test_an_unknown_scope_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'request', 'app' or 'function'"):
        Depends(lambda: 1, scope="session")  # type: ignore[arg-type]
