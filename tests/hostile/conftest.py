"""A uvicorn subprocess serving ``wire_app`` for the tests that write raw bytes to a socket."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.servers import free_port, running_server

SECRET = "wire-secret-5d0a"


@dataclass(frozen=True, slots=True)
class WireServer:
    """Where the raw-socket server listens, and the secret its exceptions carry."""

    host: str
    port: int
    secret: str


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
    port = free_port()
    argv = [
        *(sys.executable, "-m", "uvicorn", "tests.hostile.wire_app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"),
        *("--log-level", "warning"),
    ]
    with running_server(
        argv,
        port=port,
        env={**os.environ, "COVET_HOSTILE_SECRET": SECRET},
        log_path=tmp_path_factory.mktemp("wire") / "uvicorn.log",
        ready=_answers,
    ):
        yield WireServer("127.0.0.1", port, SECRET)
