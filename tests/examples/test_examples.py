"""The example applications answer every endpoint they advertise."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from covet.testing import TestClient
from tests.support.databases import BACKENDS, close_namespace, open_namespace
from tests.support.servers import answers_http, free_port, running_server

REPO_ROOT = Path(__file__).resolve().parents[2]


def import_example(monkeypatch: pytest.MonkeyPatch, name: str) -> ModuleType:
    """Import ``examples.<name>`` from the repository root, wherever pytest runs from."""
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    return importlib.import_module(f"examples.{name}")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client for ``examples.app`` with its lifespan running (a fresh item store)."""
    example = import_example(monkeypatch, "app")
    with TestClient(example.app) as test_client:
        yield test_client


# -- examples/hello.py ----------------------------------------------------------------------


def test_hello_greets(monkeypatch: pytest.MonkeyPatch) -> None:
    hello = import_example(monkeypatch, "hello")
    client = TestClient(hello.app)
    assert client.get("/hello/Ann").json() == {"greeting": "Hello, Ann!"}
    assert client.get("/").json() == {"message": "Hello from CovetPy!"}


# -- examples/app.py ------------------------------------------------------------------------


def test_index_lists_every_endpoint(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for path in ["/api/items", "/api/items/{item_id:int}", "/stream", "/ws", "/hello/{name}"]:
        assert f"<code>{path}</code>" in response.text


def test_every_request_gets_a_request_id(client: TestClient) -> None:
    assert client.get("/hello/Bo").headers["x-request-id"]


def test_access_log_line(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="covet.access"):
        client.get("/hello/Bo")
    [record] = [r for r in caplog.records if r.name == "covet.access"]
    assert record.getMessage().startswith("GET /hello/Bo 200 ")


def test_hello(client: TestClient) -> None:
    assert client.get("/hello/Ann").json() == {"greeting": "Hello, Ann!"}


def test_list_items_from_the_lifespan_store(client: TestClient) -> None:
    response = client.get("/api/items")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {"id": 1, "name": "Teapot", "price": 18.5},
            {"id": 2, "name": "Kettle", "price": 32.0},
        ],
        "total": 2,
    }


@pytest.mark.parametrize(
    ("query", "names", "total"),
    [
        ({"q": "kett"}, ["Kettle"], 1),
        ({"limit": "1"}, ["Teapot"], 2),
        ({"q": "T", "limit": "5"}, ["Teapot", "Kettle"], 2),
        ({"q": "nothing"}, [], 0),
    ],
    ids=["filter", "limit", "filter-and-limit", "no-match"],
)
def test_list_items_query_params(
    client: TestClient, query: dict[str, str], names: list[str], total: int
) -> None:
    body = client.get("/api/items", params=query).json()
    assert [item["name"] for item in body["items"]] == names
    assert body["total"] == total


def test_list_items_rejects_a_bad_limit(client: TestClient) -> None:
    response = client.get("/api/items", params={"limit": "lots"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


def test_get_item(client: TestClient) -> None:
    assert client.get("/api/items/2").json() == {"id": 2, "name": "Kettle", "price": 32.0}


def test_missing_item_goes_through_the_exception_handler(client: TestClient) -> None:
    response = client.get("/api/items/99")
    assert response.status_code == 404
    assert response.json() == {"error": "No item with id 99.", "item_id": 99}


def test_item_id_must_be_an_int(client: TestClient) -> None:
    assert client.get("/api/items/abc").status_code == 404


def test_create_item_then_read_it(client: TestClient) -> None:
    response = client.post("/api/items", json={"name": " Cup ", "price": 4})
    assert response.status_code == 201
    assert response.json() == {"id": 3, "name": "Cup", "price": 4.0}
    assert client.get("/api/items/3").json()["name"] == "Cup"
    assert client.get("/api/items").json()["total"] == 3


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([1, 2], 422),
        ({"name": "", "price": 1}, 422),
        ({"name": "Cup", "price": -1}, 422),
        ({"name": "Cup", "price": True}, 422),
        ({"name": "Cup"}, 422),
        ({"name": "   ", "price": 1}, 422),
    ],
    ids=["not-an-object", "empty-name", "negative-price", "bool-price", "no-price", "blank-name"],
)
def test_create_item_validates_the_body(client: TestClient, body: object, status: int) -> None:
    assert client.post("/api/items", json=body).status_code == status


def test_create_item_needs_json(client: TestClient) -> None:
    response = client.post(
        "/api/items", content=b"name=Cup", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415


def test_create_item_rejects_malformed_json(client: TestClient) -> None:
    response = client.post("/api/items", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_order_uuid_path_param(client: TestClient) -> None:
    order_id = uuid.uuid4()
    response = client.get(f"/orders/{order_id}")
    assert response.json() == {"order_id": str(order_id), "version": 4}


def test_order_id_must_be_a_uuid(client: TestClient) -> None:
    assert client.get("/orders/not-a-uuid").status_code == 404


def test_stream_sends_ndjson_lines(client: TestClient) -> None:
    response = client.get("/stream", params={"count": "3"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "content-length" not in response.headers
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == [{"line": 1}, {"line": 2}, {"line": 3}]


def test_stream_defaults_to_five_lines(client: TestClient) -> None:
    assert len(client.get("/stream").text.splitlines()) == 5


@pytest.mark.parametrize("count", ["0", "51", "x"])
def test_stream_rejects_a_bad_count(client: TestClient, count: str) -> None:
    response = client.get("/stream", params={"count": count})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "count"]


def test_websocket_echo(client: TestClient) -> None:
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("hello")
        assert websocket.receive_text() == "hello"
        websocket.send_text("again")
        assert websocket.receive_text() == "again"


def test_each_client_gets_a_fresh_store(monkeypatch: pytest.MonkeyPatch) -> None:
    example = import_example(monkeypatch, "app")
    with TestClient(example.app) as first:
        first.post("/api/items", json={"name": "Cup", "price": 1})
        assert first.get("/api/items").json()["total"] == 3
    with TestClient(example.app) as second:
        assert second.get("/api/items").json()["total"] == 2


def test_example_documents_its_typed_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    create = document["paths"]["/api/items"]["post"]
    assert create["operationId"] == "create_item"
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemIn"
    }
    listed = {p["name"]: p for p in document["paths"]["/api/items"]["get"]["parameters"]}
    assert listed["limit"]["schema"]["maximum"] == 1000
    assert client.get("/docs").status_code == 200


# -- notes, kept in a database ----------------------------------------------------------------


def test_a_note_is_created_listed_read_and_deleted(client: TestClient) -> None:
    created = client.post("/api/notes", json={"title": " Buy tea ", "body": "green"})
    assert created.status_code == 201
    note = created.json()
    assert note == {"id": note["id"], "title": "Buy tea", "body": "green"}
    assert client.get(f"/api/notes/{note['id']}").json() == note
    assert client.get("/api/notes").json() == {"items": [note], "total": 1, "page": 1, "size": 20}

    deleted = client.delete(f"/api/notes/{note['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert "content-length" not in deleted.headers or deleted.headers["content-length"] == "0"
    gone = client.get(f"/api/notes/{note['id']}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["detail"] == "Note not found."
    assert client.delete(f"/api/notes/{note['id']}").status_code == 404


def test_notes_are_listed_newest_first_a_page_at_a_time(client: TestClient) -> None:
    ids = [client.post("/api/notes", json={"title": f"n{i}"}).json()["id"] for i in range(5)]
    first = client.get("/api/notes", params={"size": 2}).json()
    second = client.get("/api/notes", params={"size": 2, "page": 2}).json()
    last = client.get("/api/notes", params={"size": 2, "page": 3}).json()
    assert [n["id"] for n in first["items"]] == ids[::-1][:2]
    assert [n["id"] for n in second["items"]] == ids[::-1][2:4]
    assert [n["id"] for n in last["items"]] == ids[:1]
    assert first["total"] == second["total"] == last["total"] == 5


def test_a_page_past_the_end_is_empty_not_an_error(client: TestClient) -> None:
    # schemathesis found this one: OFFSET (page - 1) * size overflowed a database integer.
    client.post("/api/notes", json={"title": "only"})
    far = client.get("/api/notes", params={"page": 1_000_000, "size": 100})
    assert far.status_code == 200
    assert far.json() == {"items": [], "total": 1, "page": 1_000_000, "size": 100}


@pytest.mark.parametrize(
    ("body", "status"),
    [({"title": " "}, 422), ({"title": "x" * 101}, 422), ({}, 422), ({"title": 3}, 422)],
)
def test_a_bad_note_is_refused(client: TestClient, body: object, status: int) -> None:
    assert client.post("/api/notes", json=body).status_code == status
    assert client.get("/api/notes").json()["total"] == 0


@pytest.mark.parametrize("query", [{"page": "0"}, {"size": "101"}, {"page": "x"}])
def test_bad_paging_is_refused(client: TestClient, query: dict[str, str]) -> None:
    assert client.get("/api/notes", params=query).status_code == 422


def test_the_notes_api_is_documented(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    one = document["paths"]["/api/notes/{note_id}"]
    assert set(one) == {"get", "delete"}
    assert "404" in one["get"]["responses"]
    assert "404" in one["delete"]["responses"]
    assert document["components"]["schemas"]["NoteOut"]["required"] == ["id", "title", "body"]


def _serve_example(database_url: str, log_path: Path) -> contextlib.AbstractContextManager[Any]:
    port = free_port()
    argv = [
        *(sys.executable, "-m", "covet", "run", "examples.app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    env = {**os.environ, "DATABASE_URL": database_url}
    return running_server(argv, port=port, env=env, log_path=log_path, ready=answers_http)


@pytest.mark.e2e
@pytest.mark.parametrize("backend", BACKENDS)
def test_notes_outlive_the_server(backend: str, tmp_path: Path) -> None:
    """``covet run`` twice on one database: what the first server stored, the second serves."""
    namespace = asyncio.run(open_namespace(backend, tmp_path, url_only=True))
    try:
        with _serve_example(namespace.url, tmp_path / "first.log") as first:
            url = f"http://127.0.0.1:{first.args[first.args.index('--port') + 1]}"
            note = httpx.post(f"{url}/api/notes", json={"title": "kept"}).json()
        with _serve_example(namespace.url, tmp_path / "second.log") as second:
            url = f"http://127.0.0.1:{second.args[second.args.index('--port') + 1]}"
            assert httpx.get(f"{url}/api/notes/{note['id']}").json() == note
            assert httpx.get(f"{url}/api/notes").json()["total"] == 1
    finally:
        asyncio.run(close_namespace(namespace))
