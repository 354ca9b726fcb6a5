"""A streaming app behind GZipMiddleware, served by uvicorn in tests/middleware/test_gzip.py.

``/stream`` yields chunk ``i`` and then waits until the client has called ``/ack/{i}``, so a
chunk the middleware held back would never be acknowledged and the test would time out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from covet import CovetPy
from covet.middleware import GZipMiddleware
from covet.responses import StreamingResponse

CHUNKS = 4
app = CovetPy()
app.add_middleware(GZipMiddleware)
acks: dict[int, asyncio.Event] = {}


@app.get("/stream")
async def stream() -> StreamingResponse:
    acks.clear()

    async def chunks() -> AsyncIterator[str]:
        for i in range(CHUNKS):
            event = acks[i] = asyncio.Event()
            yield f"chunk {i} " + "payload " * 50 + "\n"
            await asyncio.wait_for(event.wait(), timeout=10)

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/ack/{index:int}")
async def ack(index: int) -> str:
    acks[index].set()
    return "ok"
