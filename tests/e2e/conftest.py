"""Real ASGI servers (uvicorn, hypercorn, granian) running ``app_under_test`` in subprocesses.

Each server starts once per module on 127.0.0.1 and a free port, from the repository root,
and is stopped (terminate, then kill) when the module is done.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server

APP_MODULE = "tests.e2e.app_under_test"
BODY_LIMIT = 64 * 1024
SECRET = "s3cr3t-e2e-token-7f1c"


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A running server: where to reach it and how its app was configured."""

    name: str
    url: str
    marker_dir: Path
    secret: str
    body_limit: int

    @property
    def ws_url(self) -> str:
        """The base URL with the ``ws`` scheme."""
        return "ws" + self.url.removeprefix("http")


def _uvicorn(target: str, port: int, *extra: str) -> list[str]:
    return [
        *("-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)),
        *("--lifespan", "on", "--log-level", "warning", *extra),
    ]


def _hypercorn(target: str, port: int, *extra: str) -> list[str]:
    return ["-m", "hypercorn", target, "--bind", f"127.0.0.1:{port}", *extra]


def _granian(target: str, port: int, *extra: str) -> list[str]:
    return [
        *("-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", "1", "--log-level", "warning", *extra, target),
    ]


COMMANDS: dict[str, Callable[..., list[str]]] = {
    "uvicorn": _uvicorn,
    "hypercorn": _hypercorn,
    "granian": _granian,
}


@contextlib.contextmanager
def run_server(
    name: str, target: str, workdir: Path, *extra: str, probe: str = "/json"
) -> Iterator[LiveServer]:
    """Start server ``name`` serving ``target``; yield it once it answers ``probe``."""
    port = free_port()
    marker_dir = workdir / "markers"
    marker_dir.mkdir()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "COVET_E2E_MARKER_DIR": str(marker_dir),
        "COVET_E2E_SECRET": SECRET,
        "COVET_E2E_BODY_LIMIT": str(BODY_LIMIT),
    }
    with running_server(
        [sys.executable, *COMMANDS[name](target, port, *extra)],
        port=port,
        env=env,
        log_path=workdir / "server.log",
        ready=functools.partial(answers_http, path=probe),
    ):
        yield LiveServer(name, f"http://127.0.0.1:{port}", marker_dir, SECRET, BODY_LIMIT)


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn", "granian"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Each server in turn, serving ``app_under_test:app`` at the root."""
    name: str = request.param
    if name == "granian":
        require("granian")
    with run_server(name, f"{APP_MODULE}:app", tmp_path_factory.mktemp(name)) as live:
        yield live


@pytest.fixture(scope="module")
def root_path_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn with ``--root-path /api``, as behind a proxy that strips ``/api``."""
    workdir = tmp_path_factory.mktemp("uvicorn-root-path")
    with run_server("uvicorn", f"{APP_MODULE}:app", workdir, "--root-path", "/api") as live:
        yield live


@pytest.fixture(scope="module")
def prefixed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn serving ``prefixed_app`` (``root_path="/api"``), behind a non-stripping proxy."""
    workdir = tmp_path_factory.mktemp("uvicorn-prefixed")
    target = f"{APP_MODULE}:prefixed_app"
    with run_server("uvicorn", target, workdir, probe="/api/items/1") as live:
        yield live


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    """An httpx client addressed to the current server."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        yield client
