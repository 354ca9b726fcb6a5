"""Generator handlers stream their items: JSON Lines by default, SSE with EventSourceResponse."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterable, Iterable
from typing import Annotated

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from covet import CovetPy, Header, HTTPException
from covet.exceptions import ConfigurationError
from covet.responses import EventSourceResponse, HTMLResponse, ServerSentEvent
from covet.testing import TestClient


# FastAPI's tutorial (docs_src/server_sent_events/tutorial001), only the imports changed.
class Item(BaseModel):
    name: str
    description: str | None


items = [
    Item(name="Plumbus", description="A multi-purpose household device."),
    Item(name="Portal Gun", description="A portal opening device."),
    Item(name="Meeseeks Box", description="A box that summons a Meeseeks."),
]
tutorial = CovetPy()


@tutorial.get("/items/stream", response_class=EventSourceResponse)
async def sse_items() -> AsyncIterable[Item]:
    for item in items:
        yield item


@tutorial.get("/items/stream-no-async", response_class=EventSourceResponse)
def sse_items_no_async() -> Iterable[Item]:
    for item in items:  # noqa: UP028 - FastAPI's code as it is
        yield item


@tutorial.get("/items/stream-no-annotation", response_class=EventSourceResponse)
async def sse_items_no_annotation():  # type: ignore[no-untyped-def]
    for item in items:
        yield item


@tutorial.get("/items/stream-no-async-no-annotation", response_class=EventSourceResponse)
def sse_items_no_async_no_annotation():  # type: ignore[no-untyped-def]
    for item in items:  # noqa: UP028 - FastAPI's code as it is
        yield item


@tutorial.get("/items/jsonl")
async def jsonl_items() -> AsyncIterable[Item]:
    for item in items:
        yield item


@tutorial.get("/items/resume", response_class=EventSourceResponse)
async def resume(
    last_event_id: Annotated[int | None, Header()] = None,
) -> AsyncIterable[ServerSentEvent]:
    start = last_event_id + 1 if last_event_id is not None else 0
    for i, item in enumerate(items):
        if i < start:
            continue
        yield ServerSentEvent(data=item, id=str(i))


@pytest.mark.parametrize(
    "path",
    [
        "/items/stream",
        "/items/stream-no-async",
        "/items/stream-no-annotation",
        "/items/stream-no-async-no-annotation",
    ],
)
def test_fastapi_sse_tutorial_runs_after_changing_imports(path: str) -> None:
    response = TestClient(tutorial).get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    lines = [line for line in response.text.split("\n\n") if line]
    assert [line.removeprefix("data: ") for line in lines] == [
        '{"name":"Plumbus","description":"A multi-purpose household device."}',
        '{"name":"Portal Gun","description":"A portal opening device."}',
        '{"name":"Meeseeks Box","description":"A box that summons a Meeseeks."}',
    ]


def test_a_generator_without_response_class_streams_json_lines() -> None:
    response = TestClient(tutorial).get("/items/jsonl")
    assert response.headers["content-type"] == "application/jsonl"
    assert response.text == (
        '{"name":"Plumbus","description":"A multi-purpose household device."}\n'
        '{"name":"Portal Gun","description":"A portal opening device."}\n'
        '{"name":"Meeseeks Box","description":"A box that summons a Meeseeks."}\n'
    )


@pytest.mark.parametrize(("header", "ids"), [(None, ["0", "1", "2"]), ("1", ["2"])])
def test_last_event_id_resumes_the_stream(header: str | None, ids: list[str]) -> None:
    headers = {"Last-Event-ID": header} if header is not None else {}
    text = TestClient(tutorial).get("/items/resume", headers=headers).text
    assert [line[4:] for line in text.split("\n") if line.startswith("id: ")] == ids
    assert (
        TestClient(tutorial).get("/items/resume", headers={"Last-Event-ID": "x"}).status_code == 422
    )


def test_the_last_event_id_alias_form_works() -> None:
    app = CovetPy()

    @app.get("/", response_class=EventSourceResponse)
    async def feed(
        last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    ) -> AsyncIterable[str]:
        yield last_event_id or "none"

    client = TestClient(app)
    assert client.get("/").text == 'data: "none"\n\n'
    assert client.get("/", headers={"Last-Event-ID": "41"}).text == 'data: "41"\n\n'


@dataclasses.dataclass
class Public:
    name: str


def test_items_are_filtered_by_the_item_model_and_events_pass_as_they_are() -> None:
    app = CovetPy()

    @app.get("/sse", response_class=EventSourceResponse, status_code=201)
    async def sse() -> AsyncIterable[Public | ServerSentEvent]:
        yield {"name": "a", "password": "secret"}
        yield ServerSentEvent(data={"kept": "as is"}, event="raw")

    @app.get("/jsonl", response_model=Public)
    def jsonl() -> Iterable[dict[str, str]]:
        yield {"name": "b", "password": "secret"}

    client = TestClient(app)
    response = client.get("/sse")
    assert response.status_code == 201
    assert response.text == 'data: {"name":"a"}\n\nevent: raw\ndata: {"kept":"as is"}\n\n'
    assert client.get("/jsonl").text == '{"name":"b"}\n'


def test_an_error_before_the_first_item_is_the_normal_error_response() -> None:
    app = CovetPy()

    @app.get("/missing", response_class=EventSourceResponse)
    async def missing() -> AsyncIterable[int]:
        raise HTTPException(404, "no such feed")
        yield 1

    @app.get("/broken")
    def broken() -> Iterable[int]:
        raise RuntimeError("boom")
        yield 1

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.json()["detail"] == "no such feed"
    response = client.get("/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


def test_an_error_after_the_stream_started_ends_it_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = CovetPy()
    closed = []

    @app.get("/", response_class=EventSourceResponse)
    async def feed() -> AsyncIterable[int]:
        try:
            yield 1
            raise RuntimeError("mid-stream")
        finally:
            closed.append(True)

    with caplog.at_level(logging.ERROR, logger="covet"):
        response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 200
    assert response.text == "data: 1\n\n"
    errors = [r for r in caplog.records if r.exc_info and "mid-stream" in str(r.exc_info[1])]
    assert len(errors) == 1
    assert closed == [True]


def test_a_stream_that_cannot_work_is_refused_at_start_up() -> None:
    app = CovetPy()

    @app.get("/html", response_class=HTMLResponse)
    async def html() -> AsyncIterable[str]:
        yield "x"

    with pytest.raises(ConfigurationError, match="cannot stream"):
        app.build()

    other = CovetPy()

    @other.get("/wrong")
    async def wrong() -> int:  # type: ignore[misc]
        yield 1

    with pytest.raises(ConfigurationError, match=r"AsyncIterable\[Item\]"):
        other.build()


def test_openapi_documents_the_item_schema_of_both_stream_kinds() -> None:
    document = tutorial.openapi()
    validate(document)
    paths = document["paths"]
    ref = {"$ref": "#/components/schemas/Item"}
    jsonl = paths["/items/jsonl"]["get"]["responses"]["200"]["content"]
    assert jsonl == {"application/jsonl": {"schema": ref}}
    sse = paths["/items/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    data = sse["schema"]["properties"]["data"]
    assert data == {"type": "string", "contentMediaType": "application/json", "contentSchema": ref}
    assert set(sse["schema"]["properties"]) == {"data", "event", "id", "retry"}
    untyped = paths["/items/stream-no-annotation"]["get"]["responses"]["200"]["content"]
    assert "contentSchema" not in untyped["text/event-stream"]["schema"]["properties"]["data"]
