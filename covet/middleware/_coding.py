"""Content codings, sans I/O: ``Accept-Encoding`` negotiation, encoders and bounded inflaters.

Nothing here touches ASGI: :mod:`covet.middleware.gzip` feeds bytes in and sends what comes
out. Every inflater produces at most the number of bytes it is asked for, so a compression
bomb costs the memory of one chunk, never of its inflated size.
"""

from __future__ import annotations

import re
import types
import zlib
from typing import Protocol

__all__ = [
    "BROTLI",
    "GZIP",
    "CodingError",
    "Encoder",
    "Inflater",
    "Negotiator",
    "brotli_encoder",
    "gzip_encoder",
    "inflater_for",
]

GZIP = "gzip"
BROTLI = "br"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_CACHE_SIZE = 256  # distinct Accept-Encoding values remembered (browsers send a handful)
_CACHEABLE_LENGTH = 256


class CodingError(ValueError):
    """A request body is not valid data in its declared content coding."""


# -- negotiation (RFC 9110 section 12.5.3) ------------------------------------------------


def _weight(params: str) -> float | None:
    """The ``q`` of one element's parameters (1 without one); ``None`` when it is malformed."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            if len(value) > 5 or not _QVALUE.fullmatch(value):
                return None
            return float(value)
    return 1.0


def parse_weights(value: str, wanted: frozenset[str]) -> dict[str, float]:
    """The ``q`` of each coding in ``wanted`` (and ``identity``, ``*``) the header names.

    Codings are compared case-insensitively, ``x-gzip`` is ``gzip``; the first mention of a
    coding counts. Malformed elements (a bad ``q``) are skipped. Only wanted codings are
    kept, so a header naming thousands of codings costs time linear in its length and no
    memory beyond a few entries.
    """
    weights: dict[str, float] = {}
    for element in value.split(","):
        coding, _, params = element.partition(";")
        coding = coding.strip().lower()
        if coding == "x-gzip":
            coding = GZIP
        if coding not in wanted or coding in weights:
            continue
        q = _weight(params) if params else 1.0
        if q is not None:
            weights[coding] = q
    return weights


class Negotiator:
    """Choose a response coding among ``available`` (server preference order) for a client.

    Args:
        available: The codings the server can produce, preferred first (``("br", "gzip")``).
    """

    def __init__(self, available: tuple[str, ...]) -> None:
        self.available = available
        self._wanted = frozenset((*available, "identity", "*"))
        self._cache: dict[bytes, tuple[str | None, bool]] = {}

    def choose(self, header: bytes) -> tuple[str | None, bool]:
        """Return ``(coding or None for identity, whether identity is acceptable)``.

        The coding with the highest ``q`` wins, ties going to the server's preference; an
        explicit ``identity`` (or ``*``) weighted above every coding keeps the response
        uncompressed. Garbage never raises: unreadable elements are ignored.
        """
        cached = self._cache.get(header)
        if cached is not None:
            return cached
        result = self._choose(header.decode("latin-1"))
        if len(header) <= _CACHEABLE_LENGTH:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[header] = result
        return result

    def _choose(self, value: str) -> tuple[str | None, bool]:
        weights = parse_weights(value, self._wanted)
        star = weights.get("*")
        identity = weights.get("identity", star)
        best: str | None = None
        best_q = 0.0
        for coding in self.available:
            q = weights.get(coding, 0.0 if star is None else star)
            if q > best_q:
                best, best_q = coding, q
        if best is not None and identity is not None and identity > best_q:
            best = None  # the client prefers the uncompressed representation
        return best, identity is None or identity > 0


# -- encoders ------------------------------------------------------------------------------


class Encoder(Protocol):
    """A streaming compressor: every chunk's output is decodable as soon as it is sent."""

    def chunk(self, data: bytes) -> bytes:
        """Compress ``data`` and flush, so the client can decode everything sent so far."""
        ...

    def finish(self, data: bytes) -> bytes:
        """Compress the last ``data`` and end the stream."""
        ...


class _GzipEncoder:
    __slots__ = ("_compressor",)

    def __init__(self, level: int) -> None:
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, _GZIP_WBITS)

    def chunk(self, data: bytes) -> bytes:
        compressor = self._compressor
        return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)

    def finish(self, data: bytes) -> bytes:
        compressor = self._compressor
        return compressor.compress(data) + compressor.flush()


class _BrotliEncoder:
    __slots__ = ("_compressor",)

    def __init__(self, brotli: types.ModuleType, quality: int) -> None:
        self._compressor = brotli.Compressor(quality=quality)

    def chunk(self, data: bytes) -> bytes:
        compressor = self._compressor
        return compressor.process(data) + compressor.flush()  # type: ignore[no-any-return]

    def finish(self, data: bytes) -> bytes:
        compressor = self._compressor
        return compressor.process(data) + compressor.finish()  # type: ignore[no-any-return]


def gzip_encoder(level: int) -> Encoder:
    """A gzip :class:`Encoder` at zlib ``level`` (1-9)."""
    return _GzipEncoder(level)


def brotli_encoder(brotli: types.ModuleType, quality: int) -> Encoder:
    """A Brotli :class:`Encoder` at ``quality`` (0-11), from the ``brotli`` module."""
    return _BrotliEncoder(brotli, quality)


# -- inflaters -----------------------------------------------------------------------------


class Inflater(Protocol):
    """A bounded decompressor: input is fed, output is read at most ``size`` bytes at a time."""

    def feed(self, data: bytes) -> None:
        """Add compressed input (called when :meth:`read` has returned ``b""``)."""
        ...

    def read(self, size: int) -> bytes:
        """Return up to about ``size`` inflated bytes; ``b""`` when more input is needed.

        Raises:
            CodingError: The data is not valid in this coding.
        """
        ...

    def close(self) -> None:
        """Check, once the input has ended, that the compressed data was complete.

        Raises:
            CodingError: The data stopped in the middle.
        """
        ...


class _ZlibInflater:
    """gzip (several members allowed, RFC 1952) or HTTP ``deflate`` (zlib, or raw deflate)."""

    __slots__ = ("_decompressor", "_gzip", "_more", "_pending", "_seen")

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._decompressor: zlib._Decompress | None = (
            zlib.decompressobj(_GZIP_WBITS) if gzip else None
        )
        self._pending = b""
        self._more = False
        self._seen = False  # any input at all: an empty body stays an empty body

    def feed(self, data: bytes) -> None:
        if data:
            self._seen = True
            self._pending += data

    def _start(self) -> zlib._Decompress | None:
        if self._gzip:
            return zlib.decompressobj(_GZIP_WBITS)
        pending = self._pending
        if len(pending) < 2:
            return None  # deflate's first two bytes tell zlib from raw deflate
        # HTTP "deflate" is zlib (RFC 1950), but some clients send raw deflate (RFC 1951).
        is_zlib = pending[0] & 0x0F == 8 and (pending[0] << 8 | pending[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)

    def read(self, size: int) -> bytes:
        try:
            # _more: the last call filled its output, so zlib may hold more without input.
            while self._pending or self._more:
                decompressor = self._decompressor
                if decompressor is None or decompressor.eof:
                    if decompressor is not None and not self._gzip:
                        raise CodingError("data follows the end of the deflate stream")
                    decompressor = self._decompressor = self._start()
                    if decompressor is None:
                        return b""
                out = decompressor.decompress(self._pending, size)
                eof = decompressor.eof
                self._pending = decompressor.unused_data if eof else decompressor.unconsumed_tail
                self._more = not eof and len(out) >= size
                if out:
                    return out
            return b""
        except zlib.error as exc:
            raise CodingError(f"corrupt compressed data ({exc})") from None

    def close(self) -> None:
        if not self._seen:
            return
        decompressor = self._decompressor
        if self._pending or decompressor is None or not decompressor.eof:
            raise CodingError("the compressed data ends before its end marker")


class _BrotliInflater:
    __slots__ = ("_decompressor", "_error", "_pending", "_seen")

    def __init__(self, brotli: types.ModuleType) -> None:
        self._decompressor = brotli.Decompressor()
        self._error: type[Exception] = brotli.error
        self._pending = b""
        self._seen = False

    def feed(self, data: bytes) -> None:
        if data:
            self._seen = True
            self._pending += data

    def read(self, size: int) -> bytes:
        decompressor = self._decompressor
        try:
            while True:
                if not decompressor.can_accept_more_data():
                    # Output is still pending: brotli must be drained with empty input first.
                    out: bytes = decompressor.process(b"", output_buffer_limit=size)
                    if not out and not decompressor.can_accept_more_data():
                        raise CodingError("the brotli decoder made no progress")
                elif self._pending:
                    if decompressor.is_finished():
                        raise CodingError("data follows the end of the brotli stream")
                    data, self._pending = self._pending, b""
                    out = decompressor.process(data, output_buffer_limit=size)
                else:
                    return b""
                if out:
                    return out
        except self._error as exc:
            raise CodingError(f"corrupt compressed data ({exc})") from None

    def close(self) -> None:
        if self._seen and (self._pending or not self._decompressor.is_finished()):
            raise CodingError("the compressed data ends before its end marker")


def inflater_for(coding: str, brotli: types.ModuleType | None) -> Inflater | None:
    """A fresh inflater for request ``Content-Encoding`` ``coding``; ``None`` if unsupported."""
    if coding in (GZIP, "x-gzip"):
        return _ZlibInflater(gzip=True)
    if coding == "deflate":
        return _ZlibInflater(gzip=False)
    if coding == BROTLI and brotli is not None and bounded_brotli(brotli):
        return _BrotliInflater(brotli)
    return None


def bounded_brotli(brotli: types.ModuleType) -> bool:
    """Whether ``brotli`` can inflate with bounded output (``output_buffer_limit``, 1.2+).

    Older releases inflate a whole chunk at once, so a few kilobytes of a brotli bomb would
    become gigabytes in memory: with them, brotli request bodies are not accepted (415).
    """
    return hasattr(brotli.Decompressor, "can_accept_more_data")
