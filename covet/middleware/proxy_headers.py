"""The real client, scheme and host behind reverse proxies, from headers only trusted proxies set.

``Forwarded`` (RFC 7239) or ``X-Forwarded-For/-Proto/-Host/-Port`` are read only when the
direct peer is a configured proxy, and the address chain is walked from the right, skipping
trusted proxies: the first address that is not one is the client. Addresses a client prepends
to the chain are never reached, so a client can spoof neither its address nor its scheme.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.middleware.trusted_host import DEFAULT_PORTS, parse_host
from covet.types import ASGIApp, Receive, Scope, Send

__all__ = ["ProxyHeadersConfig", "ProxyHeadersMiddleware", "parse_forwarded"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# More trusted hops in a row than any real deployment has: the chain is then not believed.
MAX_HOPS = 32
_OBFUSCATED = re.compile(r"unknown|_[A-Za-z0-9._-]{1,64}", re.IGNORECASE)
_OBFUSCATED_PORT = re.compile(r"_[A-Za-z0-9._-]{1,64}")
_PORT = re.compile(r"[0-9]{1,5}")
# One forwarded-pair (RFC 7239 section 4) and what ends it: ";" (next pair), "," (next
# element) or the end. Unquoted values are taken up to a delimiter (proxies that forget to
# quote an IPv6 node are still understood); quoted ones may escape characters.
_PAIR = re.compile(
    r'[ \t]*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([^;,"\s]*))[ \t]*([;,]|$)'
)
_ESCAPE = re.compile(r"\\(.)")
_SCHEMES = {
    "http": {"http": "http", "https": "https", "ws": "http", "wss": "https"},
    "websocket": {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"},
}


def parse_forwarded(value: str) -> list[dict[str, str]] | None:
    """Parse a ``Forwarded`` value into its elements, ``None`` if it is not well-formed.

    Each element maps lower-case parameter names (``for``, ``by``, ``proto``, ``host``) to
    their unquoted values. Several header lines are one list joined with ``,``.
    """
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    position, end = 0, len(value)
    while position < end:
        if value[position] in " \t;,":  # empty pairs and empty list elements are allowed
            if value[position] == "," and current:
                elements.append(current)
                current = {}
            position += 1
            continue
        match = _PAIR.match(value, position)
        if match is None:
            return None
        name, quoted, bare, delimiter = match.groups()
        name = name.lower()
        if name in current:  # a parameter occurs at most once per element
            return None
        current[name] = bare if quoted is None else _ESCAPE.sub(r"\1", quoted)
        position = match.end()
        if delimiter != ";" and current:
            elements.append(current)
            current = {}
    if current:
        elements.append(current)
    return elements or None


@dataclass(frozen=True, slots=True)
class _Node:
    host: str  # a canonical IP address, or an obfuscated identifier
    port: int
    address: IPAddress | None


def _node(text: str) -> _Node | None:
    """Parse a node (``192.0.2.1``, ``[2001:db8::1]:4711``, ``_hidden``...); ``None`` if invalid."""
    text = text.strip()
    port_text = ""
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            return None
        host_text, rest = text[1:close], text[close + 1 :]
        if rest:
            if rest[0] != ":":
                return None
            port_text = rest[1:]
    elif text.count(":") == 1:  # an IPv4 address or identifier with a port
        host_text, _, port_text = text.partition(":")
    else:  # a bare IPv4 or (in X-Forwarded-For) IPv6 address, or an identifier
        host_text = text
    port = _port(port_text)
    if port is None:
        return None
    try:
        address = ipaddress.ip_address(host_text)
    except ValueError:
        if _OBFUSCATED.fullmatch(host_text):
            return _Node(host_text, port, None)
        return None
    if "%" in host_text:
        return None
    return _Node(str(address), port, address)


def _port(text: str) -> int | None:
    if not text or _OBFUSCATED_PORT.fullmatch(text):
        return 0
    if _PORT.fullmatch(text) and int(text) <= 65535:
        return int(text)
    return None


@dataclass(frozen=True, slots=True)
class _Hop:
    """One step of the chain: who connected, and what it told the next proxy."""

    node: str
    proto: str | None = None
    host: str | None = None
    port: str | None = None


def _header_list(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    """All values of a comma-separated header, over every line of it, left to right."""
    values = [value.decode("latin-1") for key, value in headers if key == name]
    if not values:
        return []
    return [item.strip() for item in ",".join(values).split(",")]


def _aligned(values: list[str], from_right: int) -> str | None:
    """The value a hop ``from_right`` steps from the right set (one value: the nearest proxy's)."""
    if len(values) == 1:
        return values[0] or None
    if len(values) >= from_right:
        return values[-from_right] or None
    return None


def _x_forwarded_hops(headers: list[tuple[bytes, bytes]]) -> list[_Hop] | None:
    nodes = _header_list(headers, b"x-forwarded-for")
    if not nodes:
        return None
    protos = _header_list(headers, b"x-forwarded-proto")
    hosts = _header_list(headers, b"x-forwarded-host")
    ports = _header_list(headers, b"x-forwarded-port")
    count = len(nodes)
    # PERF: only the hops the walk can reach are built, however long the header is.
    first = max(0, count - MAX_HOPS - 1)
    return [
        _Hop(
            node,
            _aligned(protos, count - index),
            _aligned(hosts, count - index),
            _aligned(ports, count - index),
        )
        for index, node in enumerate(nodes[first:], first)
    ]


def _forwarded_hops(headers: list[tuple[bytes, bytes]]) -> list[_Hop] | None:
    values = [value.decode("latin-1") for key, value in headers if key == b"forwarded"]
    if not values:
        return None
    elements = parse_forwarded(",".join(values))
    if elements is None or any("for" not in element for element in elements):
        return None
    return [_Hop(element["for"], element.get("proto"), element.get("host")) for element in elements]


@dataclass(frozen=True, slots=True)
class ProxyHeadersConfig:
    """Which peers are proxies, and which headers they set.

    Attributes:
        trusted_proxies: Addresses and networks (``"10.0.0.0/8"``, ``"fd00::/8"``) of your
            reverse proxies and load balancers, or ``"*"`` to trust every peer (only when
            nothing but your proxy can reach the app). By default the loopback addresses,
            as uvicorn does: a proxy on the same machine (nginx in front of the app) works
            without configuration, and nobody off the machine is believed.
        mode: The headers your proxy writes: ``"x-forwarded"`` (``X-Forwarded-For``,
            ``-Proto``, ``-Host``, ``-Port``; nginx, HAProxy, most load balancers) or
            ``"forwarded"`` (RFC 7239). Only one kind is read: the other is what a client
            could send through a proxy that does not set it.
    """

    trusted_proxies: Sequence[str] = ("127.0.0.1", "::1")
    mode: Literal["x-forwarded", "forwarded"] = "x-forwarded"
    _addresses: frozenset[str] = field(init=False, repr=False, compare=False)
    _networks: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)
    _any: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        proxies = self.trusted_proxies
        if isinstance(proxies, str | bytes) or not isinstance(proxies, Sequence):
            raise ConfigurationError(
                "ProxyHeadersMiddleware: trusted_proxies must be a list of addresses and "
                f"networks (for example ['10.0.0.0/8']), not {proxies!r}."
            )
        if self.mode not in ("x-forwarded", "forwarded"):
            raise ConfigurationError(
                f"ProxyHeadersMiddleware: mode must be 'x-forwarded' or 'forwarded', "
                f"not {self.mode!r}."
            )
        addresses: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in proxies:
            if entry == "*":
                continue
            try:
                network = ipaddress.ip_network(entry)
            except (TypeError, ValueError):
                raise ConfigurationError(
                    f"ProxyHeadersMiddleware: {entry!r} in trusted_proxies is not an IP "
                    "address or network: use '203.0.113.7', '10.0.0.0/8', '::1' or '*'."
                ) from None
            if network.num_addresses == 1:
                addresses.add(str(network.network_address))
            else:
                networks.append(network)
        object.__setattr__(self, "trusted_proxies", tuple(proxies))
        object.__setattr__(self, "_addresses", frozenset(addresses))
        object.__setattr__(self, "_networks", tuple(networks))
        object.__setattr__(self, "_any", "*" in proxies)

    def trusts(self, host: str, address: IPAddress | None = None) -> bool:
        """Whether the peer ``host`` (an address as text) is a trusted proxy."""
        if self._any or host in self._addresses:
            return True
        if address is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
            if str(address) in self._addresses:
                return True
        return any(address in network for network in self._networks)


class ProxyHeadersMiddleware:
    """Show the real client, scheme and host behind trusted reverse proxies.

    When the direct peer (``scope["client"]``) is a trusted proxy, the forwarding chain is
    walked right to left past trusted proxies; the first other address becomes
    ``scope["client"]`` (so ``request.client``), and that same hop's scheme and host become
    ``scope["scheme"]`` and the ``Host`` header (so ``request.url``). Scheme values other
    than http/https (ws/wss) and malformed hosts are ignored; a malformed chain is ignored
    whole. Nothing changes for requests from other peers.

    Args:
        app: The wrapped application.
        config: A ready :class:`ProxyHeadersConfig`; or give its fields as keyword options.
        **options: ``trusted_proxies``, ``mode`` (see the config).

    Raises:
        ConfigurationError: An option is unknown or invalid.
    """

    def __init__(
        self, app: ASGIApp, *, config: ProxyHeadersConfig | None = None, **options: Any
    ) -> None:
        self.app = app
        self.config = resolve_config("ProxyHeadersMiddleware", ProxyHeadersConfig, config, options)
        self._hops = _forwarded_hops if self.config.mode == "forwarded" else _x_forwarded_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" or kind == "websocket":
            client = scope.get("client")
            if client is not None and self.config.trusts(client[0]):
                self._apply(scope, kind)
        await self.app(scope, receive, send)

    def _apply(self, scope: Scope, kind: str) -> None:
        hops = self._hops(scope["headers"])
        if not hops:
            return
        chosen = self._client_hop(hops)
        if chosen is None:
            return
        hop, node = chosen
        scope["client"] = (node.host, node.port)
        if hop.proto is not None:
            scheme = _SCHEMES[kind].get(hop.proto.lower())
            if scheme is not None:
                scope["scheme"] = scheme
        host = _forwarded_host(hop, scope)
        if host is not None:
            rest = [(name, value) for name, value in scope["headers"] if name != b"host"]
            scope["headers"] = [(b"host", host.encode("ascii")), *rest]

    def _client_hop(self, hops: list[_Hop]) -> tuple[_Hop, _Node] | None:
        """The hop naming the client: the first, from the right, that is not a trusted proxy."""
        for walked, hop in enumerate(reversed(hops)):
            if walked == MAX_HOPS:
                return None
            node = _node(hop.node)
            if node is None:
                return None  # a trusted proxy wrote garbage: believe none of it
            if node.address is None or not self.config.trusts(node.host, node.address):
                return hop, node
        # Every hop is a trusted proxy: the leftmost is as far as the chain goes.
        last = _node(hops[0].node)
        return None if last is None else (hops[0], last)


def _forwarded_host(hop: _Hop, scope: Scope) -> str | None:
    """The hop's ``host[:port]`` for the ``Host`` header, ``None`` when absent or malformed.

    A forwarded port without a forwarded host applies to the ``Host`` the proxy sent; the
    scheme's default port is left out, as a browser leaves it out.
    """
    if hop.host is None and hop.port is None:
        return None
    original = next((value for name, value in scope["headers"] if name == b"host"), None)
    text = hop.host if hop.host is not None else (original or b"").decode("latin-1")
    parsed = parse_host(text)
    if parsed is None:
        return None
    host, port = parsed
    if hop.port is not None:
        if not _PORT.fullmatch(hop.port) or int(hop.port) > 65535:
            return None
        port = int(hop.port)
    if port is None or port == DEFAULT_PORTS.get(scope.get("scheme", "http")):
        return host
    return f"{host}:{port}"
