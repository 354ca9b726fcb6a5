"""RedisStore on real servers: namespaces, exact limits across processes, outages, URLs.

The contract every store keeps runs on Redis too (``tests/stores/test_contract.py``, the
``[redis]`` ids); these tests cover what only Redis has. They use the shared server in a
namespace of their own, or a :class:`ThrowawayRedis` when they stop, flush or reconfigure it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.stores import RedisStore, StoreUnavailableError, store_from_url
from covet.testing import TestClient
from tests.support.redis import ThrowawayRedis, delete_namespace, shared_redis_url

pytestmark = pytest.mark.anyio


@pytest.fixture
def throwaway(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis(tmp_path) as server:
        yield server


def sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


# -- keys and namespaces ---------------------------------------------------------------------


async def test_namespaces_keep_stores_apart_on_one_server(redis_namespace: str) -> None:
    url = shared_redis_url()
    first = RedisStore(url, namespace=redis_namespace + "one:")
    second = RedisStore(url, namespace=redis_namespace + "two:")
    try:
        await first.set("key", b"first")
        await second.set("key", b"second")
        await first.set_add("members", "a")
        assert await first.incr("n") == 1
        assert await second.incr("n") == 1
        assert await first.get("key") == b"first"
        assert await second.get("key") == b"second"
        assert await second.set_members("members") == frozenset()
        assert (await first.rate_limit("rl", limit=1, period=60)).allowed
        assert (await second.rate_limit("rl", limit=1, period=60)).allowed
        assert await second.delete("key", "n") == 2
        assert await first.get("key") == b"first"
    finally:
        await first.close()
        await second.close()
    raw = sync_client(url)
    try:
        assert raw.get(redis_namespace + "one:key") == b"first"
        assert raw.get(redis_namespace + "two:key") is None
        assert raw.smembers(redis_namespace + "one:members") == {b"a"}
    finally:
        raw.close()


def test_the_default_url_and_namespace() -> None:
    store = RedisStore()
    assert (store.url, store.namespace) == ("redis://127.0.0.1:6379/0", "covet:")
    assert (store.socket_timeout, store.connect_timeout, store.pool_timeout) == (1.0, 1.0, 1.0)
    assert store.max_connections == 50
    assert (
        repr(RedisStore.from_url()) == "RedisStore('redis://127.0.0.1:6379/0', namespace='covet:')"
    )


# -- exact under concurrency -----------------------------------------------------------------


async def test_200_concurrent_rate_limits_at_50_allow_exactly_50(redis_namespace: str) -> None:
    # Fewer connections than callers: the rest wait for a free one instead of failing.
    store = RedisStore(shared_redis_url(), namespace=redis_namespace, max_connections=8)
    try:
        decisions = await asyncio.gather(
            *(store.rate_limit("client", limit=50, period=3600) for _ in range(200))
        )
    finally:
        await store.close()
    assert sum(d.allowed for d in decisions) == 50
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(50))


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from covet.stores import RedisStore

    async def main():
        store = RedisStore(sys.argv[1], namespace=sys.argv[2])
        await store.ping()  # connected before the start, so no process gets a head start
        time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
        allowed = 0
        for _ in range(6):  # six bursts of ten, interleaved with the other processes'
            decisions = await asyncio.gather(
                *(store.rate_limit("shared", limit=50, period=3600) for _ in range(10))
            )
            allowed += sum(d.allowed for d in decisions)
            await asyncio.sleep(0.01)
        await store.close()
        print(allowed)

    asyncio.run(main())
    """
)


def test_several_processes_share_one_exact_limit(redis_namespace: str) -> None:
    # Every child starts its burst at the same moment; ten seconds leave room for four
    # interpreters to start on a loaded two-core machine (three were too few under load).
    start_at = str(time.time() + 10)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, shared_redis_url(), redis_namespace, start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    allowed = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        allowed.append(int(out))
    assert sum(allowed) == 50  # 240 requests from 4 processes, one limit of 50
    assert len([count for count in allowed if count]) >= 2


# -- scripts ---------------------------------------------------------------------------------


# What the test's own redis-py client sends to read and reset the statistics.
HELPER_COMMANDS = {"info", "config|resetstat", "hello", "client|setinfo"}


def command_calls(url: str) -> dict[str, int]:
    """Calls per command since the last reset (a script's own commands count too)."""
    raw = sync_client(url)
    try:
        stats: dict[str, Any] = raw.info("commandstats")
    finally:
        raw.close()
    return {
        name.removeprefix("cmdstat_"): stat["calls"]
        for name, stat in stats.items()
        if name.removeprefix("cmdstat_") not in HELPER_COMMANDS
    }


def reset_stats(url: str) -> None:
    raw = sync_client(url)
    try:
        raw.config_resetstat()
    finally:
        raw.close()


async def test_a_rate_limit_is_one_evalsha_round_trip(throwaway: ThrowawayRedis) -> None:
    store = RedisStore(throwaway.url)
    try:
        await store.rate_limit("warm", limit=5, period=60)  # connects and loads the script
        reset_stats(throwaway.url)
        for _ in range(20):
            await store.rate_limit("client", limit=5, period=60)
        # One EVALSHA each; TIME, GET and SET (5 allowed) ran inside the script.
        assert command_calls(throwaway.url) == {"evalsha": 20, "time": 20, "get": 20, "set": 5}
    finally:
        await store.close()


async def test_scripts_flushed_from_redis_are_loaded_again_once(throwaway: ThrowawayRedis) -> None:
    store = RedisStore(throwaway.url)
    try:
        assert (await store.rate_limit("k", limit=3, period=60)).remaining == 2
        assert await store.incr("n", ttl=60) == 1
        await store.set_add("s", "a", ttl=60)
        raw = sync_client(throwaway.url)
        raw.script_flush()
        raw.close()
        reset_stats(throwaway.url)
        for _ in range(5):
            await store.rate_limit("k", limit=3, period=60)
            await store.incr("n", ttl=60)
            await store.set_add("s", "b", ttl=60)
        assert await store.incr("n", ttl=60) == 7
        assert await store.set_members("s") == {"a", "b"}
        assert not (await store.rate_limit("k", limit=3, period=60)).allowed
        calls = command_calls(throwaway.url)
        assert calls["script|load"] == 3  # once per script, not per call
        assert calls["evalsha"] == 15 + 3 + 1 + 1
    finally:
        await store.close()


# -- outages ---------------------------------------------------------------------------------


async def every_operation_fails_fast(store: RedisStore, bound: float) -> None:
    """Each operation raises StoreUnavailableError within ``bound`` seconds."""
    operations = [
        store.get("k"),
        store.set("k", b"v", ttl=5),
        store.delete("k"),
        store.incr("n"),
        store.incr("n", ttl=5),
        store.rate_limit("rl", limit=5, period=60),
        store.set_add("s", "a", ttl=5),
        store.set_remove("s", "a"),
        store.set_members("s"),
        store.ping(),
    ]
    for operation in operations:
        start = time.perf_counter()
        with pytest.raises(StoreUnavailableError) as info:
            await operation
        assert time.perf_counter() - start < bound
        assert str(info.value).startswith(repr(store))


async def test_an_outage_raises_unavailable_quickly_and_the_store_recovers(
    throwaway: ThrowawayRedis,
) -> None:
    store = RedisStore(throwaway.url, namespace="app:")
    try:
        await store.set("k", b"before")
        assert await store.health() is True
        throwaway.stop()
        await every_operation_fails_fast(store, bound=1.5)
        assert await store.health() is False
        throwaway.start()  # the same port, empty (nothing kept on disk)
        assert await store.health() is True
        assert await store.get("k") is None
        await store.set("k", b"after")
        assert await store.get("k") == b"after"
        assert (await store.rate_limit("rl", limit=5, period=60)).remaining == 4
    finally:
        await store.close()


async def test_a_server_that_never_answers_times_out_instead_of_hanging() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections complete in the backlog; nothing ever replies
        port = silent.getsockname()[1]
        store = RedisStore(f"redis://127.0.0.1:{port}/0", socket_timeout=0.2, pool_timeout=0.2)
        try:
            await every_operation_fails_fast(store, bound=1.0)
            assert await store.health() is False
        finally:
            await store.close()


async def test_a_read_only_replica_is_unavailable_for_writes(throwaway: ThrowawayRedis) -> None:
    store = RedisStore(throwaway.url)
    raw = sync_client(throwaway.url)
    try:
        await store.set("k", b"1")
        raw.replicaof("127.0.0.1", throwaway.port)  # ... a master that is itself: never syncs
        with pytest.raises(StoreUnavailableError, match=r"READONLY|read only"):
            await store.set("k", b"2")
        with pytest.raises(StoreUnavailableError):
            await store.rate_limit("rl", limit=5, period=60)
        raw.replicaof("NO", "ONE")
        await store.set("k", b"3")
        assert await store.get("k") == b"3"
    finally:
        raw.close()
        await store.close()


async def test_redis_busy_with_a_script_is_unavailable_then_answers(
    throwaway: ThrowawayRedis,
) -> None:
    raw = sync_client(throwaway.url)
    raw.config_set("busy-reply-threshold", 100)  # milliseconds before others get BUSY
    spin = "local t = redis.call('TIME')[1] while redis.call('TIME')[1] - t < 2 do end"
    store = RedisStore(throwaway.url, socket_timeout=3)
    try:
        busy = threading.Thread(target=raw.eval, args=(spin, 0))
        busy.start()
        await asyncio.sleep(0.4)
        with pytest.raises(StoreUnavailableError, match="BUSY"):
            await store.get("k")
        busy.join()
        assert await store.get("k") is None
    finally:
        raw.close()
        await store.close()


async def test_a_command_redis_refuses_is_raised_not_called_an_outage(
    redis_namespace: str,
) -> None:
    store = RedisStore(shared_redis_url(), namespace=redis_namespace)
    try:
        await store.set("n", b"%d" % (2**63 - 1))
        with pytest.raises(redis.exceptions.ResponseError, match="overflow"):
            await store.incr("n")
        assert await store.health() is True
    finally:
        await store.close()


async def test_a_wrong_password_is_unavailable_and_the_message_masks_it(
    throwaway: ThrowawayRedis,
) -> None:
    raw = sync_client(throwaway.url)
    raw.config_set("requirepass", "right-one")
    raw.close()
    port = throwaway.port
    wrong = RedisStore(f"redis://:hunter2@127.0.0.1:{port}/0")
    right = RedisStore(f"redis://:right-one@127.0.0.1:{port}/0")
    try:
        with pytest.raises(StoreUnavailableError) as info:
            await wrong.get("k")
        assert "hunter2" not in str(info.value)
        assert ":***@" in str(info.value)
        assert await wrong.health() is False
        await right.set("k", b"1")
        assert await right.get("k") == b"1"
        assert "right-one" not in repr(right)
    finally:
        await wrong.close()
        await right.close()


async def test_rediss_speaks_tls(throwaway: ThrowawayRedis) -> None:
    # The throwaway server speaks plain text, so a TLS store cannot talk to it.
    store = store_from_url(f"rediss://127.0.0.1:{throwaway.port}/0")
    try:
        assert await store.health() is False
    finally:
        await store.close()


async def test_a_unix_socket_url(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path, unix_socket=True) as server:
        store = store_from_url(f"unix://{server.socket_path}?db=3&namespace=sock:")
        try:
            await store.set("k", b"over the socket")
        finally:
            await store.close()
        raw = redis.Redis(unix_socket_path=str(server.socket_path), db=3)
        assert raw.get("sock:k") == b"over the socket"
        raw.close()


# -- the pool --------------------------------------------------------------------------------


def covet_connections(url: str) -> int:
    raw = sync_client(url)
    try:
        return sum(client["name"] == "covet" for client in raw.client_list())
    finally:
        raw.close()


def test_the_lifespan_closes_the_pool_and_a_second_run_reconnects(
    throwaway: ThrowawayRedis,
) -> None:
    store = RedisStore(throwaway.url, max_connections=4)
    app = CovetPy(lifespan=store.lifespan)

    @app.post("/visits")
    async def visit() -> dict[str, int]:
        return {"visits": await store.incr("visits")}

    for expected in (1, 2):  # two runs: two event loops, one store
        with TestClient(app) as client:
            assert client.post("/visits").json() == {"visits": expected}
            assert 1 <= covet_connections(throwaway.url) <= 4
        assert covet_connections(throwaway.url) == 0


async def test_close_disconnects_and_a_later_command_reconnects(throwaway: ThrowawayRedis) -> None:
    store = RedisStore(throwaway.url)
    await store.set("k", b"1")
    assert covet_connections(throwaway.url) == 1
    await store.close()
    assert covet_connections(throwaway.url) == 0
    assert await store.get("k") == b"1"
    assert covet_connections(throwaway.url) == 1
    await store.close()
    await store.close()


# -- URLs and options ------------------------------------------------------------------------


def test_store_from_url_reads_the_query_and_keywords_win() -> None:
    store = store_from_url(
        "redis://:s3cret@127.0.0.1:6379/2?namespace=app:&socket_timeout=0.5&"
        "connect_timeout=0.25&pool_timeout=2&max_connections=7",
        pool_timeout=3,
    )
    assert isinstance(store, RedisStore)
    assert store.namespace == "app:"
    assert (store.socket_timeout, store.connect_timeout, store.pool_timeout) == (0.5, 0.25, 3.0)
    assert store.max_connections == 7
    assert "s3cret" not in repr(store)
    assert repr(store).startswith("RedisStore('redis://:***@127.0.0.1:6379/2?namespace=app:")
    assert isinstance(store_from_url("REDIS://127.0.0.1"), RedisStore)


async def test_the_url_picks_the_database(redis_namespace: str) -> None:
    base = shared_redis_url().rsplit("/", 1)[0]
    store = store_from_url(f"{base}/5?namespace={redis_namespace}")
    try:
        await store.set("k", b"in five")
    finally:
        await store.close()
    raw = redis.Redis.from_url(f"{base}/5")
    try:
        assert raw.get(redis_namespace + "k") == b"in five"
    finally:
        raw.close()
        delete_namespace(f"{base}/5", redis_namespace)


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("redis://:pw1@h/0?colour=blue", {}, "unknown option 'colour'"),
        ("redis://:pw1@h/0?socket_timeout=soon", {}, "socket_timeout must be a positive"),
        ("redis://:pw1@h/0?connect_timeout=0", {}, "connect_timeout must be a positive"),
        ("redis://:pw1@h/0?pool_timeout=inf", {}, "pool_timeout must be a positive"),
        ("redis://:pw1@h/0?max_connections=0", {}, "max_connections must be an integer"),
        ("redis://:pw1@h/0?db=-1", {}, "db must be an integer"),
        ("redis://:pw1@h/zero", {}, "the path is the database number"),
        ("redis://:pw1@h:port/0", {}, "is malformed"),
        ("unix://:pw1@", {}, "names no socket"),
        ("redis://:pw1@h/0", {"socket_timeout": -1}, "socket_timeout must be a positive"),
        ("redis://:pw1@h/0", {"max_connections": 2.5}, "max_connections must be a positive"),
        ("redis://:pw1@h/0", {"namespace": 3}, "namespace must be a string"),
    ],
    ids=[
        "unknown-option",
        "timeout-not-a-number",
        "timeout-zero",
        "timeout-infinite",
        "no-connections",
        "negative-db",
        "path-not-a-db",
        "port-not-a-number",
        "unix-without-a-socket",
        "keyword-timeout",
        "keyword-connections",
        "keyword-namespace",
    ],
)
def test_a_bad_redis_url_or_option_is_a_configuration_error_with_the_password_masked(
    url: str, options: dict[str, Any], message: str
) -> None:
    for build in (store_from_url, RedisStore.from_url):
        with pytest.raises(ConfigurationError, match=message) as info:
            build(url, **options)
        assert "pw1" not in str(info.value)


def test_redis_store_refuses_other_schemes() -> None:
    with pytest.raises(ConfigurationError, match="must start with redis://") as info:
        RedisStore("memcached://:pw1@h")
    assert "pw1" not in str(info.value)


# -- without redis-py ------------------------------------------------------------------------

WITHOUT_REDIS = textwrap.dedent(
    """
    import sys, importlib.abc

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "redis":
                raise ImportError("blocked: " + name)

    sys.meta_path.insert(0, Block())
    from covet.exceptions import MissingDependencyError
    from covet.stores import MemoryStore, RedisStore, store_from_url

    assert isinstance(store_from_url("memory://"), MemoryStore)
    for build in (RedisStore, lambda: store_from_url("redis://127.0.0.1:6379/0")):
        try:
            build()
        except MissingDependencyError as exc:
            print(exc)
    assert "redis" not in sys.modules
    """
)


def test_without_redis_py_memory_works_and_redis_names_the_extra() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_REDIS], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all("pip install 'covetpy[redis]'" in line for line in lines)
