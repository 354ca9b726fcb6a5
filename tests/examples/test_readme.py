"""The code shown in README.md runs and does what the text around it says."""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path
from types import ModuleType

import pytest

from covet.testing import TestClient
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def run_block(marker: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Run the README block containing ``marker`` as a module of its own."""
    (source,) = [block for block in BLOCKS if marker in block]
    module = ModuleType("readme_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look it up
    exec(compile(source, str(README), "exec"), module.__dict__)
    return module


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    return TestClient(run_block("class ItemIn", monkeypatch).app)


def test_typed_handler_example_creates_an_item(shop: TestClient) -> None:
    response = shop.post(
        "/items?limit=5",
        json={"name": "pen", "price": 1, "tags": ["a"], "password": "x"},
        headers={"x-token": "secret"},
    )
    assert response.status_code == 201
    assert response.json() == {"name": "pen", "price": 1.0, "tags": ["a"], "in_stock": True}


def test_typed_handler_example_lists_every_problem(shop: TestClient) -> None:
    response = shop.post(
        "/items?limit=0", json={"name": 1, "tags": "x"}, headers={"x-token": "secret"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["body", "name"], "string_type"),
        (["body", "price"], "missing"),
        (["body", "tags"], "list_type"),
        (["query", "limit"], "greater_than_equal"),
    ]
    assert all(e["msg"] for e in response.json()["errors"])


def test_typed_handler_example_refuses_a_bad_token(shop: TestClient) -> None:
    response = shop.post("/items", json={"name": "p", "price": 1, "tags": []})
    assert response.status_code == 422  # the header is missing: located, not a 500
    assert response.json()["errors"][0]["loc"] == ["header", "x-token"]
    bad = shop.post("/items", json={"name": "p", "price": 1, "tags": []}, headers={"x-token": "?"})
    assert bad.status_code == 401


def test_typed_handler_example_documents_itself(shop: TestClient) -> None:
    document = shop.get("/openapi.json").json()
    operation = document["paths"]["/items"]["post"]
    assert document["info"] == {"title": "Shop", "version": "1.0"}
    assert operation["operationId"] == "create_item"
    assert operation["summary"] == "Create an item."
    assert operation["tags"] == ["items"]
    assert set(operation["responses"]) >= {"201", "422"}
    assert shop.get("/docs").status_code == 200
    assert shop.get("/redoc").status_code == 200


def test_quick_start_example_greets(monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(run_block("async def greet_user", monkeypatch).app)
    assert client.get("/hello/Ann").json() == {"greeting": "Hello, Ann!"}


@pytest.mark.parametrize("store_url", ["memory://", "redis"])
def test_production_protection_example_guards_every_request(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = unique_prefix()
    if store_url == "redis":
        store_url = f"{shared_redis_url()}?namespace={namespace}"
    monkeypatch.setenv("STORE_URL", store_url)
    monkeypatch.setenv("SESSION_SECRET", secrets.token_urlsafe(32))
    module = run_block("SecurityHeadersMiddleware", monkeypatch)
    behind_the_balancer = {"client": ("127.0.0.1", 50000), "base_url": "https://shop.example.org"}
    forwarded = {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"}

    try:
        with TestClient(module.app, **behind_the_balancer) as client:  # type: ignore[arg-type]
            first = client.post("/login", headers=forwarded)
            assert first.status_code == 200
            assert first.headers["x-request-id"]
            assert first.headers["strict-transport-security"].startswith("max-age=")
            assert first.headers["x-frame-options"] == "DENY"
            assert client.get("/me", headers=forwarded).json() == {"user": "ann"}
            attempts = [client.post("/login", headers=forwarded).status_code for _ in range(5)]
            assert attempts == [200, 200, 200, 200, 429]
            cors = client.get(
                "/me", headers={**forwarded, "Origin": "https://app.example.org"}
            ).headers
            assert cors["access-control-allow-origin"] == "https://app.example.org"
            assert cors["access-control-allow-credentials"] == "true"

        with TestClient(module.app, base_url="https://evil.example") as stranger:
            refused = stranger.get("/me")
            assert refused.status_code == 400
            assert refused.headers["x-content-type-options"] == "nosniff"
            assert refused.headers["x-request-id"]
    finally:
        if store_url.startswith("redis"):
            delete_namespace(shared_redis_url(), namespace)
