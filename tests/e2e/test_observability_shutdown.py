"""SIGTERM with 50 slow requests in flight: every one completes, new ones are refused, exit 0."""

from __future__ import annotations

import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server

pytestmark = pytest.mark.e2e

IN_FLIGHT = 50
SLOW = 4.0
GRACE = 10.0


def _in_progress(url: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_in_progress" and sample.labels["method"] == "GET":
                return sample.value
    return 0.0


def _slow(client: httpx.Client) -> httpx.Response:
    with client:
        return client.get("/slow", params={"seconds": SLOW})


COMMANDS = {
    "uvicorn": ["-m", "uvicorn", "tests.e2e.observability_app:app", "--host", "127.0.0.1"],
    "covet-run": ["-m", "covet", "run", "tests.e2e.observability_app:app", "--host", "127.0.0.1"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_sigterm_lets_every_request_in_flight_finish(command: str, tmp_path: Path) -> None:
    require("uvicorn")
    require("prometheus_client")
    port = free_port()
    argv = [sys.executable, *COMMANDS[command], "--port", str(port), "--log-level", "info"]
    ready = lambda port: answers_http(port, "/healthz")  # noqa: E731
    url = f"http://127.0.0.1:{port}"
    with (
        running_server(argv, port=port, log_path=tmp_path / "server.log", ready=ready) as server,
        ThreadPoolExecutor(IN_FLIGHT) as pool,
    ):
        # Made first (each is a connection of its own), so the requests leave together.
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(IN_FLIGHT)]
        pending = [pool.submit(_slow, client) for client in clients]
        deadline = time.monotonic() + 10
        while _in_progress(url) < IN_FLIGHT + 1:  # the slow ones and this scrape
            assert time.monotonic() < deadline, "the slow requests did not all arrive"
            time.sleep(0.05)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/healthz", timeout=2)  # no new connection is accepted
        done = [f.exception() or f.result() for f in pending if f.done()]
        assert not done, done  # still running meanwhile
        responses = [future.result(timeout=GRACE) for future in pending]
        code = server.wait(timeout=GRACE)
        took = time.monotonic() - started
    assert [response.status_code for response in responses] == [200] * IN_FLIGHT
    if command == "covet-run":
        # covet run signals the app at once, so readiness (and handlers) see it while draining.
        assert all(response.json() == {"shutting_down": True} for response in responses)
    log = (tmp_path / "server.log").read_text()
    # uvicorn (since 0.29) re-raises the SIGTERM it handled once its graceful shutdown is
    # done, so the process ends "killed by SIGTERM" (-15, 143 in a shell), as process
    # managers expect; the lifespan's shutdown completing shows nothing was cut short.
    assert code in (0, -signal.SIGTERM), log
    assert "Application shutdown complete." in log
    # covet's own loggers (given a handler by `covet run`) write JSON lines as well.
    assert log.count('"logger":"covet.access"') >= IN_FLIGHT
    assert took < GRACE
