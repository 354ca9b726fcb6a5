"""``TestClient`` and ``AsyncTestClient``: ``httpx`` clients wired straight into an ASGI app."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Self

import httpx

from covet.testing._portal import Portal
from covet.testing._scope import ConnectionInfo
from covet.testing._server import ASGIServer
from covet.testing._transport import AsyncASGITransport, PortalTransport
from covet.testing.websocket import (
    AsyncWebSocketTestSession,
    WebSocketTestSession,
    upgrade_headers,
)
from covet.types import ASGIApp

_DEFAULT_HEADERS = {"user-agent": "testclient"}


class TestClient(httpx.Client):
    """A synchronous ``httpx.Client`` that sends its requests to an ASGI app in-process.

    The app runs on an event loop in a background thread that lives as long as the client,
    so asyncio objects the app creates keep working from one request to the next. Use it as
    a context manager to also run the app's lifespan startup and shutdown::

        with TestClient(app) as client:
            response = client.get("/")

    Args:
        app: The ASGI application under test.
        base_url: Scheme and host the requests are addressed to.
        raise_server_exceptions: Re-raise exceptions from the app in the test; when false,
            a request whose handler crashed before responding gets an empty 500 response.
        root_path: Mount prefix, prepended to the scope's ``path`` like ``--root-path``.
        cookies: Cookies to send with every request.
        headers: Headers to send with every request.
        follow_redirects: Follow redirect responses.
        client: The ``(host, port)`` the requests appear to come from.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        cookies: httpx.Cookies | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.app = app
        self._server = ASGIServer(
            app,
            ConnectionInfo(root_path=root_path, client=client),
            raise_server_exceptions=raise_server_exceptions,
        )
        self._portal = Portal()
        # Stop the loop thread even if the test forgets to close the client.
        weakref.finalize(self, self._portal.stop)
        super().__init__(
            base_url=base_url,
            headers={**_DEFAULT_HEADERS, **(headers or {})},
            cookies=_cookie_arg(cookies),
            follow_redirects=follow_redirects,
            transport=PortalTransport(self._server, self._portal),
        )

    def __enter__(self) -> Self:
        super().__enter__()
        try:
            self._portal.call(self._server.startup())
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            self._portal.call(self._server.shutdown())
        finally:
            super().__exit__(exc_type, exc_value, traceback)

    @contextlib.contextmanager
    def websocket_connect(
        self,
        url: str,
        subprotocols: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[WebSocketTestSession]:
        """Open a WebSocket to the app; the connection closes when the block exits.

        Args:
            url: Path (or full URL) of the WebSocket endpoint.
            subprotocols: Subprotocols to offer, in preference order.
            headers: Extra headers for the handshake request.

        Raises:
            WebSocketRejectedError: The app closed the connection instead of accepting it.
        """
        request = self.build_request("GET", url, headers=upgrade_headers(subprotocols, headers))
        session = self._portal.call(self._server.connect_websocket(request, subprotocols or ()))
        sync_session = WebSocketTestSession(session, self._portal)
        try:
            yield sync_session
        finally:
            sync_session.finish()


class AsyncTestClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that sends its requests to an ASGI app on the current loop.

    Use it as an async context manager to also run the app's lifespan::

        async with AsyncTestClient(app) as client:
            response = await client.get("/")

    Args:
        app: The ASGI application under test.
        base_url: Scheme and host the requests are addressed to.
        raise_server_exceptions: Re-raise exceptions from the app in the test; when false,
            a request whose handler crashed before responding gets an empty 500 response.
        root_path: Mount prefix, prepended to the scope's ``path`` like ``--root-path``.
        cookies: Cookies to send with every request.
        headers: Headers to send with every request.
        follow_redirects: Follow redirect responses.
        client: The ``(host, port)`` the requests appear to come from.
    """

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        cookies: httpx.Cookies | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.app = app
        self._server = ASGIServer(
            app,
            ConnectionInfo(root_path=root_path, client=client),
            raise_server_exceptions=raise_server_exceptions,
        )
        super().__init__(
            base_url=base_url,
            headers={**_DEFAULT_HEADERS, **(headers or {})},
            cookies=_cookie_arg(cookies),
            follow_redirects=follow_redirects,
            transport=AsyncASGITransport(self._server),
        )

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        try:
            await self._server.startup()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await self._server.shutdown()
        finally:
            await super().__aexit__(exc_type, exc_value, traceback)

    @contextlib.asynccontextmanager
    async def websocket_connect(
        self,
        url: str,
        subprotocols: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[AsyncWebSocketTestSession]:
        """Open a WebSocket to the app; the connection closes when the block exits.

        Args:
            url: Path (or full URL) of the WebSocket endpoint.
            subprotocols: Subprotocols to offer, in preference order.
            headers: Extra headers for the handshake request.

        Raises:
            WebSocketRejectedError: The app closed the connection instead of accepting it.
        """
        request = self.build_request("GET", url, headers=upgrade_headers(subprotocols, headers))
        session = await self._server.connect_websocket(request, subprotocols or ())
        try:
            yield session
        finally:
            await session.finish()


def _cookie_arg(cookies: httpx.Cookies | Mapping[str, str] | None) -> httpx.Cookies | None:
    # Keep an ``httpx.Cookies`` as is: it carries each cookie's domain and path.
    if cookies is None or isinstance(cookies, httpx.Cookies):
        return cookies
    return httpx.Cookies(dict(cookies))
