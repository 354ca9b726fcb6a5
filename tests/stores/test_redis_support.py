"""The test Redis helpers: the shared server answers, a throwaway one stops and starts."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.redis import ThrowawayRedis, shared_redis_url, unique_prefix


def test_the_shared_redis_answers() -> None:
    assert shared_redis_url().startswith("redis://")


def test_prefixes_are_unique() -> None:
    assert unique_prefix() != unique_prefix()


def test_a_throwaway_redis_stops_and_starts_on_its_port(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path) as server:
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        server.stop()
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            raise AssertionError("the stopped server still accepts connections")
        except ConnectionRefusedError:
            pass
        server.start()
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
