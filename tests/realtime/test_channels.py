"""What every channels backend does: delivery, order, isolation, backpressure, history."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from covet.realtime import Channels, Event, SlowConsumerError, Subscription
from tests.realtime.conftest import channel_name

pytestmark = pytest.mark.anyio


async def read(sub: Subscription, count: int, within: float = 5) -> list[Event]:
    """The next ``count`` events of ``sub`` (fails after ``within`` seconds)."""
    events = []
    async with asyncio.timeout(within):
        async for event in sub:
            events.append(event)
            if len(events) == count:
                break
    return events


async def nothing_arrives(sub: Subscription, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(wait):
            await anext(sub)


async def test_every_subscriber_receives_every_message_in_order(channels: Channels) -> None:
    name = channel_name()
    async with channels.subscribe(name) as first, channels.subscribe(name) as second:
        ids = [await channels.publish(name, {"n": n}) for n in range(20)]
        for sub in (first, second):
            events = await read(sub, 20)
            assert [event.data for event in events] == [{"n": n} for n in range(20)]
            assert [event.id for event in events] == ids
            assert {event.channel for event in events} == {name}
            assert all(event.kind == "message" and event.is_message for event in events)
    assert len(set(ids)) == 20


@pytest.mark.parametrize(
    "message",
    ["plain text", {"nested": [1, 2.5, None, True]}, [1, "two"], 42, None, "ünïcode ✓"],
    ids=["str", "object", "list", "int", "null", "unicode"],
)
async def test_messages_arrive_as_published(channels: Channels, message: Any) -> None:
    name = channel_name()
    async with channels.subscribe(name) as sub:
        await channels.publish(name, message)
        [event] = await read(sub, 1)
    assert event.data == message


async def test_channels_are_separate_and_unsubscribed_ones_get_nothing(
    channels: Channels,
) -> None:
    lobby, other = channel_name("lobby"), channel_name("other")
    async with channels.subscribe(lobby) as sub:
        assert channels.subscriber_count(lobby) == 1
        await channels.publish(other, "not for the lobby")
        await channels.publish(lobby, "for the lobby")
        [event] = await read(sub, 1)
        assert event.data == "for the lobby"
        await nothing_arrives(sub)
    assert channels.subscriber_count(lobby) == 0
    async for _ in sub:  # a subscription that has exited yields nothing more
        pytest.fail("an exited subscription yielded an event")
    async with channels.subscribe(lobby) as again:  # and the channel can be joined again
        await channels.publish(lobby, "back")
        assert [event.data for event in await read(again, 1)] == ["back"]


async def test_a_slow_consumer_is_disconnected_without_slowing_the_others(
    channels: Channels,
) -> None:
    name = channel_name()
    async with (
        channels.subscribe(name, max_queue=5) as slow,
        channels.subscribe(name, max_queue=100) as fast,
    ):
        for n in range(50):
            await channels.publish(name, n)
        assert [event.data for event in await read(fast, 50)] == list(range(50))
        with pytest.raises(SlowConsumerError, match="fell more than 5 events behind"):
            await anext(slow)
        assert channels.subscriber_count(name) == 1  # the slow one no longer receives


async def test_drop_oldest_keeps_the_newest_and_counts_what_it_dropped(
    channels: Channels,
) -> None:
    name = channel_name()
    async with (
        channels.subscribe(name, max_queue=5, on_overflow="drop_oldest") as lossy,
        channels.subscribe(name) as complete,
    ):
        for n in range(20):
            await channels.publish(name, n)
        assert [event.data for event in await read(complete, 20)] == list(range(20))
        assert [event.data for event in await read(lossy, 5)] == [15, 16, 17, 18, 19]
        assert lossy.dropped == 15


async def test_a_message_json_cannot_carry_is_refused(channels: Channels) -> None:
    with pytest.raises(TypeError):
        await channels.publish(channel_name(), object())


@pytest.mark.parametrize("bad", ["", None, 3])
async def test_a_channel_needs_a_name(channels: Channels, bad: Any) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        await channels.publish(bad, "x")
    with pytest.raises(ValueError, match="non-empty string"):
        channels.subscribe(bad)


async def test_many_subscribers_of_many_channels(channels: Channels) -> None:
    names = [channel_name() for _ in range(10)]
    subs = [channels.subscribe(name) for name in names for _ in range(3)]
    for sub in subs:
        await sub.__aenter__()
    try:
        for name in names:
            await channels.publish(name, name)
        for sub in subs:
            [event] = await read(sub, 1)
            assert event.data == sub.channel
    finally:
        for sub in subs:
            await sub.__aexit__(None, None, None)
    assert all(channels.subscriber_count(name) == 0 for name in names)


# -- history ------------------------------------------------------------------------------


async def test_last_event_id_replays_what_was_missed_then_goes_live(history_url: str) -> None:
    channels = Channels(history_url, history=10)
    name = channel_name()
    async with channels.lifespan(None):
        ids = [await channels.publish(name, n) for n in range(5)]
        async with channels.subscribe(name, last_event_id=ids[1]) as sub:
            await channels.publish(name, 5)
            events = await read(sub, 4)
            assert [event.data for event in events] == [2, 3, 4, 5]
            assert sub.last_event_id == events[-1].id
            await nothing_arrives(sub)  # the live copy of what was replayed is not repeated


async def test_replay_is_bounded_by_the_history_window(history_url: str) -> None:
    channels = Channels(history_url, history=3)
    name = channel_name()
    async with channels.lifespan(None):
        ids = [await channels.publish(name, n) for n in range(8)]
        async with channels.subscribe(name, last_event_id=ids[0]) as sub:
            assert [event.data for event in await read(sub, 3)] == [5, 6, 7]
            await nothing_arrives(sub)


@pytest.mark.parametrize("header", ["not-an-id", "1" * 40, "-1", "9-9-9", "", "¹²"], ids=repr)
async def test_an_unknown_last_event_id_replays_nothing(history_url: str, header: str) -> None:
    channels = Channels(history_url, history=5)
    name = channel_name()
    async with channels.lifespan(None):
        await channels.publish(name, "before")
        async with channels.subscribe(name, last_event_id=header) as sub:
            await channels.publish(name, "after")
            assert [event.data for event in await read(sub, 1)] == ["after"]


async def test_without_history_last_event_id_is_ignored(url: str) -> None:
    channels = Channels(url)
    name = channel_name()
    async with channels.lifespan(None):
        first = await channels.publish(name, "before")
        async with channels.subscribe(name, last_event_id=first) as sub:
            await channels.publish(name, "after")
            assert [event.data for event in await read(sub, 1)] == ["after"]


async def test_disconnecting_ends_open_subscriptions_and_connecting_again_works(
    url: str,
) -> None:
    channels = Channels(url)
    name = channel_name()
    async with channels.lifespan(None), channels.subscribe(name) as sub:
        await channels.publish(name, "queued")
        await asyncio.sleep(0.2)  # delivered (through the server, for Redis and PostgreSQL)
        await channels.disconnect()
        assert [event.data async for event in sub] == ["queued"]
    async with channels.lifespan(None), channels.subscribe(name) as again:
        await channels.publish(name, "back")
        assert [event.data for event in await read(again, 1)] == ["back"]
