"""One structured log line per request: method, path, route, status, duration, client, id."""

from __future__ import annotations

import logging
import time

from covet._request_id import request_id, request_id_header
from covet.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("covet.access")


class AccessLogMiddleware:
    """Log every HTTP request when its response has finished (or failed).

    Also echoes the request id in an ``X-Request-ID`` response header, so a client
    can quote it when reporting a problem.

    Args:
        app: The wrapped application.
        logger: Where to log; ``covet.access`` by default.
        level: The log level of successful requests (5xx and failures log at ERROR).
    """

    def __init__(
        self, app: ASGIApp, *, logger: logging.Logger = logger, level: int = logging.INFO
    ) -> None:
        self.app = app
        self.logger = logger
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Read when the response starts, so an inner RequestIDMiddleware's id and
                # header name are the ones used.
                header, rid = request_id_header(scope), request_id(scope)
                headers = list(message.get("headers", ()))
                if all(name != header for name, _ in headers):
                    headers.append((header, rid.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_ms = (time.perf_counter() - start) * 1000
            rid = request_id(scope)
            level = logging.ERROR if status >= 500 else self.level
            # Escape the client-controlled path so it cannot forge extra log lines.
            path = scope["path"].encode("unicode_escape").decode("ascii")
            # Read at the end: the route is known once matched, the client once an inner
            # ProxyHeadersMiddleware has put the forwarded one in the scope.
            route = getattr(scope.get("route"), "path", None)
            client = scope.get("client")
            self.logger.log(
                level,
                "%s %s %d %.2fms request_id=%s",
                scope["method"],
                path,
                status,
                duration_ms,
                rid,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "request_id": rid,
                    "route": route,
                    "client": f"{client[0]}:{client[1]}" if client else None,
                },
            )
