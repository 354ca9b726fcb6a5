"""The in-process ASGI server both test clients drive: lifespan, HTTP and WebSockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from covet.testing._http import run_http
from covet.testing._lifespan import Lifespan
from covet.testing._scope import ConnectionInfo, http_scope, websocket_scope
from covet.testing.websocket import AsyncWebSocketTestSession
from covet.types import ASGIApp


class ASGIServer:
    """Serve one app the way a real ASGI server would, but without sockets.

    Every method is a coroutine meant to run on a single event loop: the caller's for
    ``AsyncTestClient``, the portal thread's for ``TestClient``.

    Args:
        app: The ASGI application under test.
        info: Connection details put into every scope.
        raise_server_exceptions: Re-raise app errors from HTTP requests instead of answering 500.
    """

    def __init__(
        self, app: ASGIApp, info: ConnectionInfo, *, raise_server_exceptions: bool
    ) -> None:
        self.app = app
        self._info = info
        self._raise_server_exceptions = raise_server_exceptions
        self._lifespan: Lifespan | None = None

    @property
    def state(self) -> dict[str, Any] | None:
        """The lifespan state copied into each scope, or ``None`` when lifespan is not running."""
        lifespan = self._lifespan
        return lifespan.state if lifespan is not None and lifespan.supported else None

    async def startup(self) -> None:
        """Run the app's lifespan startup (tolerating apps without lifespan support)."""
        self._lifespan = Lifespan(self.app)
        await self._lifespan.startup()

    async def shutdown(self) -> None:
        """Run the app's lifespan shutdown, if startup completed."""
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None:
            await lifespan.shutdown()

    async def handle_http(
        self, request: httpx.Request, body: AsyncIterator[bytes]
    ) -> httpx.Response:
        """Send ``request`` (with its body streamed from ``body``) to the app; return the reply."""
        scope = http_scope(request, self._info, self.state)
        return await run_http(
            self.app,
            scope,
            request,
            body,
            raise_server_exceptions=self._raise_server_exceptions,
        )

    async def connect_websocket(
        self, request: httpx.Request, subprotocols: Sequence[str]
    ) -> AsyncWebSocketTestSession:
        """Open a WebSocket to the app for the upgrade ``request`` and complete the handshake."""
        scope = websocket_scope(request, self._info, self.state, subprotocols)
        return await AsyncWebSocketTestSession.connect(self.app, scope)
