"""Channels on real Redis: processes sharing one server, outages and recovery, URLs.

Outages use a :class:`ThrowawayRedis` the test stops and starts again on the same port.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.realtime import Channels, ChannelsUnavailableError
from covet.testing import AsyncTestClient
from tests.realtime.conftest import channel_name, next_event
from tests.support.redis import ThrowawayRedis, shared_redis_url

pytestmark = pytest.mark.anyio


@pytest.fixture
def throwaway(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis(tmp_path) as server:
        yield server


async def test_two_sets_of_channels_on_one_redis_share_messages(redis_namespace: str) -> None:
    url = f"{shared_redis_url()}?namespace={redis_namespace}"
    here, there = Channels(url), Channels(url)
    name = channel_name()
    async with here.lifespan(None), there.lifespan(None), here.subscribe(name) as sub:
        await there.publish(name, "from there")
        await here.publish(name, "from here")
        assert (await next_event(sub)).data == "from there"
        assert (await next_event(sub)).data == "from here"


async def test_namespaces_keep_apps_apart(redis_namespace: str) -> None:
    base = shared_redis_url()
    mine = Channels(f"{base}?namespace={redis_namespace}a:")
    theirs = Channels(f"{base}?namespace={redis_namespace}b:")
    async with mine.lifespan(None), theirs.lifespan(None), mine.subscribe("lobby") as sub:
        await theirs.publish("lobby", "theirs")
        await mine.publish("lobby", "mine")
        assert (await next_event(sub)).data == "mine"


async def test_history_is_a_stream_capped_at_its_length(redis_namespace: str) -> None:
    channels = Channels(shared_redis_url(), history=4, namespace=redis_namespace)
    async with channels.lifespan(None):
        ids = [await channels.publish("feed", n) for n in range(10)]
    raw = redis.Redis.from_url(shared_redis_url(), decode_responses=True)
    try:
        entries = raw.xrange(f"{redis_namespace}feed")
        assert [entry_id for entry_id, _ in entries] == ids[-4:]
        assert 0 < raw.ttl(f"{redis_namespace}feed") <= 86400
    finally:
        raw.close()


async def test_an_outage_is_signalled_publishing_fails_and_it_recovers(
    throwaway: ThrowawayRedis, caplog: pytest.LogCaptureFixture
) -> None:
    channels = Channels(throwaway.url, socket_timeout=0.5, connect_timeout=0.5)
    name = channel_name()
    async with channels.lifespan(None), channels.subscribe(name) as sub:
        await channels.publish(name, "before")
        assert (await next_event(sub)).data == "before"

        throwaway.stop()
        outage = await next_event(sub)
        assert (outage.kind, outage.channel, outage.data, outage.is_message) == (
            "outage",
            name,
            None,
            False,
        )
        with pytest.raises(ChannelsUnavailableError, match="unreachable") as refused:
            await channels.publish(name, "lost")
        assert refused.value.status_code == 503
        with pytest.raises(ChannelsUnavailableError):
            async with channels.subscribe(channel_name()):
                pass

        throwaway.start()
        assert (await next_event(sub)).kind == "recovered"
        await channels.publish(name, "after")
        assert (await next_event(sub)).data == "after"
    assert "lost Redis" in caplog.text
    assert "is back" in caplog.text


async def test_with_history_a_lost_connection_misses_nothing(
    throwaway: ThrowawayRedis,
) -> None:
    listener = Channels(throwaway.url, history=100)
    publisher = Channels(throwaway.url, history=100)
    name = channel_name()
    async with listener.lifespan(None), publisher.lifespan(None), listener.subscribe(name) as sub:
        await publisher.publish(name, 0)
        assert (await next_event(sub)).data == 0
        admin = redis.Redis(port=throwaway.port)
        try:
            admin.client_kill_filter(_type="pubsub")  # the listener's connection drops
        finally:
            admin.close()
        for n in range(1, 6):  # published while the listener reconnects
            await publisher.publish(name, n)
        events = [await next_event(sub) for _ in range(7)]
        messages = [event.data for event in events if event.is_message]
        kinds = [event.kind for event in events if not event.is_message]
        assert messages == [1, 2, 3, 4, 5]
        assert kinds == ["outage", "recovered"]
        await publisher.publish(name, 6)
        assert (await next_event(sub)).data == 6


async def test_an_app_that_starts_during_an_outage_recovers_and_answers_503_meanwhile(
    throwaway: ThrowawayRedis, caplog: pytest.LogCaptureFixture
) -> None:
    throwaway.stop()
    channels = Channels(throwaway.url, socket_timeout=0.3, connect_timeout=0.3)
    app = CovetPy(lifespan=channels.lifespan)

    @app.post("/rooms/{room}")
    async def say(room: str, text: str) -> dict[str, str]:
        return {"id": await channels.publish(f"room:{room}", text)}

    with caplog.at_level(logging.WARNING, logger="covet.realtime"):
        async with AsyncTestClient(app) as client:
            refused = await client.post("/rooms/lobby", params={"text": "hi"})
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert "unreachable" in refused.text
            throwaway.start()
            for _ in range(100):
                if (await client.post("/rooms/lobby", params={"text": "hi"})).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("publishing did not recover within 10 s")
    assert "not reachable; retrying in the background" in caplog.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:6379/0?colour=blue", "unknown option 'colour'"),
        ("redis://127.0.0.1:6379/0?socket_timeout=0", "socket_timeout must be a positive"),
        ("redis://127.0.0.1:6379/0?history_ttl=soon", "history_ttl must be a positive"),
        ("redis://:secret@127.0.0.1:notaport/0", "malformed"),
    ],
    ids=["unknown-option", "zero-timeout", "bad-ttl", "bad-port"],
)
def test_a_bad_redis_url_fails_when_built(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as refused:
        Channels(url)
    assert "secret" not in str(refused.value)
