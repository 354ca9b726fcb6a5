"""Channels on real PostgreSQL LISTEN/NOTIFY: limits, sharing, outages through a proxy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from covet.exceptions import ConfigurationError
from covet.realtime import Channels, ChannelsUnavailableError, MessageTooLargeError
from tests.realtime.conftest import channel_name, next_event, postgres_url
from tests.support.tcpproxy import TCPProxy

pytestmark = pytest.mark.anyio


async def test_two_sets_of_channels_on_one_database_share_messages() -> None:
    url = await postgres_url()
    here, there = Channels(url), Channels(url.replace("postgresql://", "postgresql+asyncpg://"))
    name = channel_name()
    async with here.lifespan(None), there.lifespan(None), here.subscribe(name) as sub:
        for n in range(5):
            await there.publish(name, n)
        assert [(await next_event(sub)).data for _ in range(5)] == list(range(5))


async def test_a_message_over_notifys_limit_is_refused_clearly() -> None:
    channels = Channels(await postgres_url())
    name = channel_name()
    async with channels.lifespan(None), channels.subscribe(name) as sub:
        await channels.publish(name, "x" * 7900)  # fits with its id
        assert len((await next_event(sub)).data) == 7900
        with pytest.raises(MessageTooLargeError, match="at most 7999"):
            await channels.publish(name, "x" * 8000)
        with pytest.raises(MessageTooLargeError):
            await channels.publish(name, "é" * 4000)  # 8000 bytes in UTF-8


async def test_a_channel_name_longer_than_an_identifier_is_refused() -> None:
    channels = Channels(await postgres_url())
    async with channels.lifespan(None):
        with pytest.raises(ValueError, match="longer than PostgreSQL's 63 bytes"):
            await channels.publish("room:" + "x" * 60, "hi")
        with pytest.raises(ValueError, match="63 bytes"):
            async with channels.subscribe("ü" * 32):
                pass


def test_postgresql_channels_keep_no_history() -> None:
    with pytest.raises(ConfigurationError, match="keep no history"):
        Channels("postgresql://postgres@127.0.0.1:5432/test", history=10)


async def test_an_outage_is_signalled_publishing_fails_and_it_recovers() -> None:
    target = urlsplit(await postgres_url())
    proxy = TCPProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/test?connect_timeout=0.5"
    channels = Channels(url, command_timeout=0.5)
    name = channel_name()
    try:
        await _outage_and_recovery(channels, name, proxy)
    finally:
        await proxy.cut()


async def _outage_and_recovery(channels: Channels, name: str, proxy: TCPProxy) -> None:
    async with channels.lifespan(None), channels.subscribe(name) as sub:
        await channels.publish(name, "before")
        assert (await next_event(sub)).data == "before"
        await proxy.cut()
        assert (await next_event(sub)).kind == "outage"
        with pytest.raises(ChannelsUnavailableError, match="unreachable") as refused:
            await channels.publish(name, "lost")
        assert refused.value.status_code == 503
        await proxy.start()
        assert (await next_event(sub)).kind == "recovered"
        await channels.publish(name, "after")
        assert (await next_event(sub)).data == "after"
