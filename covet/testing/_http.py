"""Run one HTTP request through an ASGI app and turn its messages into an ``httpx.Response``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from covet.testing.exceptions import ASGIProtocolError
from covet.types import ASGIApp, Message, RawHeaders, Scope

_HTTP_1_1 = {"http_version": b"HTTP/1.1"}


class _Exchange:
    """The ``receive``/``send`` pair for a single request, and the response it collects."""

    def __init__(self, target: str, body: AsyncIterator[bytes]) -> None:
        self.status: int | None = None
        self.headers: RawHeaders = []
        self.chunks: list[bytes] = []
        self.complete = asyncio.Event()
        self._target = target
        self._body = body
        self._next_chunk: bytes | None = None
        self._primed = False
        self._request_done = False

    async def receive(self) -> Message:
        """Hand the app the next body chunk; once the body is done, wait and report disconnect."""
        if self._request_done:
            # A real client hangs up only after reading the whole response.
            await self.complete.wait()
            return {"type": "http.disconnect"}
        if not self._primed:
            self._next_chunk = await self._read_chunk()
            self._primed = True
        chunk = self._next_chunk
        # One chunk of look-ahead tells us whether ``more_body`` is true.
        self._next_chunk = None if chunk is None else await self._read_chunk()
        self._request_done = self._next_chunk is None
        return {"type": "http.request", "body": chunk or b"", "more_body": not self._request_done}

    async def send(self, message: Message) -> None:
        """Record one response message from the app, checking it arrives in protocol order."""
        kind = message["type"]
        if kind == "http.response.start":
            self._start(message)
        elif kind == "http.response.body":
            self._body_chunk(message)
        else:
            raise self.error(f"sent an unexpected {kind!r} message")

    def _start(self, message: Message) -> None:
        if self.status is not None:
            raise self.error("sent 'http.response.start' twice")
        self.status = int(message["status"])
        self.headers = [(bytes(name), bytes(value)) for name, value in message.get("headers", ())]

    def _body_chunk(self, message: Message) -> None:
        if self.status is None:
            raise self.error("sent 'http.response.body' before 'http.response.start'")
        if self.complete.is_set():
            raise self.error("sent 'http.response.body' after the response was complete")
        self.chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            self.complete.set()

    async def _read_chunk(self) -> bytes | None:
        while (chunk := await anext(self._body, None)) is not None:
            if chunk:
                return chunk
        return None

    def error(self, problem: str) -> ASGIProtocolError:
        """Describe a protocol violation by the app, naming the request it was handling."""
        return ASGIProtocolError(f"The app {problem} while handling {self._target}.")


async def run_http(
    app: ASGIApp,
    scope: Scope,
    request: httpx.Request,
    body: AsyncIterator[bytes],
    *,
    raise_server_exceptions: bool,
) -> httpx.Response:
    """Call ``app`` with ``scope`` and return the response it sends.

    Args:
        app: The ASGI application under test.
        scope: The ``http`` scope built for ``request``.
        request: The ``httpx`` request, attached to the returned response.
        body: The request body, chunk by chunk.
        raise_server_exceptions: Re-raise app errors instead of answering 500.

    Raises:
        ASGIProtocolError: The app returned without starting a response (and errors are raised).
    """
    exchange = _Exchange(f"{request.method} {request.url.path}", body)
    try:
        await app(scope, exchange.receive, exchange.send)
    except Exception:
        if raise_server_exceptions:
            raise
    finally:
        exchange.complete.set()
    if exchange.status is not None:
        return _response(request, exchange.status, exchange.headers, exchange.chunks)
    if raise_server_exceptions:
        raise exchange.error("returned without sending 'http.response.start'")
    return _response(request, 500, [], [])


def _response(
    request: httpx.Request, status: int, headers: RawHeaders, chunks: list[bytes]
) -> httpx.Response:
    return httpx.Response(
        status,
        headers=headers,
        stream=httpx.ByteStream(b"".join(chunks)),
        request=request,
        extensions=_HTTP_1_1,
    )
