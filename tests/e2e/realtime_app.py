"""The chat app the multi-process realtime tests serve, several uvicorn processes at once.

Configured through the environment: ``COVET_E2E_CHANNELS_URL`` (a Redis or PostgreSQL URL
every process shares) and ``COVET_E2E_CHANNELS_QUEUE`` (each member's queue bound).
"""

from __future__ import annotations

import contextlib
import os
import resource
from collections.abc import AsyncIterator
from dataclasses import dataclass

from covet import CovetPy, WebSocket
from covet.middleware import WebSocketOriginMiddleware
from covet.realtime import Channels
from covet.responses import EventSourceResponse, ServerSentEvent

channels = Channels(
    os.environ.get("COVET_E2E_CHANNELS_URL", "memory://"),
    max_queue=int(os.environ.get("COVET_E2E_CHANNELS_QUEUE", "1000")),
)
app = CovetPy(lifespan=channels.lifespan)
app.add_middleware(WebSocketOriginMiddleware, allow_origins=["https://chat.example.org"])
PID = os.getpid()
PRESENCE = not channels.url.startswith("postgres")  # LISTEN/NOTIFY keeps no presence


@dataclass
class Say:
    text: str
    seq: int


@app.get("/health")
async def health() -> dict[str, int]:
    return {"pid": PID}


@app.get("/stats")
async def stats() -> dict[str, int]:
    """This process: its pid and peak memory (KiB)."""
    return {"pid": PID, "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


@app.websocket("/rooms/{room}")
async def room(ws: WebSocket, room: str, client: str) -> None:
    await ws.accept()
    present = (
        channels.present(f"room:{room}", client, {"pid": PID})
        if PRESENCE
        else contextlib.nullcontext()
    )
    async with channels.websocket(ws) as member, present:
        await member.join(f"room:{room}")
        await member.send_json({"joined": room, "pid": PID})
        async for say in member.iter_json(Say):
            await channels.publish(
                f"room:{room}", {"publisher": client, "seq": say.seq, "text": say.text}
            )


@app.get("/rooms/{room}/members")
async def members(room: str) -> dict[str, object]:
    return await channels.members(f"room:{room}")


@app.post("/rooms/{room}/publish")
async def publish(room: str, publisher: str, seq: int, size: int = 0) -> dict[str, str]:
    message = {"publisher": publisher, "seq": seq, "text": "x" * size}
    return {"id": await channels.publish(f"room:{room}", message)}


@app.get("/feed/{room}", response_class=EventSourceResponse)
async def feed(room: str) -> AsyncIterator[ServerSentEvent]:
    async with channels.subscribe(f"room:{room}") as sub:
        yield ServerSentEvent(comment="subscribed")
        async for event in sub:
            if event.is_message:
                yield ServerSentEvent(data=event.data, id=event.id)
