"""An SSE app served by uvicorn in tests/responses/test_sse.py.

``/events`` yields event ``i`` and then waits for ``/ack/{i}``: an event held back anywhere
would never be acknowledged. ``/finally`` tells whether the generator's ``finally`` ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable

from covet import CovetPy
from covet.middleware import GZipMiddleware
from covet.responses import EventSourceResponse, ServerSentEvent

app = CovetPy()
app.add_middleware(GZipMiddleware)
acks: dict[int, asyncio.Event] = {}
closed: list[str] = []


@app.get("/events", response_class=EventSourceResponse)
async def events() -> AsyncIterable[ServerSentEvent]:
    closed.clear()
    try:
        i = 0
        while True:
            ack = acks[i] = asyncio.Event()
            yield ServerSentEvent(data={"n": i}, id=str(i))
            await asyncio.wait_for(ack.wait(), timeout=10)
            i += 1
    finally:
        closed.append("closed")


@app.get("/ack/{i}")
async def ack(i: int) -> dict[str, bool]:
    acks[i].set()
    return {"ok": True}


@app.get("/finally")
async def finally_ran() -> dict[str, list[str]]:
    return {"closed": closed}
