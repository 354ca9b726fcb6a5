"""Redis for the tests: the machine's server with a key prefix per test, or a throwaway one.

``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) is the shared server. A test that cannot
reach it skips on a developer machine and fails under ``CI=true``. :class:`ThrowawayRedis`
starts a private ``redis-server`` on a free port that a test may stop and start again, to
prove a feature's behaviour during an outage and its recovery afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.optional import missing
from tests.support.servers import free_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def shared_redis_url() -> str:
    """The machine's Redis URL, after checking that it answers (else :func:`missing`)."""
    host, port = _host_port(REDIS_URL)
    if not _answers_ping(host, port):
        missing(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def unique_prefix() -> str:
    """A key namespace no other test (or run) uses: ``covet-test:<random>:``."""
    return f"covet-test:{uuid.uuid4().hex[:12]}:"


def delete_namespace(url: str, namespace: str) -> None:
    """Delete every key under ``namespace`` on the Redis at ``url`` (a test's cleanup)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=namespace + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    """A fresh namespace on the shared Redis, emptied after the test (import it in a conftest)."""
    url = shared_redis_url()
    namespace = unique_prefix()
    try:
        yield namespace
    finally:
        delete_namespace(url, namespace)


class ThrowawayRedis:
    """A private ``redis-server`` on a free 127.0.0.1 port, nothing kept on disk.

    Use as a context manager; :meth:`stop` and :meth:`start` simulate an outage and the
    server's return on the same port. With ``unix_socket`` it listens on a Unix socket too
    (:attr:`socket_path`, short enough for the kernel's limit).
    """

    def __init__(self, workdir: Path, *, unix_socket: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server is not installed")
        self.binary: str = binary
        self.workdir = workdir
        self.port = free_port()
        self.socket_path = (
            Path(tempfile.gettempdir()) / f"covet-redis-{self.port}.sock" if unix_socket else None
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (again) and wait until it answers PING."""
        log = (self.workdir / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                *(["--unixsocket", str(self.socket_path)] if self.socket_path else []),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while not _answers_ping("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server and wait until its port refuses connections."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> ThrowawayRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _host_port(url: str) -> tuple[str, int]:
    rest = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = rest.partition(":")
    return host or "127.0.0.1", int(port or 6379)


def _answers_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
