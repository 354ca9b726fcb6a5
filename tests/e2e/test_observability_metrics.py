"""Two real uvicorn workers in prometheus-client's multiprocess mode report together."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server

pytestmark = pytest.mark.e2e


def _requests_total(text: str, route: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels["route"] == route:
                total += sample.value
    return total


def test_two_workers_report_their_requests_together(tmp_path: Path) -> None:
    require("uvicorn")
    require("prometheus_client")
    folder = tmp_path / "prometheus"
    folder.mkdir()
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "tests.e2e.observability_app:app", "--workers", "2"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    ready = lambda port: answers_http(port, "/healthz")  # noqa: E731
    with running_server(argv, port=port, env=env, log_path=tmp_path / "server.log", ready=ready):
        url = f"http://127.0.0.1:{port}"
        pids: set[int] = set()
        made = 0
        # A new connection each time, so the kernel hands requests to both workers.
        while len(pids) < 2 or made < 40:
            assert made < 2000, f"only worker(s) {pids} answered"
            pids.add(httpx.get(f"{url}/pid", timeout=10).json())
            made += 1
        assert len(pids) == 2
        scrapes = [httpx.get(f"{url}/metrics", timeout=10) for _ in range(6)]
    for scrape in scrapes:
        assert scrape.status_code == 200
        # Whichever worker answered the scrape, it counts every request of both.
        assert _requests_total(scrape.text, "/pid") == made
    assert len(list(folder.glob("*.db"))) >= 2  # each worker wrote its own values
