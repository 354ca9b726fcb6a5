"""What every store answers alike, on each backend (memory, redis)."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from covet.stores import RateLimitDecision, Store

pytestmark = pytest.mark.anyio


async def test_set_then_get_returns_the_bytes_and_a_missing_key_is_none(store: Store) -> None:
    assert await store.get("missing") is None
    await store.set("greeting", b"hello")
    assert await store.get("greeting") == b"hello"
    await store.set("greeting", b"\x00bye\xff")
    assert await store.get("greeting") == b"\x00bye\xff"


async def test_get_many_answers_each_key_in_order(store: Store) -> None:
    assert await store.get_many() == []
    await store.set("a", b"1")
    await store.set("c", b"3")
    await store.incr("n", 5)
    assert await store.get_many("a", "b", "c", "n") == [b"1", None, b"3", b"5"]


async def test_a_value_expires_after_its_ttl(store: Store) -> None:
    await store.set("short", b"x", ttl=0.2)
    await store.set("long", b"y", ttl=30)
    assert await store.get("short") == b"x"
    await anyio.sleep(0.3)
    assert await store.get("short") is None
    assert await store.get("long") == b"y"


async def test_setting_again_without_ttl_removes_the_expiry(store: Store) -> None:
    await store.set("key", b"1", ttl=0.2)
    await store.set("key", b"2")
    await anyio.sleep(0.3)
    assert await store.get("key") == b"2"


@pytest.mark.parametrize("ttl", [0, -1.0, float("nan")], ids=["zero", "negative", "nan"])
async def test_a_ttl_that_is_not_positive_is_refused(store: Store, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        await store.set("key", b"1", ttl=ttl)
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        await store.incr("key", ttl=ttl)


async def test_delete_counts_the_keys_that_existed(store: Store) -> None:
    await store.set("a", b"1")
    await store.set("b", b"2")
    await store.set("gone", b"3", ttl=0.05)
    await anyio.sleep(0.1)
    assert await store.delete("a", "b", "gone", "never") == 2
    assert await store.get("a") is None
    assert await store.delete() == 0
    assert await store.delete("a") == 0


async def test_incr_creates_the_key_with_its_ttl_and_keeps_that_ttl(store: Store) -> None:
    assert await store.incr("hits", ttl=0.4) == 1
    await anyio.sleep(0.2)
    assert await store.incr("hits", ttl=30) == 2  # the first increment's TTL stands
    assert await store.incr("hits", 5) == 7
    assert await store.get("hits") == b"7"
    await anyio.sleep(0.3)
    assert await store.get("hits") is None
    assert await store.incr("hits", ttl=30) == 1


async def test_incr_adds_negative_amounts_and_reads_values_set_as_digits(store: Store) -> None:
    await store.set("count", b"10")
    assert await store.incr("count", -3) == 7
    assert await store.incr("new", -2) == -2


async def test_incr_on_a_value_that_is_not_an_integer_is_a_type_error(store: Store) -> None:
    await store.set("word", b"ten")
    with pytest.raises(TypeError):
        await store.incr("word")
    assert await store.get("word") == b"ten"


async def test_hundreds_of_concurrent_increments_are_exact(store: Store) -> None:
    results = await asyncio.gather(*(store.incr("counter", ttl=30) for _ in range(400)))
    assert sorted(results) == list(range(1, 401))
    assert await store.get("counter") == b"400"


async def test_rate_limit_allows_exactly_the_limit_under_concurrency(store: Store) -> None:
    limit, period = 25, 60.0
    decisions = await asyncio.gather(
        *(store.rate_limit("client", limit=limit, period=period) for _ in range(4 * limit))
    )
    allowed = [d for d in decisions if d.allowed]
    refused = [d for d in decisions if not d.allowed]
    assert len(allowed) == limit
    assert sorted(d.remaining for d in allowed) == list(range(limit))
    interval = period / limit
    for decision in refused:
        assert decision.limit == limit
        assert decision.remaining == 0
        assert 0 < decision.retry_after <= interval
        assert period - 1 < decision.reset_after <= period
    for decision in allowed:
        assert decision.retry_after == 0.0
        assert 0 < decision.reset_after <= period


async def test_rate_limit_refills_one_request_per_emission_interval(store: Store) -> None:
    first = await store.rate_limit("k", limit=2, period=0.6)
    assert (first.allowed, first.remaining) == (True, 1)
    assert (await store.rate_limit("k", limit=2, period=0.6)).allowed
    refused = await store.rate_limit("k", limit=2, period=0.6)
    assert not refused.allowed
    assert 0.2 < refused.retry_after <= 0.3  # T = 0.3 s, a little of it already spent
    await anyio.sleep(refused.retry_after + 0.02)
    again = await store.rate_limit("k", limit=2, period=0.6)
    assert (again.allowed, again.remaining) == (True, 0)
    assert not (await store.rate_limit("k", limit=2, period=0.6)).allowed


async def test_rate_limit_state_expires_once_the_limit_is_whole_again(store: Store) -> None:
    await store.rate_limit("k", limit=3, period=0.3)
    assert await store.get("k") is not None
    await anyio.sleep(0.2)
    assert await store.get("k") is None  # reset after T = 0.1 s: nothing is kept


async def test_rate_limit_weighs_cost(store: Store) -> None:
    decision = await store.rate_limit("k", limit=5, period=60, cost=3)
    assert (decision.allowed, decision.remaining) == (True, 2)
    heavy = await store.rate_limit("k", limit=5, period=60, cost=3)
    assert (heavy.allowed, heavy.remaining) == (False, 2)
    assert 11 < heavy.retry_after <= 12  # one more T of 12 s frees the third unit
    light = await store.rate_limit("k", limit=5, period=60, cost=2)
    assert (light.allowed, light.remaining) == (True, 0)


@pytest.mark.parametrize(
    ("limit", "period", "cost", "message"),
    [
        (0, 60, 1, "limit must be a positive integer"),
        (2.5, 60, 1, "limit must be a positive integer"),
        (5, 0, 1, "period must be a positive number"),
        (5, float("inf"), 1, "period must be a positive number"),
        (5, 60, 0, "cost must be an integer from 1 to the limit"),
        (5, 60, 6, "cost must be an integer from 1 to the limit"),
    ],
    ids=["zero-limit", "float-limit", "zero-period", "infinite-period", "zero-cost", "big-cost"],
)
async def test_rate_limit_refuses_arguments_that_cannot_work(
    store: Store, limit: int, period: float, cost: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await store.rate_limit("k", limit=limit, period=period, cost=cost)


async def test_arguments_equal_to_good_ones_are_still_checked(store: Store) -> None:
    # The checked parameters are remembered per (limit, period, cost): True == 1 and 1.0 == 1,
    # yet a bool limit or cost is refused even right after the same values as integers.
    assert (await store.rate_limit("k", limit=1, period=60, cost=1)).allowed
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        await store.rate_limit("k", limit=True, period=60, cost=1)
    with pytest.raises(ValueError, match="cost must be an integer"):
        await store.rate_limit("k", limit=1, period=60, cost=True)
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        await store.rate_limit("k", limit=1.0, period=60, cost=1)  # type: ignore[arg-type]


async def test_a_decision_is_an_immutable_record(store: Store) -> None:
    decision = await store.rate_limit("k", limit=3, period=60)
    assert decision == RateLimitDecision(
        allowed=True,
        limit=3,
        remaining=2,
        retry_after=0.0,
        reset_after=decision.reset_after,
    )
    assert 19.9 < decision.reset_after <= 20.0
    with pytest.raises(AttributeError):
        decision.remaining = 5  # type: ignore[misc]


async def test_sets_add_remove_and_list_members(store: Store) -> None:
    assert await store.set_members("sessions:ann") == frozenset()
    await store.set_add("sessions:ann", "s1", "s2")
    await store.set_add("sessions:ann", "s2", "s3")
    await store.set_add("sessions:ann")
    assert await store.set_members("sessions:ann") == {"s1", "s2", "s3"}
    await store.set_remove("sessions:ann", "s1", "never")
    assert await store.set_members("sessions:ann") == {"s2", "s3"}
    await store.set_remove("sessions:ann", "s2", "s3")
    assert await store.set_members("sessions:ann") == frozenset()
    assert await store.delete("sessions:ann") == 0  # an emptied set is gone
    await store.set_remove("sessions:nobody", "s1")


async def test_a_set_ttl_is_renewed_by_each_add_that_gives_one(store: Store) -> None:
    await store.set_add("idx", "a", ttl=0.3)
    await anyio.sleep(0.2)
    await store.set_add("idx", "b", ttl=0.3)
    await anyio.sleep(0.2)
    assert await store.set_members("idx") == {"a", "b"}
    await store.set_add("idx", "c")  # no ttl: the expiry stays
    await anyio.sleep(0.2)
    assert await store.set_members("idx") == frozenset()


async def test_a_value_and_a_set_are_different_kinds(store: Store) -> None:
    await store.set("plain", b"1")
    await store.set_add("group", "a")
    with pytest.raises(TypeError):
        await store.set_add("plain", "a")
    with pytest.raises(TypeError):
        await store.get("group")
    with pytest.raises(TypeError):
        await store.incr("group")


async def test_the_store_is_healthy_and_pings(store: Store) -> None:
    await store.ping()
    assert await store.health() is True


async def test_a_closed_store_is_usable_again(store: Store) -> None:
    await store.set("kept", b"1")
    await store.close()
    assert await store.get("kept") == b"1"
