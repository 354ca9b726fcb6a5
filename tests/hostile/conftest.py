"""A uvicorn subprocess serving ``wire_app`` for the tests that write raw bytes to a socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 15.0
SECRET = "wire-secret-5d0a"


@dataclass(frozen=True, slots=True)
class WireServer:
    """Where the raw-socket server listens, and the secret its exceptions carry."""

    host: str
    port: int
    secret: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.1")
    except OSError:
        return False


@pytest.fixture(scope="module")
def wire_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WireServer]:
    """uvicorn (httptools, proxy headers off) serving ``tests.hostile.wire_app:app``."""
    port = _free_port()
    log = tmp_path_factory.mktemp("wire") / "uvicorn.log"
    argv = [
        *(sys.executable, "-m", "uvicorn", "tests.hostile.wire_app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"),
        *("--log-level", "warning"),
    ]
    env = {**os.environ, "COVET_HOSTILE_SECRET": SECRET}
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield WireServer("127.0.0.1", port, SECRET)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
