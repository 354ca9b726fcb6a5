"""Responses whose body is produced by an iterator while it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Mapping
from contextlib import aclosing
from typing import Any

from covet import _json
from covet.background import BackgroundTask
from covet.concurrency import iterate_in_threadpool
from covet.responses.base import Response, has_no_content
from covet.types import Receive, Scope, Send

ContentStream = AsyncIterable[str | bytes] | Iterable[str | bytes]
ItemStream = AsyncIterable[Any] | Iterable[Any]
"""The items of a stream that encodes them (JSON Lines, server-sent events)."""


def iterate(content: ItemStream) -> AsyncIterator[Any]:
    """An async iterator over ``content``; a sync one is iterated in the thread pool."""
    if isinstance(content, AsyncIterable):
        return aiter(content)
    return iterate_in_threadpool(content)


async def close_iterator(iterator: Any) -> None:
    """Close a generator (or any iterator with ``aclose``/``close``) so its ``finally`` runs."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


class StreamingResponse(Response):
    """Send chunks from a sync or async iterator as they are produced.

    Sync iterators run in the thread pool. Streaming stops as soon as the client
    disconnects, so an endless generator never outlives its client.
    """

    auto_content_length = False

    def __init__(
        self,
        content: ContentStream | ItemStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.content: ItemStream = content
        super().__init__(None, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        """Streaming responses have no up-front body."""
        return b""

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        iterator = iterate(self.content)
        try:
            async for chunk in iterator:
                yield chunk if isinstance(chunk, bytes) else chunk.encode(self.charset)
        finally:
            await close_iterator(iterator)

    async def _stream(self, scope: Scope, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if scope.get("method") != "HEAD" and not has_no_content(self.status_code):
            # Closed however the loop ends (a disconnect cancels it inside send()), so the
            # content's generator is closed now, not whenever it is garbage collected.
            async with aclosing(self._chunks()) as chunks:
                async for chunk in chunks:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        else:
            await close_iterator(self.content)
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


class JSONLinesResponse(StreamingResponse):
    """Stream JSON Lines (``application/jsonl``): each item as one compact JSON document.

    Items are encoded as :class:`JSONResponse` encodes a body (dataclasses, pydantic and
    msgspec models too); compact JSON escapes line breaks inside strings, so every item
    is exactly one line.
    """

    media_type = "application/jsonl"

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        iterator = iterate(self.content)
        try:
            async for item in iterator:
                yield _json.dumps(item) + b"\n"
        finally:
            await close_iterator(iterator)


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
