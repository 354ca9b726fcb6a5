"""Shutdown with open WebSockets and SSE streams on channels: ``covet run`` drains them.

On SIGTERM the app's ``shutting_down`` is set at once (``covet run``): every subscription
ends, WebSocket members close with 1001 (going away), SSE streams finish, and the process
exits well within the grace period instead of waiting for the clients.
"""

from __future__ import annotations

import asyncio
import http.client
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_sigterm_closes_websockets_with_1001_and_ends_sse_streams(tmp_path: Path) -> None:
    require("uvicorn")
    port = free_port()
    argv = [sys.executable, "-m", "covet", "run", "tests.e2e.realtime_app:app"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    url = f"http://127.0.0.1:{port}"
    ready = lambda port: answers_http(port, "/health")  # noqa: E731
    with running_server(argv, port=port, log_path=tmp_path / "server.log", ready=ready) as server:
        sockets = [
            await connect(f"ws://127.0.0.1:{port}/rooms/lobby?client=c{n}", open_timeout=10)
            for n in range(3)
        ]
        for ws in sockets:
            await asyncio.wait_for(ws.recv(), 10)  # joined
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        stream.request("GET", "/feed/lobby")
        response = stream.getresponse()
        assert response.read1(65536).startswith(b": subscribed")
        async with httpx.AsyncClient() as client:
            published = await client.post(
                f"{url}/rooms/lobby/publish", params={"publisher": "p", "seq": 1}
            )
            assert published.status_code == 200
        assert b'"seq":1' in await asyncio.to_thread(response.read1, 65536)
        for ws in sockets:
            assert '"seq":1' in await asyncio.wait_for(ws.recv(), 10)

        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        codes = []
        for ws in sockets:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            codes.append(closed.value.rcvd.code if closed.value.rcvd else None)
        assert codes == [1001, 1001, 1001]
        rest = await asyncio.to_thread(response.read)  # the stream ends: no hang
        assert b"data:" not in rest
        returncode = await asyncio.to_thread(server.wait, 10)
        took = time.monotonic() - started
        stream.close()
    log = (tmp_path / "server.log").read_text()
    # uvicorn re-raises the SIGTERM it handled once its graceful shutdown is done (-15).
    assert returncode in (0, -signal.SIGTERM), log
    assert "Application shutdown complete." in log
    assert took < 5  # nothing waited for the clients to leave
