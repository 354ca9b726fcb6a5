"""One plan per route: made once at start-up, read by the runners and the OpenAPI generator."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

import covet.routing.endpoint
from covet import CovetPy, Depends, Header
from covet.di import Plan
from covet.testing import TestClient


def token(x_token: Annotated[str, Header()]) -> str:
    return x_token


def test_the_document_reads_the_plan_the_runner_was_built_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned: list[str] = []
    original = covet.routing.endpoint.plan_handler

    def counting(context: Any, *args: Any, **kwargs: Any) -> Plan:
        planned.append(context.name)
        return original(context, *args, **kwargs)

    monkeypatch.setattr(covet.routing.endpoint, "plan_handler", counting)
    app = CovetPy(dependencies=[Depends(token)])

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> dict[str, int]:
        return {"item_id": item_id}

    client = TestClient(app)
    assert client.get("/items/3", headers={"X-Token": "t"}).json() == {"item_id": 3}
    document = app.openapi()
    assert planned.count("route '/items/{item_id}'") == 1
    route = next(r for r in app.routes if getattr(r, "path", "") == "/items/{item_id}")
    assert isinstance(route.plan, Plan)
    names = [p["name"] for p in document["paths"]["/items/{item_id}"]["get"]["parameters"]]
    # The app's dependencies= reach the document through the same plan (no second rule).
    assert names == ["item_id", "q", "x-token"]
