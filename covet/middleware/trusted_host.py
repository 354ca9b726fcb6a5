"""Refuse requests whose ``Host`` is not one of the app's own names (400), before any route runs.

A wrong ``Host`` poisons every absolute URL an app builds from it (password-reset links,
redirects, cache keys). This middleware answers such requests with a 400 problem document:
a missing, repeated or malformed ``Host``, and any host not on the allowlist.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from covet.datastructures import URL
from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.responses.base import RedirectResponse
from covet.responses.problem import ProblemResponse
from covet.types import ASGIApp, Receive, Scope, Send

__all__ = ["TrustedHostConfig", "TrustedHostMiddleware", "parse_host", "punycode_host"]

# A DNS name of at most 253 characters, plus a bracketed IPv6 literal's extra and a port.
_MAX_HOST_LENGTH = 300
_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*")
_PORT = re.compile(r"[0-9]{1,5}")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def parse_host(value: str) -> tuple[str, int | None] | None:
    """Split a ``Host`` value into a normalised ``(host, port)``, or ``None`` if it is not one.

    Names are lower-cased and lose a trailing dot; IPv6 literals keep their brackets and
    are written in their canonical form (``[2001:db8::1]``). Anything else a URL authority
    could hold (user info, a path, a query, a fragment, spaces, non-ASCII) is refused.
    """
    if len(value) > _MAX_HOST_LENGTH or not value.isascii():
        return None
    if value.startswith("["):
        end = value.find("]")
        literal, rest = value[1:end], value[end + 1 :]
        if end < 0 or "%" in literal:  # no zone ids: they are local to the machine
            return None
        try:
            host = f"[{ipaddress.IPv6Address(literal).compressed}]"
        except ValueError:
            return None
    else:
        name, colon, port_text = value.partition(":")
        rest = colon + port_text
        host = name.lower()
        if host.endswith("."):
            host = host[:-1]
        if len(host) > 253 or not _NAME.fullmatch(host):
            return None
    if not rest or rest == ":":
        return host, None
    if rest[0] != ":" or not _PORT.fullmatch(rest, 1):
        return None
    port = int(rest[1:])
    return (host, port) if port <= 65535 else None


def punycode_host(text: str) -> str:
    """``host[:port]`` with an internationalised name in punycode, as clients send it.

    An ASCII ``text`` is returned as it is; a name IDNA cannot encode becomes ``"\x00"``,
    which :func:`parse_host` refuses.
    """
    if text.isascii():
        return text
    name, colon, port_text = text.partition(":")
    try:
        return name.encode("idna").decode("ascii") + colon + port_text
    except UnicodeError:
        return "\x00"


@dataclass(frozen=True, slots=True)
class _Pattern:
    host: str  # the exact name, or the suffix (".example.org") of a wildcard
    port: int | None
    wildcard: bool

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and port != self.port:
            return False
        return host.endswith(self.host) if self.wildcard else host == self.host


def _compile(pattern: str) -> _Pattern:
    if not isinstance(pattern, str):
        raise ConfigurationError(
            f"TrustedHostMiddleware: allowed_hosts holds {pattern!r}; it takes host names."
        )
    wildcard = pattern.startswith("*.")
    text = pattern[2:] if wildcard else pattern
    text = punycode_host(text)
    parsed = parse_host(text)
    if parsed is None or "*" in text:
        raise ConfigurationError(
            f"TrustedHostMiddleware: {pattern!r} in allowed_hosts is not a host name: use "
            "'example.org', 'example.org:8443', '[::1]', '*.example.org' (subdomains) or '*'."
        )
    host, port = parsed
    if wildcard and host.startswith("["):
        raise ConfigurationError(
            f"TrustedHostMiddleware: {pattern!r}: a wildcard applies to names, not IP addresses."
        )
    return _Pattern("." + host if wildcard else host, port, wildcard)


@dataclass(frozen=True, slots=True)
class TrustedHostConfig:
    """The host names :class:`TrustedHostMiddleware` accepts.

    Attributes:
        allowed_hosts: Exact names (``"example.org"``), names with a port
            (``"example.org:8443"``: that port only; a name without one accepts any port),
            IP addresses (``"203.0.113.7"``, ``"[2001:db8::1]"``), wildcards
            (``"*.example.org"``: any subdomain, at any depth, **not** ``example.org``
            itself: list both to accept both), or ``"*"`` (any well-formed host: for
            development). Compared case-insensitively, ignoring a trailing dot.
        www_redirect: Redirect (301) a request for ``example.org`` to
            ``www.example.org`` when only the ``www.`` name is allowed.
    """

    allowed_hosts: Sequence[str]
    www_redirect: bool = False
    _patterns: tuple[_Pattern, ...] = field(init=False, repr=False, compare=False)
    _any: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hosts = self.allowed_hosts
        if isinstance(hosts, str | bytes) or not isinstance(hosts, Sequence) or not hosts:
            raise ConfigurationError(
                "TrustedHostMiddleware: allowed_hosts must be a non-empty list of host names "
                f"(for example ['example.org', '*.example.org']), not {hosts!r}."
            )
        if not isinstance(self.www_redirect, bool):
            raise ConfigurationError(
                f"TrustedHostMiddleware: www_redirect must be True or False, "
                f"not {self.www_redirect!r}."
            )
        patterns = tuple(_compile(host) for host in hosts if host != "*")
        object.__setattr__(self, "allowed_hosts", tuple(hosts))
        object.__setattr__(self, "_patterns", patterns)
        object.__setattr__(self, "_any", "*" in hosts)

    def allows(self, host: str, port: int) -> bool:
        """Whether the normalised ``host`` on ``port`` is allowed."""
        return self._any or any(pattern.matches(host, port) for pattern in self._patterns)


class TrustedHostMiddleware:
    """Answer 400 to requests whose ``Host`` header is missing, repeated, malformed or not allowed.

    The route is not run. WebSocket handshakes with such a host are refused (closed with
    1008 before they are accepted). Put it inside :class:`ProxyHeadersMiddleware` (add it
    first), so a host forwarded by a trusted proxy is the one checked.

    Args:
        app: The wrapped application.
        config: A ready :class:`TrustedHostConfig`; or give its fields as keyword options.
        **options: ``allowed_hosts``, ``www_redirect`` (see the config).

    Raises:
        ConfigurationError: An option is missing, unknown or invalid.
    """

    def __init__(
        self, app: ASGIApp, *, config: TrustedHostConfig | None = None, **options: Any
    ) -> None:
        self.app = app
        if config is None and "allowed_hosts" not in options:
            raise ConfigurationError(
                "TrustedHostMiddleware needs allowed_hosts=[...]: the host names of the app."
            )
        self.config = resolve_config("TrustedHostMiddleware", TrustedHostConfig, config, options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        parsed = _host_of(scope)
        if parsed is not None:
            host, port = parsed
            if port is None:
                port = DEFAULT_PORTS.get(scope.get("scheme", "http"), 80)
            if self.config.allows(host, port):
                await self.app(scope, receive, send)
                return
            if self.config.www_redirect and kind == "http":
                target = self._www_target(scope, host, port)
                if target is not None:
                    await RedirectResponse(target, 301)(scope, receive, send)
                    return
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "Invalid host"})
            return
        response = ProblemResponse(
            400, "The Host header is missing, malformed or not a name this server answers to."
        )
        await response(scope, receive, send)

    def _www_target(self, scope: Scope, host: str, port: int) -> str | None:
        if host.startswith(("www.", "[")):
            return None
        www = "www." + host
        if not self.config.allows(www, port):
            return None
        url = URL.from_scope(scope)
        netloc = www if url.port is None else f"{www}:{url.port}"
        return str(url.replace(netloc=netloc))


def _host_of(scope: Scope) -> tuple[str, int | None] | None:
    """The request's one ``Host``, parsed; ``None`` when missing, repeated or malformed."""
    found = None
    for name, value in scope["headers"]:
        if name == b"host":
            if found is not None:
                return None  # RFC 9112 section 3.2: more than one Host is a 400
            found = value
    if found is None:
        return None
    return parse_host(found.decode("latin-1"))
