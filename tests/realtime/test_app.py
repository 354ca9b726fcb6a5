"""Channels in apps, as users write them: a WebSocket chat room and an SSE feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import pytest

from covet import CovetPy, Header, WebSocket
from covet.realtime import Channels
from covet.responses import EventSourceResponse, ServerSentEvent
from covet.testing import AsyncTestClient
from tests.realtime.conftest import channel_name

pytestmark = pytest.mark.anyio


def chat_app(channels: Channels, prefix: str) -> CovetPy:
    app = CovetPy(lifespan=channels.lifespan)

    @app.websocket("/rooms/{room}")
    async def room(ws: WebSocket, room: str) -> None:
        await ws.accept()
        name = f"{prefix}{room}"
        async with channels.subscribe(name) as sub:
            await ws.send_json({"joined": room})

            async def forward() -> None:
                async for event in sub:
                    if event.is_message:
                        await ws.send_json(event.data)

            task = asyncio.create_task(forward())
            try:
                async for text in ws.iter_text():
                    await channels.publish(name, {"text": text})
            finally:
                task.cancel()

    @app.post("/rooms/{room}/announce")
    async def announce(room: str, text: str) -> dict[str, str]:
        return {"id": await channels.publish(f"{prefix}{room}", {"text": text})}

    return app


async def test_a_chat_room_over_websockets(url: str) -> None:
    app = chat_app(Channels(url), channel_name("chat") + ":")
    async with (
        AsyncTestClient(app) as client,
        client.websocket_connect("/rooms/lobby") as ann,
        client.websocket_connect("/rooms/lobby") as bob,
        client.websocket_connect("/rooms/garden") as eve,
    ):
        for ws, room in ((ann, "lobby"), (bob, "lobby"), (eve, "garden")):
            assert await ws.receive_json() == {"joined": room}
        await ann.send_text("hello")
        for ws in (ann, bob):
            async with asyncio.timeout(5):
                assert await ws.receive_json() == {"text": "hello"}
        assert (await client.post("/rooms/lobby/announce", params={"text": "news"})).is_success
        for ws in (ann, bob):
            async with asyncio.timeout(5):
                assert await ws.receive_json() == {"text": "news"}
        await eve.send_text("only the garden")
        async with asyncio.timeout(5):
            assert await eve.receive_json() == {"text": "only the garden"}


def feed_app(channels: Channels, name: str) -> CovetPy:
    app = CovetPy(lifespan=channels.lifespan)

    @app.get("/feed", response_class=EventSourceResponse)
    async def feed(
        count: int, last_event_id: Annotated[str | None, Header()] = None
    ) -> AsyncIterator[ServerSentEvent]:
        async with channels.subscribe(name, last_event_id=last_event_id) as sub:
            sent = 0
            async for event in sub:
                if event.is_message:
                    yield ServerSentEvent(data=event.data, id=event.id)
                    sent += 1
                    if sent == count:
                        return

    @app.post("/notify")
    async def notify(text: str) -> dict[str, str]:
        return {"id": await channels.publish(name, text)}

    return app


async def test_an_sse_client_reconnecting_with_last_event_id_misses_nothing(
    history_url: str,
) -> None:
    channels = Channels(history_url, history=50)
    app = feed_app(channels, channel_name("feed"))
    async with AsyncTestClient(app) as client:
        ids = [(await client.post("/notify", params={"text": t})).json()["id"] for t in "abcd"]
        # The client saw "a" and "b", lost its connection, and reconnects.
        response = await client.get("/feed", params={"count": 2}, headers={"Last-Event-ID": ids[1]})
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.text == f'data: "c"\nid: {ids[2]}\n\ndata: "d"\nid: {ids[3]}\n\n'
