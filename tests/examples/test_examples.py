"""The example applications answer every endpoint they advertise."""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from covet.testing import TestClient

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
