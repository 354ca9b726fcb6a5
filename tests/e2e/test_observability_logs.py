"""JSON logs under a real uvicorn: the server's own records and the app's in one format."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server

pytestmark = pytest.mark.e2e


def test_uvicorn_and_app_records_are_json_lines_with_one_access_line(tmp_path: Path) -> None:
    require("uvicorn")
    port = free_port()
    log_path = tmp_path / "server.log"
    argv = [sys.executable, "-m", "uvicorn", "tests.e2e.observability_app:app"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    ready = lambda port: answers_http(port, "/healthz")  # noqa: E731
    with running_server(argv, port=port, log_path=log_path, ready=ready):
        response = httpx.get(f"http://127.0.0.1:{port}/items/5", timeout=10)
        assert response.status_code == 200
    records: list[dict[str, Any]] = []
    for line in log_path.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    messages = {(record["logger"], record["message"]) for record in records}
    # uvicorn's own records, after the lifespan configured logging, are JSON too.
    assert ("uvicorn.error", "Application startup complete.") in messages
    app_line = next(r for r in records if r["logger"] == "e2e.shop")
    assert app_line["message"] == "item 5 served"
    assert app_line["service"] == "e2e-shop"
    access = [r for r in records if r["logger"] == "covet.access" and r["path"] == "/items/5"]
    assert len(access) == 1
    assert access[0]["route"] == "/items/{item_id}"
    assert access[0]["request_id"] == app_line["request_id"] == response.headers["x-request-id"]
    assert access[0]["client"].startswith("127.0.0.1:")
    # uvicorn's own access line is replaced by covet's, not written as well.
    assert '"GET /items/5 HTTP/1.1" 200' not in log_path.read_text()
