"""Hand-written ASGI app: the floor that every framework is measured against.

It does the minimum a correct app must do: dispatch on the exact path or a prefix, parse the
integer parameter, serialise JSON on every request (``json.dumps``'s own encoder, built once
rather than per call, since non-default ``dumps`` options build a new encoder each time) and send
precomputed headers. It never calls ``receive`` for these body-less GET requests.

A raw app has no route table, so ``app_200`` is the very same object as ``app``: the
"last-of-200" scenario measures the same code as "last-of-5" here, which is the point of the
baseline (routing cost zero).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from apps import validate_item

Scope = dict[str, Any]
Message = dict[str, Any]

_PLAIN_BODY = b"Hello, World!"
_PLAIN_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_PLAIN_BODY)).encode()),
]
_JSON_TYPE = (b"content-type", b"application/json")
# Compact UTF-8 like Starlette's and Covet's JSONResponse.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_NOT_FOUND_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"9")]
_BAD_REQUEST_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"11")]
_INVALID_BODY = b"Unprocessable Content"
_INVALID_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_INVALID_BODY)).encode()),
]
_NOT_ALLOWED_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", b"18"),
    (b"allow", b"POST"),
]


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Send a complete response in two messages."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Any, data: dict[str, Any]) -> None:
    """Serialise ``data`` and send it with status 200."""
    body = _encode_json(data).encode()
    headers = [_JSON_TYPE, (b"content-length", str(len(body)).encode())]
    await _send(send, 200, headers, body)


async def _send_int_param(send: Any, name: str, raw: str) -> None:
    """Answer ``{name: int(raw)}``, or 404 when ``raw`` is not a plain decimal like ``:int``."""
    if raw.isascii() and raw.isdigit():
        await _send_json(send, {name: int(raw)})
    else:
        await _send(send, 404, _NOT_FOUND_HEADERS, b"Not Found")


async def _read_body(receive: Any) -> bytes:
    """Return the whole request body, however many messages it arrives in."""
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def _create_item(receive: Any, send: Any) -> None:
    """Validate the JSON item in the body and echo it, or answer 422."""
    try:
        data = json.loads(await _read_body(receive))
    except ValueError:
        data = None
    item = validate_item(data)
    if item is None:
        await _send(send, 422, _INVALID_HEADERS, _INVALID_BODY)
    else:
        await _send_json(send, item)


async def _search(scope: Scope, send: Any) -> None:
    """Answer ``{q, limit}``: ``q`` required, ``limit`` an int defaulting to 20 (else 400)."""
    params = parse_qs(scope["query_string"].decode("latin-1"))
    q = params.get("q")
    limit = params.get("limit", ["20"])[-1]
    if q and limit.isascii() and limit.isdigit():
        await _send_json(send, {"q": q[-1], "limit": int(limit)})
    else:
        await _send(send, 400, _BAD_REQUEST_HEADERS, b"Bad Request")


async def _lifespan(receive: Any, send: Any) -> None:
    """Acknowledge startup and shutdown; there is nothing to set up."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Any, send: Any) -> None:
    """Serve the benchmark scenarios with the least possible work."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        return
    path = scope["path"]
    if path == "/plaintext":
        await _send(send, 200, _PLAIN_HEADERS, _PLAIN_BODY)
    elif path == "/json":
        await _send_json(send, {"message": "Hello, World!"})
    elif path.startswith("/users/"):
        await _send_int_param(send, "user_id", path[7:])
    elif path == "/query":
        values = parse_qs(scope["query_string"].decode("latin-1")).get("page")
        if values and values[0].isascii() and values[0].isdigit():
            await _send_json(send, {"page": int(values[0])})
        else:
            await _send(send, 400, _BAD_REQUEST_HEADERS, b"Bad Request")
    elif path == "/search":
        await _search(scope, send)
    elif path.startswith("/last/items/"):
        await _send_int_param(send, "item_id", path[12:])
    elif path == "/items":
        if scope["method"] == "POST":
            await _create_item(receive, send)
        else:
            await _send(send, 405, _NOT_ALLOWED_HEADERS, b"Method Not Allowed")
    else:
        await _send(send, 404, _NOT_FOUND_HEADERS, b"Not Found")


app_200 = app
