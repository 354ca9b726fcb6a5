"""Choosing a backend by URL, bad settings failing at start-up, and the missing extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from covet.exceptions import ConfigurationError
from covet.realtime import Channels
from covet.realtime.memory import MemoryBackend
from covet.realtime.postgres import PostgresBackend
from covet.realtime.redis import RedisBackend


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("memory://", MemoryBackend),
        ("redis://127.0.0.1:6379/0", RedisBackend),
        ("rediss://127.0.0.1:6380/0", RedisBackend),
        ("unix:///run/redis.sock", RedisBackend),
        ("postgresql://postgres@127.0.0.1/test", PostgresBackend),
        ("postgres://postgres@127.0.0.1/test", PostgresBackend),
        ("postgresql+asyncpg://postgres@127.0.0.1/test", PostgresBackend),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_the_url_chooses_the_backend(url: str, backend: type) -> None:
    assert isinstance(Channels(url).backend, backend)


def test_options_come_from_the_query_or_keywords_which_win() -> None:
    backend = Channels("redis://127.0.0.1/0?namespace=app:&socket_timeout=0.5").backend
    assert isinstance(backend, RedisBackend)
    assert (backend.namespace, backend.socket_timeout) == ("app:", 0.5)
    backend = Channels("redis://127.0.0.1/0?socket_timeout=0.5", socket_timeout=3).backend
    assert isinstance(backend, RedisBackend)
    assert backend.socket_timeout == 3
    backend = Channels("postgresql://u@h/db?connect_timeout=1&sslmode=disable").backend
    assert isinstance(backend, PostgresBackend)
    assert backend.connect_timeout == 1


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("mqtt://broker", {}, "unknown scheme; use one of: memory://, redis://"),
        ("memory://somewhere", {}, "takes no host"),
        ("memory://", {"namespace": "x"}, "takes no host, path or options"),
        ("memory://", {"history": -1}, "history must be a whole number >= 0"),
        ("memory://", {"history": True}, "history must be a whole number"),
        ("memory://", {"max_queue": 0}, "max_queue must be a whole number >= 1"),
        ("memory://", {"on_overflow": "block"}, "on_overflow must be one of"),
        ("postgresql://u:pw@h/db?command_timeout=-1", {}, "command_timeout must be a positive"),
    ],
    ids=[
        "scheme",
        "memory-host",
        "memory-option",
        "history",
        "history-bool",
        "queue",
        "policy",
        "pg-timeout",
    ],
)
def test_bad_settings_fail_when_built(url: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as refused:
        Channels(url, **options)
    assert "pw@" not in str(refused.value)


def test_a_bad_subscription_setting_fails_at_once() -> None:
    channels = Channels()
    with pytest.raises(ConfigurationError, match="on_overflow"):
        channels.subscribe("room", on_overflow="wait")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="max_queue"):
        channels.subscribe("room", max_queue=-5)


WITHOUT_EXTRA = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("redis", "asyncpg"):
                raise ImportError("blocked: " + name)

    sys.meta_path.insert(0, Block())
    from covet.exceptions import MissingDependencyError
    from covet.realtime import Channels

    Channels("memory://")
    for url in ("redis://127.0.0.1:6379/0", "postgresql://postgres@127.0.0.1/test"):
        try:
            Channels(url)
        except MissingDependencyError as exc:
            print(exc)
    assert "redis" not in sys.modules and "asyncpg" not in sys.modules
    """
)


def test_without_the_extra_memory_works_and_the_others_name_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all("pip install 'covetpy[realtime]'" in line for line in lines)
