"""Response compression (gzip, and Brotli with the ``brotli`` extra); optional request inflation.

The coding is negotiated from ``Accept-Encoding`` (RFC 9110 section 12.5.3). A whole body
(one ``http.response.body`` message) is compressed at once, with its new ``Content-Length``,
when it is at least ``minimum_size`` bytes; a streamed body is compressed chunk by chunk, each
chunk flushed so the client can decode it before the next one exists. Server-sent events,
already encoded bodies, ranges, ``no-transform`` and non-compressible types pass untouched.
"""

from __future__ import annotations

import types
import zlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from covet._optional import require
from covet.exceptions import ConfigurationError, HTTPException, MissingDependencyError
from covet.limits import DEFAULT_LIMITS
from covet.middleware._coding import (
    BROTLI,
    GZIP,
    CodingError,
    Encoder,
    Inflater,
    Negotiator,
    bounded_brotli,
    brotli_encoder,
    gzip_encoder,
    inflater_for,
)
from covet.middleware._config import resolve_config
from covet.responses.problem import ProblemResponse
from covet.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_CONTENT_TYPES", "GZipConfig", "GZipMiddleware"]

#: The key of a route's ``opt`` mapping that turns response compression off (``False``).
OPT_KEY = "gzip"

#: Media types compressed by default: text and the structured formats sent as text.
DEFAULT_CONTENT_TYPES: tuple[str, ...] = (
    "text/*",
    "application/json",
    "*+json",
    "application/x-ndjson",
    "application/javascript",
    "application/ecmascript",
    "application/x-javascript",
    "application/xml",
    "*+xml",
    "application/wasm",
    "application/graphql",
    "application/yaml",
    "application/toml",
    "application/x-www-form-urlencoded",
    "image/bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "font/ttf",
    "font/otf",
    "application/vnd.ms-fontobject",
)
_EVENT_STREAM = b"text/event-stream"
_NO_BODY = frozenset({204, 205, 206, 304})
_READ_SIZE = 64 * 1024  # inflated bytes handed to the app per receive() at most
_REQUEST_CODINGS = "gzip, deflate, br"

_ACCEPT_ENCODING = b"accept-encoding"
_CONTENT_ENCODING = b"content-encoding"
_CONTENT_LENGTH = b"content-length"
_VARY = b"vary"
# An encoded body is not re-encoded; a range addresses the bytes of one representation.
_NOT_COMPRESSED_IF_PRESENT = frozenset({_CONTENT_ENCODING, b"content-range"})
_VARY_HEADER = (_VARY, b"Accept-Encoding")
# Headers a compressed response drops: the length changes, ranges would address the
# compressed bytes, and the value of a strong ETag is re-added weakened.
_DROPPED = frozenset({_CONTENT_LENGTH, b"accept-ranges", b"etag"})


def _check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigurationError(
            f"GZipMiddleware: {name} must be an integer {bounds}, not {value!r}."
        )


def _check_bool(name: str, value: object, none: bool = False) -> None:
    if not (isinstance(value, bool) or (none and value is None)):
        extra = ", or None (use it when installed)" if none else ""
        raise ConfigurationError(f"GZipMiddleware: {name} must be True or False{extra}.")


@dataclass(frozen=True, slots=True)
class _TypeMatcher:
    exact: frozenset[bytes]
    prefixes: tuple[bytes, ...]
    suffixes: tuple[bytes, ...]

    def matches(self, content_type: bytes) -> bool:
        media = content_type.partition(b";")[0].strip().lower()
        if media == _EVENT_STREAM:
            return False  # SSE is never buffered or compressed
        return (
            media in self.exact
            or media.startswith(self.prefixes)
            or (bool(self.suffixes) and media.endswith(self.suffixes))
        )


def _type_matcher(patterns: Sequence[str]) -> _TypeMatcher:
    if isinstance(patterns, str | bytes) or not isinstance(patterns, Sequence):
        raise ConfigurationError(
            "GZipMiddleware: content_types must be a list of media types such as "
            f"['text/*', 'application/json', '*+json'], not {patterns!r}."
        )
    exact, prefixes, suffixes = set(), [], []
    for pattern in patterns:
        text = pattern.strip().lower() if isinstance(pattern, str) else ""
        kind, slash, sub = text.partition("/")
        if text.startswith("*+") and "/" not in text and len(text) > 2:
            suffixes.append(text[1:].encode("ascii"))
        elif slash and kind and sub and "*" not in kind and text.isascii():
            if text == _EVENT_STREAM.decode():
                raise ConfigurationError(
                    "GZipMiddleware: text/event-stream cannot be compressed: server-sent "
                    "events must reach the client as they are produced."
                )
            if sub == "*":
                prefixes.append(f"{kind}/".encode("ascii"))
            elif "*" not in sub:
                exact.add(text.encode("ascii"))
            else:
                raise ConfigurationError(f"GZipMiddleware: bad media type pattern {pattern!r}.")
        else:
            raise ConfigurationError(
                f"GZipMiddleware: {pattern!r} in content_types is not a media type; use "
                "'type/subtype', 'type/*' or '*+suffix'."
            )
    return _TypeMatcher(frozenset(exact), tuple(prefixes), tuple(suffixes))


@dataclass(frozen=True, slots=True)
class GZipConfig:
    """How :class:`GZipMiddleware` compresses responses (and, optionally, inflates requests).

    Attributes:
        minimum_size: Whole bodies smaller than this many bytes are sent as they are.
            Streamed bodies are always compressed (their size is not known up front).
        compresslevel: zlib level for gzip, 1 (fast) to 9 (small).
        brotli: ``None`` uses Brotli when the ``brotli`` package is installed, ``True``
            requires it (start-up fails without ``pip install 'covetpy[brotli]'``),
            ``False`` offers gzip only.
        brotli_quality: Brotli quality, 0 to 11; 11 is far too slow for live responses.
        content_types: Media types compressed: ``type/subtype``, ``type/*`` or
            ``*+suffix``. ``text/event-stream`` is never compressed.
        decompress_requests: Inflate request bodies sent with ``Content-Encoding: gzip``,
            ``deflate`` or ``br`` before the app reads them (off by default: see the docs).
        max_decompressed_size: The largest inflated request body in bytes; ``None`` takes
            the route's ``max_body_size``, else the app's ``Limits.max_body_size``.
    """

    minimum_size: int = 500
    compresslevel: int = 6
    brotli: bool | None = None
    brotli_quality: int = 4
    content_types: Sequence[str] = DEFAULT_CONTENT_TYPES
    decompress_requests: bool = False
    max_decompressed_size: int | None = None
    _types: _TypeMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_int("minimum_size", self.minimum_size, 0)
        _check_int("compresslevel", self.compresslevel, 1, 9)
        _check_bool("brotli", self.brotli, none=True)
        _check_int("brotli_quality", self.brotli_quality, 0, 11)
        _check_bool("decompress_requests", self.decompress_requests)
        if self.max_decompressed_size is not None:
            _check_int("max_decompressed_size", self.max_decompressed_size, 1)
        object.__setattr__(self, "_types", _type_matcher(self.content_types))
        object.__setattr__(self, "content_types", tuple(self.content_types))

    def compresses(self, content_type: bytes) -> bool:
        """Whether a response of this ``Content-Type`` value may be compressed."""
        return self._types.matches(content_type)


def _brotli_module(wanted: bool | None) -> types.ModuleType | None:
    """The ``brotli`` module when it is to be used, decided once at construction."""
    if wanted is False:
        return None
    try:
        return require("brotli", extra="brotli")
    except MissingDependencyError:
        if wanted:
            raise
        return None


class _InflateError(HTTPException):
    """A request body that cannot be inflated (400) or inflates past the limit (413)."""


def _route_opt_out(scope: Scope) -> bool:
    route = scope.get("route")
    opt = getattr(route, "opt", None)
    return bool(opt) and opt.get(OPT_KEY, True) is False  # type: ignore[union-attr]


class GZipMiddleware:
    """Compress responses with Brotli or gzip, as the client's ``Accept-Encoding`` prefers.

    Compressible responses get ``Vary: Accept-Encoding`` whether or not this client asked
    for compression. Compressed ones lose ``Content-Length`` (re-set for a whole body) and
    ``Accept-Ranges``, and a strong ``ETag`` becomes weak. A route with
    ``opt={"gzip": False}`` is never compressed. WebSocket and lifespan pass through.

    Args:
        app: The wrapped application.
        config: A ready :class:`GZipConfig`; or give its fields as keyword options.
        **options: ``minimum_size``, ``compresslevel``, ``brotli``, ``brotli_quality``,
            ``content_types``, ``decompress_requests``, ``max_decompressed_size``.

    Raises:
        ConfigurationError: An option is unknown or invalid.
        MissingDependencyError: ``brotli=True`` without the ``brotli`` package.
    """

    def __init__(self, app: ASGIApp, *, config: GZipConfig | None = None, **options: Any) -> None:
        self.app = app
        self.config = config = resolve_config("GZipMiddleware", GZipConfig, config, options)
        self._brotli = _brotli_module(config.brotli)
        self.negotiator = Negotiator((BROTLI, GZIP) if self._brotli is not None else (GZIP,))
        self._minimum = config.minimum_size
        self._compresses = config.compresses
        # PERF: the answer per Content-Type value, kept (apps send a handful of them).
        self._type_cache: dict[bytes, bool] = {}
        self._level = config.compresslevel
        self._quality = config.brotli_quality
        self._inflate = config.decompress_requests

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Check every route's ``opt["gzip"]`` at start-up, so a bad one stops the app."""
        for route in getattr(getattr(app, "router", None), "routes", ()):
            opt = getattr(route, "opt", None)
            if opt and OPT_KEY in opt and not isinstance(opt[OPT_KEY], bool):
                raise ConfigurationError(
                    f"GZipMiddleware: opt['gzip'] of route {route.path!r} must be True or "
                    f"False, not {opt[OPT_KEY]!r}."
                )
        yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = None
        encoding = None
        for name, value in scope["headers"]:
            if name == _ACCEPT_ENCODING:
                accept = value if accept is None else accept + b"," + value
            elif name == _CONTENT_ENCODING:
                # Repeated lines are one list ("gzip,gzip"): refused as several codings.
                encoding = value if encoding is None else encoding + b"," + value
        inflating = False
        if encoding is not None and self._inflate:
            inflating = True
            inflated = await self._inflated(scope, receive, send, encoding)
            if inflated is None:
                return
            scope, receive = inflated
        coding, identity_ok = (None, True) if accept is None else self.negotiator.choose(accept)
        if coding is None:
            outer = send
            compressible = self.compressible

            # PERF: no coding for this client: a plain function adding Vary to the start
            # only, defined inline to save a call per request.
            def send_varying(message: Message) -> Awaitable[None]:
                if message["type"] == "http.response.start" and compressible(scope, message):
                    message = {**message, "headers": _with_vary(message.get("headers", ()))}
                return outer(message)

            send = _StartTracker(send_varying) if inflating else send_varying
        else:
            send = _Compressor(self, scope, send, coding, identity_ok)
        try:
            await self.app(scope, receive, send)
        except _InflateError as exc:
            if getattr(send, "started", True):
                raise  # too late for a response (or not ours to tell): the server cuts it
            await ProblemResponse(exc.status_code, exc.detail)(scope, receive, send)

    # -- responses -------------------------------------------------------------------------

    def compressible(self, scope: Scope, message: Message) -> bool:
        """Whether the response ``message`` starts may be compressed (its size aside)."""
        status = message["status"]
        if status < 200 or status in _NO_BODY:
            return False
        compressible = False
        for name, value in message.get("headers", ()):
            if name == b"content-type":
                known = self._type_cache.get(value)
                if known is None:
                    known = self._compresses(value)
                    if len(self._type_cache) < 64:
                        self._type_cache[value] = known
                compressible = known
            elif name in _NOT_COMPRESSED_IF_PRESENT or (
                name == b"cache-control" and b"no-transform" in value.lower()
            ):
                return False
        return compressible and not _route_opt_out(scope)

    def encoder(self, coding: str) -> Encoder:
        """A fresh streaming encoder for ``coding``."""
        if coding == BROTLI:
            return brotli_encoder(self._brotli, self._quality)  # type: ignore[arg-type]
        return gzip_encoder(self._level)

    def compress(self, coding: str, body: bytes) -> bytes:
        """``body`` compressed whole."""
        if coding == BROTLI:
            return self._brotli.compress(body, quality=self._quality)  # type: ignore[no-any-return,union-attr]
        return zlib.compress(body, self._level, wbits=16 + zlib.MAX_WBITS)

    # -- requests --------------------------------------------------------------------------

    async def _inflated(
        self, scope: Scope, receive: Receive, send: Send, encoding: bytes
    ) -> tuple[Scope, Receive] | None:
        """The scope and receive the app gets for a compressed body; ``None`` if answered."""
        coding = encoding.decode("latin-1").strip().lower()
        if coding == "identity" or not coding:
            return scope, receive
        inflater = inflater_for(coding, self._brotli)
        if inflater is None:
            detail = f"Request bodies in Content-Encoding {coding!r} are not accepted."
            accepted = (
                _REQUEST_CODINGS
                if self._brotli is not None and bounded_brotli(self._brotli)
                else "gzip, deflate"
            )
            response = ProblemResponse(415, detail, headers={"Accept-Encoding": accepted})
            await response(scope, receive, send)
            return None
        limit = self._body_limit(scope)
        headers = []
        for name, value in scope["headers"]:
            if name == _CONTENT_LENGTH:
                if value.isdigit() and int(value) > limit:
                    await ProblemResponse(413, _too_large(limit))(scope, receive, send)
                    return None
            elif name != _CONTENT_ENCODING:
                headers.append((name, value))
        return {**scope, "headers": headers}, _inflating_receive(receive, inflater, limit)

    def _body_limit(self, scope: Scope) -> int:
        if self.config.max_decompressed_size is not None:
            return self.config.max_decompressed_size
        app = scope.get("app")
        router = getattr(app, "router", None)
        route = router.route_for(scope) if router is not None else None
        size = getattr(route, "max_body_size", None)
        if size is not None:
            return int(size)
        limits = getattr(app, "limits", None) or DEFAULT_LIMITS
        return int(limits.max_body_size)


def _too_large(limit: int) -> str:
    return f"The request body, decompressed, is larger than the limit of {limit} bytes."


def _inflating_receive(receive: Receive, inflater: Inflater, limit: int) -> Receive:
    """A ``receive`` handing the app the inflated body, refusing it past ``limit`` bytes."""
    received = produced = 0
    ended = done = False

    async def receive_inflated() -> Message:
        nonlocal received, produced, ended, done
        if done:
            return await receive()  # the body is over: disconnects and the like
        while True:
            try:
                out = inflater.read(_READ_SIZE)
                if not out and ended:
                    inflater.close()
            except CodingError as exc:
                done = True
                raise _InflateError(400, f"The request body is not valid: {exc}.") from None
            if out:
                produced += len(out)
                if produced > limit:
                    done = True
                    raise _InflateError(413, _too_large(limit))
                return {"type": "http.request", "body": out, "more_body": True}
            if ended:
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                done = True
                raise _InflateError(413, _too_large(limit))
            ended = not message.get("more_body", False)
            inflater.feed(chunk)

    return receive_inflated


def _with_vary(headers: Any) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Accept-Encoding`` in ``Vary`` (merged into an existing one)."""
    out = list(headers)
    for index, (name, value) in enumerate(out):
        if name == _VARY:
            lowered = value.lower()
            if b"accept-encoding" in lowered or b"*" in lowered:
                return out
            out[index] = (name, value + b", Accept-Encoding")
            return out
    out.append(_VARY_HEADER)
    return out


def _encoded_headers(headers: Any, coding: bytes, length: int | None) -> list[tuple[bytes, bytes]]:
    """The start headers of a compressed response."""
    out = []
    for name, value in _with_vary(headers):
        if name in _DROPPED:
            if name == b"etag":
                out.append((name, value if value.startswith(b"W/") else b"W/" + value))
            continue
        out.append((name, value))
    out.append((_CONTENT_ENCODING, coding))
    if length is not None:
        out.append((_CONTENT_LENGTH, str(length).encode("ascii")))
    return out


class _StartTracker:
    """A ``send`` noting whether the response has started (for late request-body errors)."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    def __call__(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            self.started = True
        return self.send(message)


class _Compressor:
    """The ``send`` of one request whose client accepts a coding: compresses its response."""

    __slots__ = (
        "coding",
        "encoder",
        "middleware",
        "minimum",
        "name",
        "scope",
        "send",
        "start",
        "started",
        "state",
    )

    def __init__(
        self, middleware: GZipMiddleware, scope: Scope, send: Send, coding: str, identity: bool
    ) -> None:
        self.middleware = middleware
        self.scope = scope
        self.send = send
        self.coding = coding
        self.name = coding.encode("ascii")
        # A client refusing identity gets even small bodies compressed.
        self.minimum = middleware._minimum if identity else 0
        self.start: Message | None = None
        self.encoder: Encoder | None = None
        self.state = "start"  # start -> held -> (stream | pass)
        self.started = False

    async def __call__(self, message: Message) -> None:
        state = self.state
        if state == "pass":
            await self.send(message)
        elif state == "stream":
            await self._stream(message)
        elif message["type"] == "http.response.start":
            await self._on_start(message)
        elif state == "held" and message["type"] == "http.response.body":
            await self._on_first_body(message)
        else:
            if state == "held":  # not a body after the start: send the start as it was
                start = self.start
                assert start is not None
                self.state = "pass"
                await self.send({**start, "headers": _with_vary(start.get("headers", ()))})
            await self.send(message)

    async def _on_start(self, message: Message) -> None:
        self.started = True
        if not self.middleware.compressible(self.scope, message):
            self.state = "pass"
            await self.send(message)
            return
        headers = message.get("headers", ())
        length = None
        for name, value in headers:
            if name == _CONTENT_LENGTH:
                length = int(value) if value.isdigit() else None
        if self.scope.get("method") == "HEAD":
            # The same headers as GET where they can be known: the compressed length cannot.
            self.state = "pass"
            if length is None or length >= self.minimum:
                headers = _encoded_headers(headers, self.name, None)
            else:
                headers = _with_vary(headers)
            await self.send({**message, "headers": headers})
            return
        if length is not None and length < self.minimum:
            self.state = "pass"
            await self.send({**message, "headers": _with_vary(headers)})
            return
        self.start = message
        self.state = "held"

    async def _on_first_body(self, message: Message) -> None:
        start = self.start
        assert start is not None
        headers = start.get("headers", ())
        body: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            self.state = "pass"
            if len(body) < self.minimum:
                await self.send({**start, "headers": _with_vary(headers)})
                await self.send(message)
                return
            compressed = self.middleware.compress(self.coding, body)
            headers = _encoded_headers(headers, self.name, len(compressed))
            await self.send({**start, "headers": headers})
            await self.send({"type": "http.response.body", "body": compressed})
            return
        self.state = "stream"
        self.encoder = self.middleware.encoder(self.coding)
        await self.send({**start, "headers": _encoded_headers(headers, self.name, None)})
        await self._stream(message)

    async def _stream(self, message: Message) -> None:
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        encoder = self.encoder
        assert encoder is not None
        body: bytes = message.get("body", b"")
        if message.get("more_body", False):
            if body:
                await self.send(
                    {"type": "http.response.body", "body": encoder.chunk(body), "more_body": True}
                )
            return
        self.state = "pass"
        await self.send({"type": "http.response.body", "body": encoder.finish(body)})
