"""Presence: who is in a room, seen from every process, gone when its process dies."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap

import pytest

from covet.exceptions import ConfigurationError
from covet.realtime import Channels
from tests.realtime.conftest import channel_name, postgres_url
from tests.support.redis import shared_redis_url

pytestmark = pytest.mark.anyio


async def test_members_are_listed_with_their_info_until_they_leave(history_url: str) -> None:
    # history_url: the backends that keep presence (memory and Redis)
    here, there = Channels(history_url), Channels(history_url)
    room = channel_name()
    async with here.lifespan(None), there.lifespan(None):
        assert await here.members(room) == {}
        async with here.present(room, "ann", {"nick": "Ann"}):
            async with there.present(room, "bob"):
                expected = {"ann": {"nick": "Ann"}, "bob": None}
                if history_url == "memory://":  # one process: each Channels has its own
                    assert await here.members(room) == {"ann": {"nick": "Ann"}}
                else:
                    assert await here.members(room) == expected
                    assert await there.members(room) == expected
            assert "bob" not in await there.members(room)
        assert await here.members(room) == {}


async def test_heartbeats_keep_members_present_past_their_ttl(history_url: str) -> None:
    channels = Channels(history_url, presence_ttl=0.3)
    room = channel_name()
    async with channels.lifespan(None), channels.present(room, "ann"):
        await asyncio.sleep(1.0)  # three TTLs: renewed every 0.1 s
        assert await channels.members(room) == {"ann": None}


async def test_members_of_a_process_that_dies_expire(redis_namespace: str) -> None:
    url = f"{shared_redis_url()}?namespace={redis_namespace}"
    room = channel_name()
    script = textwrap.dedent(
        f"""
        import asyncio
        from covet.realtime import Channels

        async def main():
            channels = Channels({url!r}, presence_ttl=1)
            async with channels.present({room!r}, "doomed", {{"pid": 1}}):
                print("present", flush=True)
                await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE, cwd=os.getcwd()
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"present\n"
        channels = Channels(url)
        async with channels.lifespan(None):
            await asyncio.sleep(1.5)  # past one TTL: its heartbeats keep it listed
            assert await channels.members(room) == {"doomed": {"pid": 1}}
            process.send_signal(signal.SIGKILL)  # no goodbye: only the expiry removes it
            await asyncio.wait_for(process.wait(), 5)
            await asyncio.sleep(1.2)
            assert await channels.members(room) == {}
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_postgresql_channels_have_no_presence() -> None:
    channels = Channels(await postgres_url())
    with pytest.raises(ConfigurationError, match="presence needs memory:// or redis://"):
        async with channels.present("room", "ann"):
            pass
    with pytest.raises(ConfigurationError, match="presence needs"):
        await channels.members("room")


def test_a_bad_presence_ttl_fails_when_built() -> None:
    with pytest.raises(ConfigurationError, match="presence_ttl"):
        Channels(presence_ttl=0)
