"""``httpx`` transports that hand requests to the in-process :class:`ASGIServer`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx

from covet.testing._portal import Portal
from covet.testing._server import ASGIServer


class AsyncASGITransport(httpx.AsyncBaseTransport):
    """Serve requests on the caller's event loop.

    Args:
        server: The in-process server wrapping the app.
    """

    def __init__(self, server: ASGIServer) -> None:
        self._server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run ``request`` through the app and return its response."""
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TypeError(
                "AsyncTestClient needs an async request body (bytes or async iterator)."
            )
        return await self._server.handle_http(request, aiter(request.stream))


class PortalTransport(httpx.BaseTransport):
    """Serve requests from synchronous code on the portal's event-loop thread.

    Args:
        server: The in-process server wrapping the app.
        portal: The event-loop thread every request (and the lifespan) runs on.
    """

    def __init__(self, server: ASGIServer, portal: Portal) -> None:
        self._server = server
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run ``request`` through the app on the portal and return its response."""
        if not isinstance(request.stream, httpx.SyncByteStream):
            raise TypeError("TestClient needs a sync request body (bytes or iterator).")
        return self._portal.call(self._handle(request, request.stream))

    def close(self) -> None:
        """Stop the portal's event loop and join its thread."""
        self._portal.stop()

    async def _handle(self, request: httpx.Request, stream: httpx.SyncByteStream) -> httpx.Response:
        body = _iterate_sync(stream)
        try:
            return await self._server.handle_http(request, body)
        finally:
            await body.aclose()


async def _iterate_sync(stream: httpx.SyncByteStream) -> AsyncGenerator[bytes, None]:
    # Iterated on the portal thread: test bodies are in memory or cheap generators.
    for chunk in stream:
        yield chunk
