"""MemoryStore's own promises: bounded size, expired keys evicted first, then LRU."""

from __future__ import annotations

import pytest

from covet.stores import MemoryStore

pytestmark = pytest.mark.anyio


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_max_entries_is_never_exceeded_and_the_newest_keys_stay() -> None:
    store = MemoryStore(max_entries=10)
    for number in range(100):
        await store.set(f"k{number}", b"v")
        assert len(store) <= 10
    assert [await store.get(f"k{number}") for number in range(90, 100)] == [b"v"] * 10
    assert await store.get("k89") is None


async def test_a_full_store_evicts_expired_keys_before_live_ones() -> None:
    clock = Clock()
    store = MemoryStore(max_entries=3, clock=clock)
    await store.set("old", b"1")
    await store.set("expiring", b"2", ttl=1)
    await store.set("recent", b"3")
    clock.now += 2
    await store.set("new", b"4")
    assert await store.get("old") == b"1"  # the least recently used, but still live
    assert await store.get("recent") == b"3"
    assert await store.get("new") == b"4"
    assert len(store) == 3


async def test_a_full_store_evicts_the_least_recently_used_key() -> None:
    store = MemoryStore(max_entries=3)
    await store.set("a", b"1")
    await store.set("b", b"2")
    await store.incr("c")
    assert await store.get("a") == b"1"  # a is used again, b is now the oldest
    await store.set("d", b"4")
    assert await store.get("b") is None
    assert [await store.get(key) for key in ("a", "c", "d")] == [b"1", b"1", b"4"]


async def test_overwriting_a_key_in_a_full_store_evicts_nothing() -> None:
    store = MemoryStore(max_entries=2)
    await store.set("a", b"1")
    await store.set("b", b"2")
    await store.set("a", b"3")
    assert (await store.get("a"), await store.get("b")) == (b"3", b"2")


async def test_writes_sweep_expired_keys_so_they_do_not_pile_up() -> None:
    clock = Clock()
    store = MemoryStore(max_entries=100_000, clock=clock)
    for number in range(1000):
        await store.set(f"session:{number}", b"x", ttl=5)
    clock.now += 10
    for _ in range(100):  # never reading the expired keys
        await store.incr("hits")
    assert len(store) == 1


async def test_renewing_the_same_keys_keeps_the_expiry_heap_small() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    for step in range(20_000):
        clock.now += 0.001
        await store.rate_limit(f"client{step % 5}", limit=1000, period=1)
        await store.set(f"session{step % 5}", b"x", ttl=60 - step / 1000)
    assert 5 <= len(store) <= 10
    assert len(store._expiries) <= 2 * len(store) + 64


async def test_a_key_expires_on_access_by_the_clock() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    await store.set("k", b"v", ttl=1)
    clock.now += 0.999
    assert await store.get("k") == b"v"
    clock.now += 0.001
    assert await store.get("k") is None
    assert len(store) == 0


async def test_clear_empties_the_store() -> None:
    store = MemoryStore()
    await store.set("a", b"1", ttl=5)
    await store.set_add("s", "m")
    store.clear()
    assert len(store) == 0
    assert await store.get("a") is None


@pytest.mark.parametrize("bad", [0, -1, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_max_entries_must_be_a_positive_integer(bad: int) -> None:
    with pytest.raises(ValueError, match="max_entries must be a positive integer"):
        MemoryStore(max_entries=bad)


def test_the_namespace_and_size_show_in_repr() -> None:
    store = MemoryStore(max_entries=5, namespace="app:")
    assert store.namespace == "app:"
    assert repr(store) == "MemoryStore(max_entries=5, namespace='app:')"
