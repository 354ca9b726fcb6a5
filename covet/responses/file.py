"""A response that sends a file from disk, with validators, conditional requests and ranges."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from enum import Enum
from typing import BinaryIO
from urllib.parse import quote

from covet.background import BackgroundTask
from covet.concurrency import run_in_threadpool
from covet.datastructures import _is_token
from covet.responses.base import Response, bodiless_headers, has_no_content
from covet.types import Message, RawHeaders, Receive, Scope, Send

# Headers this response computes itself; a 304 or 416 drops the ones describing a body.
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-range"})
# Quoted entity-tags in a list header, with an optional weakness prefix (RFC 9110 §8.8.3).
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')
# One byte range; positions longer than 19 digits cannot address a real file and are refused
# before int() sees them (which would reject 4300+ digits with a ValueError anyway).
_RANGE_SPEC = re.compile(r"([0-9]{0,19})-([0-9]{0,19})")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class _Range(Enum):
    """Outcomes of reading a Range header that do not select bytes."""

    IGNORE = "ignore"
    UNSATISFIABLE = "unsatisfiable"


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one call sends: status, headers and the byte span ``[start, start + length)``."""

    status: int
    headers: RawHeaders
    start: int
    length: int
    send_body: bool


class FileResponse(Response):
    """Send a file from disk in chunks, reading it in the thread pool.

    The file is stat'ed when the response is sent (not when it is built), so the headers
    describe the file as it is at that moment. A 200 response to ``GET`` or ``HEAD`` gets
    ``ETag``, ``Last-Modified`` and ``Accept-Ranges: bytes`` and honours:

    - ``If-None-Match`` (weak comparison, ``*`` allowed) and, without it,
      ``If-Modified-Since``: a match answers ``304 Not Modified`` with no body;
    - a single ``Range`` (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``), guarded by
      ``If-Range``: answers ``206 Partial Content``, or ``416`` when the range lies outside
      the file. Multi-range requests (``bytes=0-1,5-6``) are not supported: they, like
      malformed or non-``bytes`` Range headers, are ignored and the whole file is sent.

    ``HEAD`` gets the same status and headers as ``GET`` without a body. If the client
    disconnects mid-body, sending stops, the file is closed and the background task is
    skipped.

    Args:
        path: The file to send.
        status_code: The status for a full response; conditional and range handling only
            apply to ``200``.
        headers: Extra headers; an ``ETag`` or ``Last-Modified`` given here replaces the
            computed one.
        media_type: Content type; guessed from ``filename`` or ``path`` when omitted.
        background: A task to run after the body has been sent.
        filename: Offer the file under this name via ``Content-Disposition``.
        content_disposition_type: ``"attachment"`` (download) or ``"inline"``.
        stat_result: A fresh ``os.stat`` of ``path`` to reuse instead of stat'ing again.
        chunk_size: Bytes read and sent per body message.

    Raises:
        ValueError: ``chunk_size`` is not positive or ``content_disposition_type`` is not a
            token.
    """

    auto_content_length = False

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        filename: str | None = None,
        content_disposition_type: str = "attachment",
        stat_result: os.stat_result | None = None,
        chunk_size: int = 64 * 1024,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"FileResponse chunk_size must be at least 1, got {chunk_size}")
        if not content_disposition_type or not _is_token(content_disposition_type):
            raise ValueError(
                "FileResponse content_disposition_type must be a token such as 'attachment' "
                f"or 'inline', got {content_disposition_type!r}"
            )
        self.path = path
        self.filename = filename
        self.stat_result = stat_result
        self.chunk_size = chunk_size
        if media_type is None:
            media_type = guess_media_type(filename if filename is not None else os.fspath(path))
        super().__init__(None, status_code, headers, media_type, background)
        if filename is not None and b"content-disposition" not in {k for k, _ in self.raw_headers}:
            value = content_disposition(content_disposition_type, filename)
            self.raw_headers.append((b"content-disposition", value.encode("latin-1")))

    def render(self, content: object) -> bytes:
        """File responses have no in-memory body."""
        return b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        file_stat = self.stat_result
        if file_stat is None:
            file_stat = await run_in_threadpool(_stat, self.path)
        _check_regular(self.path, file_stat)
        plan = self._plan(scope, file_stat)
        if plan.send_body and plan.length > 0:
            completed = await self._send_file(plan, receive, send)
        else:
            completed = await self._send_headers_only(plan, send)
        if completed and self.background is not None:
            await self.background()

    def _plan(self, scope: Scope, file_stat: os.stat_result) -> _Plan:
        method = scope.get("method", "GET")
        size = file_stat.st_size
        headers = self._headers_for(file_stat)
        send_body = method != "HEAD" and not has_no_content(self.status_code)
        if self.status_code != 200 or method not in ("GET", "HEAD"):
            return _Plan(self.status_code, headers, 0, size, send_body)
        request_headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        etag = _header(headers, b"etag")
        last_modified = _parse_http_date(_header(headers, b"last-modified"))
        if _not_modified(request_headers, etag, last_modified):
            kept = [(k, v) for k, v in headers if k not in _BODY_HEADERS]
            return _Plan(304, kept, 0, 0, send_body=False)
        selected = _requested_range(request_headers, size, etag, last_modified)
        if selected is _Range.UNSATISFIABLE:
            kept = [(k, v) for k, v in headers if k not in _BODY_HEADERS]
            kept.append((b"content-range", f"bytes */{size}".encode("latin-1")))
            kept.append((b"content-length", b"0"))
            return _Plan(416, kept, 0, 0, send_body=False)
        if selected is _Range.IGNORE:
            return _Plan(200, headers, 0, size, send_body)
        first, last = selected
        length = last - first + 1
        kept = [(k, v) for k, v in headers if k != b"content-length"]
        kept.append((b"content-range", f"bytes {first}-{last}/{size}".encode("latin-1")))
        kept.append((b"content-length", str(length).encode("latin-1")))
        return _Plan(206, kept, first, length, send_body)

    def _headers_for(self, file_stat: os.stat_result) -> RawHeaders:
        """Build this call's headers: the response's own plus validators and length."""
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        names = {k for k, _ in headers}
        computed = (
            (b"last-modified", formatdate(file_stat.st_mtime, usegmt=True)),
            (b"etag", make_etag(file_stat)),
            (b"accept-ranges", "bytes"),
        )
        for name, value in computed:
            if name not in names:
                headers.append((name, value.encode("latin-1")))
        if has_no_content(self.status_code):
            return bodiless_headers(self.status_code, headers)
        headers.append((b"content-length", str(file_stat.st_size).encode("latin-1")))
        return headers

    async def _send_headers_only(self, plan: _Plan, send: Send) -> bool:
        start = {"type": "http.response.start", "status": plan.status, "headers": plan.headers}
        if not await _send(send, start):
            return False
        return await _send(send, {"type": "http.response.body", "body": b""})

    async def _send_file(self, plan: _Plan, receive: Receive, send: Send) -> bool:
        """Send the planned byte span; return False if the client went away first."""
        file = await run_in_threadpool(_open_at, self.path, plan.start)
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            start = {"type": "http.response.start", "status": plan.status, "headers": plan.headers}
            if not await _send(send, start):
                return False
            remaining = plan.length
            while remaining > 0:
                chunk = await run_in_threadpool(file.read, min(self.chunk_size, remaining))
                if not chunk:
                    raise RuntimeError(
                        f"File at path {self.path} shrank while it was being sent; "
                        "replace served files atomically (write elsewhere, then rename)."
                    )
                if watcher.done():
                    watcher.result()  # re-raise an error from receive(); None on disconnect
                    return False
                remaining -= len(chunk)
                message = {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                if not await _send(send, message):
                    return False
            return True
        finally:
            watcher.cancel()
            # Shielded so the file is closed even if this task is cancelled meanwhile.
            await asyncio.shield(run_in_threadpool(file.close))
            await asyncio.gather(watcher, return_exceptions=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={os.fspath(self.path)!r})"


def guess_media_type(name: str) -> str:
    """Guess a file's media type from its name, falling back to ``application/octet-stream``."""
    media_type, _ = mimetypes.guess_type(name, strict=False)
    return media_type or "application/octet-stream"


def content_disposition(disposition_type: str, filename: str) -> str:
    """Build a ``Content-Disposition`` value offering ``filename`` (RFC 6266).

    Control characters (CR and LF included) are removed. Non-ASCII names get an ASCII
    fallback ``filename="..."`` plus ``filename*=utf-8''<percent-encoded name>``.
    """
    name = _CONTROL_CHARS.sub("", filename)
    fallback = _ascii_fallback(name)
    quoted = fallback.replace("\\", "\\\\").replace('"', '\\"')
    value = f'{disposition_type}; filename="{quoted}"'
    if fallback != name:
        value += f"; filename*=utf-8''{quote(name, safe='')}"
    return value


def make_etag(file_stat: os.stat_result) -> str:
    """Return a strong entity-tag from a file's modification time and size."""
    return f'"{file_stat.st_mtime_ns:x}-{file_stat.st_size:x}"'


def _ascii_fallback(name: str) -> str:
    """Spell ``name`` in ASCII: strip accents, replace other non-ASCII characters by ``_``."""
    decomposed = unicodedata.normalize("NFKD", name)
    kept = (c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isascii() else "_" for c in kept)


def _stat(path: str | os.PathLike[str]) -> os.stat_result:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise RuntimeError(f"File at path {os.fspath(path)} does not exist.") from None


def _check_regular(path: str | os.PathLike[str], file_stat: os.stat_result) -> None:
    if not stat.S_ISREG(file_stat.st_mode):
        raise RuntimeError(
            f"File at path {os.fspath(path)} is not a regular file (is it a directory?)."
        )


def _open_at(path: str | os.PathLike[str], offset: int) -> BinaryIO:
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed by the caller after sending
    except (FileNotFoundError, NotADirectoryError):
        raise RuntimeError(f"File at path {os.fspath(path)} does not exist.") from None
    try:
        file.seek(offset)
    except BaseException:
        file.close()
        raise
    return file


async def _send(send: Send, message: Message) -> bool:
    """Send ``message``; return False if the client is gone (ASGI 2.4 servers raise OSError)."""
    try:
        await send(message)
    except OSError:
        return False
    return True


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _header(headers: RawHeaders, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _joined_header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """Join every value of a list-valued request header, as RFC 9110 §5.3 allows."""
    values = [value.decode("latin-1") for key, value in headers if key == name]
    return ", ".join(values) if values else None


def _parse_http_date(value: str | None) -> int | None:
    """Return an HTTP-date as a POSIX timestamp, or None if it is missing or invalid."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    except (TypeError, ValueError, OverflowError):
        return None


def _opaque_tag(etag: str) -> str:
    return etag[2:] if etag.startswith("W/") else etag


def _not_modified(
    request_headers: list[tuple[bytes, bytes]], etag: str | None, last_modified: int | None
) -> bool:
    """Evaluate If-None-Match, or If-Modified-Since when it is absent (RFC 9110 §13.2.2)."""
    if_none_match = _joined_header(request_headers, b"if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        if etag is None:
            return False
        current = _opaque_tag(etag)
        return any(tag == current for _, tag in _ENTITY_TAG.findall(if_none_match))
    since = _parse_http_date(_header(request_headers, b"if-modified-since"))
    return since is not None and last_modified is not None and last_modified <= since


def _requested_range(
    request_headers: list[tuple[bytes, bytes]],
    size: int,
    etag: str | None,
    last_modified: int | None,
) -> tuple[int, int] | _Range:
    """Return the inclusive byte span to send, or whether to ignore the Range or refuse it."""
    range_header = _header(request_headers, b"range")
    if range_header is None:
        return _Range.IGNORE
    if_range = _header(request_headers, b"if-range")
    if if_range is not None and not _if_range_matches(if_range.strip(), etag, last_modified):
        return _Range.IGNORE
    return _parse_range(range_header, size)


def _if_range_matches(if_range: str, etag: str | None, last_modified: int | None) -> bool:
    """Evaluate If-Range: strong entity-tag comparison, or an exact date match."""
    if if_range.startswith(('"', "W/")):
        return etag is not None and not etag.startswith("W/") and if_range == etag
    date = _parse_http_date(if_range)
    return date is not None and date == last_modified


def _parse_range(header: str, size: int) -> tuple[int, int] | _Range:
    """Read a single ``bytes`` range against a file of ``size`` bytes.

    Returns:
        The inclusive ``(first, last)`` byte positions; ``_Range.IGNORE`` for a malformed,
        non-``bytes`` or multi-range header; ``_Range.UNSATISFIABLE`` when the range selects
        nothing (beyond the end, ``last < first``, a zero suffix, or an empty file).
    """
    unit, equals, spec_list = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return _Range.IGNORE
    specs = [spec.strip() for spec in spec_list.split(",") if spec.strip()]
    if len(specs) != 1:
        return _Range.IGNORE
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None or match.group(0) == "-":
        return _Range.IGNORE
    first_text, last_text = match.groups()
    if size == 0:
        return _Range.UNSATISFIABLE
    if not first_text:
        suffix = int(last_text)
        return (max(size - suffix, 0), size - 1) if suffix > 0 else _Range.UNSATISFIABLE
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        return _Range.UNSATISFIABLE
    return first, min(last, size - 1)
