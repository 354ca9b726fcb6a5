"""One HTTP request driven straight through an ASGI app, for the runners' differential tests."""

from __future__ import annotations

from typing import Any


async def serve(
    app: Any, method: str, path: str, *, query: bytes = b"", body: bytes | None = None
) -> tuple[int, list[Any], bytes]:
    """Send one request (a JSON body unless ``body`` is None); return status, headers, body."""
    headers = [(b"host", b"testserver")]
    if body is not None:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body or b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = messages[0]
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in messages[1:])
