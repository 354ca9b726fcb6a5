"""WebSocket rooms on channels: join/leave, broadcast from anywhere, caps, schemas, closes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from covet import BackgroundTasks, CovetPy, WebSocket
from covet.exceptions import ConfigurationError, WebSocketDisconnect
from covet.realtime import Channels, Event
from covet.testing import AsyncTestClient
from covet.testing.websocket import AsyncWebSocketTestSession
from tests.realtime.conftest import channel_name
from tests.support.redis import ThrowawayRedis

pytestmark = pytest.mark.anyio


@dataclass
class Say:
    type: Literal["say"]
    room: str
    text: str


@dataclass
class Join:
    type: Literal["join", "leave"]
    room: str


def rooms_app(channels: Channels, prefix: str, **options: object) -> CovetPy:
    """A chat: clients join and leave rooms and say things in them (one WebSocket each)."""
    app = CovetPy(lifespan=channels.lifespan)

    @app.websocket("/chat")
    async def chat(ws: WebSocket) -> None:
        await ws.accept()
        async with channels.websocket(ws, **options) as member:  # type: ignore[arg-type]
            await member.send_json({"ready": True})
            async for message in member.iter_json(Say | Join):
                if isinstance(message, Say):
                    if prefix + message.room in member.rooms:
                        await channels.publish(prefix + message.room, message.text)
                elif message.type == "join":
                    await member.join(prefix + message.room)
                    await member.send_json({"joined": message.room})
                else:
                    await member.leave(prefix + message.room)
                    await member.send_json({"left": message.room})

    def get_channels() -> Channels:
        return channels

    @app.post("/announce/{room}")
    async def announce(room: str, text: str, tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(channels.publish, prefix + room, f"later: {text}")
        await channels.publish(prefix + room, text)
        return {"sent": True}

    app.state.get_channels = get_channels
    return app


async def joined(ws: AsyncWebSocketTestSession, *rooms: str) -> None:
    assert await ws.receive_json() == {"ready": True}
    for room in rooms:
        await ws.send_json({"type": "join", "room": room})
        assert await ws.receive_json() == {"joined": room}


async def test_rooms_reach_their_members_only_and_broadcast_works_from_anywhere(
    url: str,
) -> None:
    prefix = channel_name("chat") + ":"
    channels = Channels(url)
    app = rooms_app(channels, prefix)
    async with (
        AsyncTestClient(app) as client,
        client.websocket_connect("/chat") as ann,
        client.websocket_connect("/chat") as bob,
        client.websocket_connect("/chat") as eve,
    ):
        await joined(ann, "lobby", "garden")
        await joined(bob, "lobby")
        await joined(eve, "garden")
        await ann.send_json({"type": "say", "room": "lobby", "text": "hi lobby"})
        async with asyncio.timeout(5):
            assert await ann.receive_json() == "hi lobby"
            assert await bob.receive_json() == "hi lobby"
        await eve.send_json({"type": "say", "room": "garden", "text": "hi garden"})
        async with asyncio.timeout(5):
            assert await ann.receive_json() == "hi garden"
            assert await eve.receive_json() == "hi garden"

        # From a handler and its background task.
        assert (await client.post("/announce/lobby", params={"text": "news"})).is_success
        async with asyncio.timeout(5):
            for ws in (ann, bob):
                assert await ws.receive_json() == "news"
                assert await ws.receive_json() == "later: news"

        # From a script: app.container() resolves the app's dependencies outside HTTP.
        async with app.container() as container:
            script_channels = await container.resolve(app.state.get_channels)
            await script_channels.publish(prefix + "garden", "from a script")
        async with asyncio.timeout(5):
            assert await ann.receive_json() == "from a script"
            assert await eve.receive_json() == "from a script"

        await bob.send_json({"type": "leave", "room": "lobby"})
        assert await bob.receive_json() == {"left": "lobby"}
        await ann.send_json({"type": "say", "room": "lobby", "text": "anyone?"})
        async with asyncio.timeout(5):
            assert await ann.receive_json() == "anyone?"
        await bob.send_json({"type": "say", "room": "lobby", "text": "not a member"})
        await eve.send_json({"type": "say", "room": "garden", "text": "sync"})
        async with asyncio.timeout(5):
            assert await eve.receive_json() == "sync"
            assert await ann.receive_json() == "sync"  # and not "not a member"
    assert channels.subscriber_count(prefix + "lobby") == 0


async def test_messages_that_do_not_fit_the_schema_are_answered_and_skipped() -> None:
    app = rooms_app(Channels(), "s:")
    async with AsyncTestClient(app) as client, client.websocket_connect("/chat") as ws:
        await joined(ws, "lobby")
        await ws.send_json({"type": "shout", "room": "lobby"})
        answer = await ws.receive_json()
        assert answer["error"] == "invalid message"
        assert answer["detail"]
        assert all({"loc", "msg", "type"} <= set(issue) for issue in answer["detail"])
        await ws.send_json({"type": "say", "room": "lobby", "text": "still here"})
        assert await ws.receive_json() == "still here"


async def test_joining_more_rooms_than_the_cap_closes_with_1008() -> None:
    app = rooms_app(Channels(), "cap:", max_subscriptions=3)
    async with AsyncTestClient(app) as client, client.websocket_connect("/chat") as ws:
        await joined(ws, "a", "b", "c")
        await ws.send_json({"type": "join", "room": "d"})
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json()
    assert closed.value.code == 1008
    assert "at most 3" in closed.value.reason


async def test_an_outage_closes_members_with_1013_and_they_can_come_back(
    tmp_path: Path,
) -> None:
    with ThrowawayRedis(tmp_path) as server:
        channels = Channels(server.url, socket_timeout=0.5, connect_timeout=0.5)
        app = rooms_app(channels, "out:")
        async with AsyncTestClient(app) as client:
            async with client.websocket_connect("/chat") as ws:
                await joined(ws, "lobby")
                server.stop()
                with pytest.raises(WebSocketDisconnect) as closed:
                    async with asyncio.timeout(10):
                        await ws.receive_json()
            assert closed.value.code == 1013
            async with client.websocket_connect("/chat") as ws:  # joining while it is down
                assert await ws.receive_json() == {"ready": True}
                await ws.send_json({"type": "join", "room": "lobby"})
                with pytest.raises(WebSocketDisconnect) as closed:
                    await ws.receive_json()
            assert (closed.value.code, closed.value.reason) == (
                1013,
                "Channels unavailable; try again later.",
            )
            server.start()
            for _ in range(100):
                async with client.websocket_connect("/chat") as ws:
                    assert await ws.receive_json() == {"ready": True}
                    await ws.send_json({"type": "join", "room": "lobby"})
                    try:
                        assert await ws.receive_json() == {"joined": "lobby"}
                        break
                    except WebSocketDisconnect:
                        await asyncio.sleep(0.1)


def test_bad_member_settings_fail_at_once() -> None:
    channels = Channels()
    ws = object()
    with pytest.raises(ConfigurationError, match="max_subscriptions"):
        channels.websocket(ws, max_subscriptions=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="on_outage"):
        channels.websocket(ws, on_outage="wait")  # type: ignore[arg-type]


async def test_encode_shapes_what_members_receive() -> None:
    channels = Channels()
    app = CovetPy(lifespan=channels.lifespan)

    def envelope(event: Event) -> dict[str, object]:
        return {"channel": event.channel, "id": event.id, "data": event.data}

    @app.websocket("/feed")
    async def feed(ws: WebSocket) -> None:
        await ws.accept()
        async with channels.websocket(ws, encode=envelope) as member:
            await member.join("news")
            await member.send_json("ready")
            async for _ in member.iter_json():
                pass

    async with AsyncTestClient(app) as client, client.websocket_connect("/feed") as ws:
        assert await ws.receive_json() == "ready"
        event_id = await channels.publish("news", {"headline": "hi"})
        assert await ws.receive_json() == {
            "channel": "news",
            "id": event_id,
            "data": {"headline": "hi"},
        }


async def test_shutdown_closes_members_with_1001_and_refuses_new_subscriptions() -> None:
    channels = Channels()
    app = rooms_app(channels, "drain:")

    @app.get("/subscribe")
    async def subscribe() -> str:
        async with channels.subscribe("drain:lobby"):
            return "subscribed"

    async with AsyncTestClient(app) as client, client.websocket_connect("/chat") as ws:
        await joined(ws, "lobby")
        assert (await client.get("/subscribe")).status_code == 200
        app.signal_shutdown()  # what `covet run` does on SIGTERM, before connections end
        with pytest.raises(WebSocketDisconnect) as closed:
            async with asyncio.timeout(5):
                await ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (1001, "Server shutting down.")
        refused = await client.get("/subscribe")
        assert refused.status_code == 503
        assert "shutting down" in refused.text
