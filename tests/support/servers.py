"""Real server subprocesses for the tests: a free port, start, wait until ready, always stop.

Each server runs from the repository root in its own session (so its workers form one process
group), with stdout and stderr going to a log file whose text any startup failure shows.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHUTDOWN_TIMEOUT = 10.0
POLL_INTERVAL = 0.05


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers_http(port: int, path: str = "/") -> bool:
    """Return whether ``GET path`` on 127.0.0.1:``port`` gets any HTTP response, error or not."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=0.5):
            return True
    except urllib.error.HTTPError as error:
        error.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


@contextlib.contextmanager
def running_server(
    argv: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str] | None = None,
    log_path: Path,
    ready: Callable[[int], bool],
    timeout: float = 15.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``argv`` from the repository root and yield it once ``ready(port)`` is true.

    The server is stopped when the block ends, however it ends. Startup fails the test, with
    the log text, if the process exits first or is not ready within ``timeout`` seconds.
    """
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            list(argv),
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(process, port, ready, timeout, log_path)
        yield process
    finally:
        _stop(process)


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    port: int,
    ready: Callable[[int], bool],
    timeout: float,
    log_path: Path,
) -> None:
    deadline = time.monotonic() + timeout
    while not ready(port):
        if process.poll() is not None:
            pytest.fail(f"Server exited with {process.returncode}:\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(
                f"Server on port {port} was not ready within {timeout} s:\n{log_path.read_text()}"
            )
        time.sleep(POLL_INTERVAL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        # The server ignored SIGTERM: kill it and any worker it spawned (its own group).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=SHUTDOWN_TIMEOUT)


@contextlib.contextmanager
def two_servers(app: str, workdir: Path, env: Mapping[str, str]) -> Iterator[list[str]]:
    """Two uvicorn processes serving ``app`` (``module:attribute``); their base URLs."""
    with uvicorn_servers(app, workdir, env, count=2) as urls:
        yield urls


@contextlib.contextmanager
def uvicorn_servers(
    app: str, workdir: Path, env: Mapping[str, str], *, count: int
) -> Iterator[list[str]]:
    """``count`` uvicorn processes serving ``app`` (``module:attribute``); their base URLs.

    ``env`` is added to this process's environment; each server is ready once its
    ``/health`` answers, and its log is ``workdir/server-<n>.log``.
    """
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    with contextlib.ExitStack() as stack:
        urls = []
        for index in range(count):
            port = free_port()
            argv = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"]
            argv += ["--port", str(port), "--lifespan", "on", "--log-level", "warning"]
            stack.enter_context(
                running_server(
                    argv,
                    port=port,
                    env=environment,
                    log_path=workdir / f"server-{index}.log",
                    ready=functools.partial(answers_http, path="/health"),
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
