"""Refuse WebSocket handshakes from pages of other sites (403 before the handler runs).

Browsers let any page open a WebSocket to any server, sending the user's cookies along,
and do not apply CORS to it: a WebSocket authenticated by a cookie is open to cross-site
WebSocket hijacking unless the server checks the handshake's ``Origin``. This middleware
does, against an allowlist; HTTP requests pass untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.middleware.cors import CORSConfig
from covet.middleware.trusted_host import DEFAULT_PORTS, parse_host
from covet.types import ASGIApp, Receive, Scope, Send

__all__ = ["WebSocketOriginConfig", "WebSocketOriginMiddleware"]

_NAME = "WebSocketOriginMiddleware"


@dataclass(frozen=True)
class WebSocketOriginConfig:
    """Which pages may open WebSockets to the app.

    Attributes:
        allow_origins: Exact origins (``"https://app.example.org"``), as for CORS.
        allow_origin_regex: A regular expression a well-formed origin must match in full.
        allow_same_origin: Allow pages of the app's own origin (the handshake's ``Host``
            with the matching ``http``/``https`` scheme).
        allow_missing_origin: Allow handshakes without ``Origin``: browsers always send
            it, so these come from other programs (which no page can drive).
    """

    allow_origins: Sequence[str] = ()
    allow_origin_regex: str | None = None
    allow_same_origin: bool = True
    allow_missing_origin: bool = True
    _cors: CORSConfig = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for flag in ("allow_same_origin", "allow_missing_origin"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigurationError(
                    f"{_NAME}: {flag} must be True or False, not {getattr(self, flag)!r}."
                )
        if not isinstance(self.allow_origins, str) and "*" in self.allow_origins:
            raise ConfigurationError(
                f"{_NAME}: '*' would allow every site's pages; to allow them all, do not "
                "add the middleware."
            )
        try:
            cors = CORSConfig(
                allow_origins=self.allow_origins, allow_origin_regex=self.allow_origin_regex
            )
        except ConfigurationError as exc:
            raise ConfigurationError(str(exc).replace("CORSMiddleware", _NAME)) from None
        object.__setattr__(self, "allow_origins", cors.allow_origins)
        object.__setattr__(self, "_cors", cors)

    def allows(self, origin: bytes | None, scope: Scope) -> bool:
        """Whether a handshake with this ``Origin`` (``None``: absent) may proceed."""
        if origin is None:
            return self.allow_missing_origin
        if self._cors.allows_origin(origin.lower()):
            return True
        return self.allow_same_origin and _same_origin(origin, scope)


class WebSocketOriginMiddleware:
    """Refuse WebSocket handshakes whose ``Origin`` is not allowed: 403, before accept.

    ``app.add_middleware(WebSocketOriginMiddleware, allow_origins=["https://app.example.org"])``;
    pages of the app's own origin are allowed too by default. A refused handshake is closed
    before it is accepted (the server answers ``403 Forbidden``) and the handler never runs;
    a repeated ``Origin`` header is refused.
    """

    def __init__(
        self, app: ASGIApp, *, config: WebSocketOriginConfig | None = None, **options: Any
    ) -> None:
        self.app = app
        self.config = resolve_config(_NAME, WebSocketOriginConfig, config, options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        origins = [value for name, value in scope.get("headers", ()) if name == b"origin"]
        if len(origins) <= 1 and self.config.allows(origins[0] if origins else None, scope):
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 1008, "reason": "Origin not allowed"})


def _same_origin(origin: bytes, scope: Scope) -> bool:
    """Whether ``origin`` is the handshake's own ``scheme://Host``."""
    hosts = [value for name, value in scope.get("headers", ()) if name == b"host"]
    if len(hosts) != 1:
        return False
    try:
        text, host_text = origin.decode("ascii"), hosts[0].decode("ascii")
    except UnicodeDecodeError:
        return False
    scheme, sep, authority = text.partition("://")
    own = parse_host(host_text)
    given = parse_host(authority) if sep and "/" not in authority else None
    if own is None or given is None:
        return False
    want = "https" if scope.get("scheme") in ("wss", "https") else "http"
    if scheme.lower() != want:
        return False
    default = DEFAULT_PORTS[want]
    return (own[0], own[1] or default) == (given[0], given[1] or default)
