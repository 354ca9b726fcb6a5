"""One HTTP request driven straight through an ASGI app, with exactly the bytes a test gives."""

from __future__ import annotations

from typing import Any


async def serve(
    app: Any,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    body: bytes | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    client: tuple[str, int] | None = ("127.0.0.1", 1),
) -> tuple[int, list[Any], bytes]:
    """Send one request (a JSON body unless ``body`` is None); return status, headers, body.

    ``headers`` replaces the default ``host: testserver``, byte for byte, so a test can send
    what no HTTP client would (repeated, missing or non-ASCII fields).
    """
    headers = [(b"host", b"testserver")] if headers is None else list(headers)
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
        "client": client,
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
