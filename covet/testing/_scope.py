"""Build ASGI connection scopes from ``httpx`` requests, as a real server would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx

from covet.types import RawHeaders, Scope

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_WEBSOCKET_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
_HTTP_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_ASGI_INFO = {"version": "3.0", "spec_version": "2.4"}
_ROOT_PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What the emulated server knows about every connection it accepts.

    Attributes:
        root_path: Mount prefix, prepended to ``path`` and ``raw_path`` like ``--root-path``.
        client: The ``(host, port)`` the requests appear to come from.
    """

    root_path: str
    client: tuple[str, int]


def http_scope(
    request: httpx.Request, info: ConnectionInfo, state: Mapping[str, Any] | None
) -> Scope:
    """Return the ``http`` scope for ``request``.

    Args:
        request: The request as built by ``httpx``.
        info: Connection details of the emulated server.
        state: Lifespan state to copy into the scope, or ``None`` when lifespan did not run.
    """
    scope = _connection_scope(request, info, state)
    scope["type"] = "http"
    scope["scheme"] = _HTTP_SCHEMES.get(request.url.scheme, request.url.scheme)
    scope["method"] = request.method
    return scope


def websocket_scope(
    request: httpx.Request,
    info: ConnectionInfo,
    state: Mapping[str, Any] | None,
    subprotocols: Sequence[str],
) -> Scope:
    """Return the ``websocket`` scope for an upgrade ``request``.

    Args:
        request: The GET request carrying the upgrade headers.
        info: Connection details of the emulated server.
        state: Lifespan state to copy into the scope, or ``None`` when lifespan did not run.
        subprotocols: The subprotocols the client offers, in preference order.
    """
    scope = _connection_scope(request, info, state)
    scope["type"] = "websocket"
    scope["scheme"] = _WEBSOCKET_SCHEMES.get(request.url.scheme, request.url.scheme)
    scope["subprotocols"] = list(subprotocols)
    return scope


def _connection_scope(
    request: httpx.Request, info: ConnectionInfo, state: Mapping[str, Any] | None
) -> Scope:
    url = request.url
    raw_path, _, _ = url.raw_path.partition(b"?")
    # Like uvicorn's --root-path: the prefix the proxy stripped is put back in front.
    raw_path = quote(info.root_path, safe=_ROOT_PATH_SAFE).encode("ascii") + raw_path
    scope: Scope = {
        "asgi": dict(_ASGI_INFO),
        "http_version": "1.1",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": url.query,
        "root_path": info.root_path,
        "headers": _raw_headers(request.headers),
        "client": info.client,
        "server": (url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 80)),
    }
    if state is not None:
        scope["state"] = dict(state)
    return scope


def _raw_headers(headers: httpx.Headers) -> RawHeaders:
    return [(name.lower(), value) for name, value in headers.raw]
