"""A response whose body is produced by an iterator while it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any

from covet.background import BackgroundTask
from covet.concurrency import iterate_in_threadpool
from covet.responses.base import Response, has_no_content
from covet.types import Receive, Scope, Send

ContentStream = AsyncIterable[str | bytes] | Iterable[str | bytes]


class StreamingResponse(Response):
    """Send chunks from a sync or async iterator as they are produced.

    Sync iterators run in the thread pool. Streaming stops as soon as the client
    disconnects, so an endless generator never outlives its client.
    """

    auto_content_length = False

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.content = content
        super().__init__(None, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        """Streaming responses have no up-front body."""
        return b""

    async def _chunks(self) -> AsyncIterable[bytes]:
        content = self.content
        iterator = content if isinstance(content, AsyncIterable) else iterate_in_threadpool(content)
        async for chunk in iterator:
            yield chunk if isinstance(chunk, bytes) else chunk.encode(self.charset)

    async def _stream(self, scope: Scope, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if scope.get("method") != "HEAD" and not has_no_content(self.status_code):
            async for chunk in self._chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streamer = asyncio.ensure_future(self._stream(scope, send))
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            done, _ = await asyncio.wait({streamer, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streamer, watcher):
                if not task.done():
                    task.cancel()
            await asyncio.gather(streamer, watcher, return_exceptions=True)
        if streamer in done:
            try:
                streamer.result()
            except OSError:
                return  # ASGI 2.4: send() raises OSError once the client is gone
        else:
            return  # the client disconnected: skip background work tied to this response
        if self.background is not None:
            await self.background()


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
