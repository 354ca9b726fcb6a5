"""Form bodies: urlencoded fields and multipart uploads spooled to temporary files.

``application/x-www-form-urlencoded`` bodies are decoded as UTF-8 (a ``charset`` parameter
is ignored). ``multipart/form-data`` needs python-multipart
(``pip install 'covetpy[multipart]'``); see :mod:`covet._parsers.multipart` for the status
code returned for each limit.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, TypeVar

from covet._parsers.multipart import (
    DEFAULT_FILE_CONTENT_TYPE,
    Event,
    Field,
    FileData,
    FileStart,
    MultipartStreamParser,
    multipart_boundary,
)
from covet._parsers.query import parse_query_string
from covet.concurrency import run_in_threadpool
from covet.datastructures import Headers, ImmutableMultiDict
from covet.exceptions import BadRequestError, HTTPException, MissingDependencyError
from covet.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from tempfile import SpooledTemporaryFile

__all__ = ["FormData", "UploadFile", "parse_form"]

_T = TypeVar("_T")
_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_logger = logging.getLogger("covet.forms")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


class UploadFile:
    """A file uploaded in a multipart form, held in memory until it grows, then on disk.

    The async methods work directly on the in-memory buffer and move to the thread pool
    once the data has rolled over to a temporary file, so a big upload never blocks the loop.

    Attributes:
        filename: The file name exactly as the client sent it (possibly empty). It is data
            from the network: CovetPy never uses it as a path, and neither should you without
            sanitising it (it may be ``../../etc/passwd``).
        content_type: The part's Content-Type, ``application/octet-stream`` when absent.
        headers: All headers of the part.
        size: Number of bytes written so far.
        file: The ``SpooledTemporaryFile`` holding the data.

    Args:
        filename: The client's file name.
        content_type: The declared media type.
        headers: The part's headers.
        spool_max_size: Bytes kept in memory before rolling over to a temporary file.
    """

    __slots__ = (
        "_lock",
        "_spool_max_size",
        "content_type",
        "file",
        "filename",
        "headers",
        "size",
    )

    def __init__(
        self,
        filename: str,
        *,
        content_type: str = DEFAULT_FILE_CONTENT_TYPE,
        headers: Headers | None = None,
        spool_max_size: int = DEFAULT_LIMITS.spool_max_size,
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        self.headers = headers if headers is not None else Headers()
        self.size = 0
        self._spool_max_size = spool_max_size
        # Held by the worker thread during each thread-pool operation on the file.
        self._lock = threading.Lock()
        # The UploadFile owns the file: close() (or FormData.close()) releases it.
        self.file: SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=spool_max_size
        )

    @property
    def in_memory(self) -> bool:
        """Whether the data is still in memory (not yet rolled over to disk)."""
        # An unknown SpooledTemporaryFile implementation counts as on disk: the safe side.
        return not getattr(self.file, "_rolled", True)

    async def write(self, data: bytes) -> None:
        """Append ``data`` at the current position (in the thread pool once on disk)."""
        if self._can_run_inline() and self.file.tell() + len(data) <= self._spool_max_size:
            self.file.write(data)
        else:
            # This write either goes to disk or triggers the rollover that copies to disk.
            await self._in_thread(functools.partial(self.file.write, data))
        self.size += len(data)

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes by default)."""
        if self._can_run_inline():
            return self.file.read(size)
        return await self._in_thread(functools.partial(self.file.read, size))

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move to ``offset`` (relative to ``whence``) and return the new position."""
        if self._can_run_inline():
            return self.file.seek(offset, whence)
        return await self._in_thread(functools.partial(self.file.seek, offset, whence))

    async def close(self) -> None:
        """Close the file, deleting its temporary file if any (safe to call twice)."""
        if self.file.closed:
            return
        if self._can_run_inline():
            self.file.close()
        else:
            await self._in_thread(self.file.close)

    def close_now(self) -> None:
        """Close the file without awaiting, e.g. while handling cancellation.

        If a thread-pool operation is still running (its caller was cancelled), this waits
        for it to finish so the rollover cannot leave a temporary file open behind us.
        """
        with self._lock:
            self.file.close()

    def _can_run_inline(self) -> bool:
        return self.in_memory and not self._lock.locked()

    async def _in_thread(self, call: Callable[[], _T]) -> _T:
        return await run_in_threadpool(self._locked, call)

    def _locked(self, call: Callable[[], _T]) -> _T:
        with self._lock:
            return call()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(filename={self.filename!r}, size={self.size!r}, "
            f"content_type={self.content_type!r})"
        )


class FormData(ImmutableMultiDict[str | UploadFile]):
    """Parsed form fields: text values and :class:`UploadFile` objects, multi-valued."""

    __slots__ = ()

    async def close(self) -> None:
        """Close every uploaded file (safe to call twice)."""
        for _, value in self._list:
            if isinstance(value, UploadFile):
                await value.close()


async def parse_form(content_type: str, stream: AsyncIterator[bytes], limits: Limits) -> FormData:
    """Parse a form body according to its Content-Type header value.

    Args:
        content_type: The raw Content-Type header value (may be empty).
        stream: The body chunks, already bounded by ``max_body_size``.
        limits: The field, file and part limits to enforce.

    Raises:
        HTTPException: 415 for a missing or non-form content type; 413 for a text part
            over ``max_part_size``.
        BadRequestError: 400 for too many fields or files, invalid UTF-8, oversized part
            headers, a missing or invalid boundary, or a malformed or truncated body.

    A multipart body that arrives while python-multipart is not installed is a 415 for the
    client (this server takes urlencoded forms only) and a warning naming the extra in the
    server's log; routes with upload parameters refuse to start without it instead.
    """
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == _URLENCODED:
        return await _parse_urlencoded(stream, limits)
    if media_type == _MULTIPART:
        try:
            return await _parse_multipart(content_type, stream, limits)
        except MissingDependencyError as exc:
            _logger.warning("A multipart form body was refused with 415: %s", exc)
            raise HTTPException(
                415, f"This server accepts form bodies as {_URLENCODED} only."
            ) from None
    raise HTTPException(
        415,
        f"Expected a form body: Content-Type must be {_URLENCODED} or {_MULTIPART}, "
        f"got {content_type or 'none'!r}.",
    )


async def _parse_urlencoded(stream: AsyncIterator[bytes], limits: Limits) -> FormData:
    body = b"".join([chunk async for chunk in stream])
    if not body.isascii():
        # Clients like curl send raw UTF-8; percent-encode it so it decodes like %XX escapes.
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestError("Form data is not valid UTF-8.") from exc
        body = _NON_ASCII.sub(lambda match: b"%%%02X" % match[0][0], body)
    return FormData(parse_query_string(body, max_params=limits.max_form_fields, strict=True))


async def _parse_multipart(
    content_type: str, stream: AsyncIterator[bytes], limits: Limits
) -> FormData:
    parser = MultipartStreamParser(multipart_boundary(content_type), limits)
    builder = _FormBuilder(limits.spool_max_size)
    try:
        async for chunk in stream:
            await builder.apply(parser.feed(chunk))
        parser.finish()
    except BaseException:
        builder.discard()
        raise
    return builder.form()


class _FormBuilder:
    """Turn parser events into form items, writing file data through :class:`UploadFile`."""

    __slots__ = ("_current", "_items", "_spool_max_size", "_uploads")

    def __init__(self, spool_max_size: int) -> None:
        self._spool_max_size = spool_max_size
        self._items: list[tuple[str, str | UploadFile]] = []
        self._uploads: list[UploadFile] = []
        self._current: UploadFile | None = None

    async def apply(self, events: list[Event]) -> None:
        """Handle the events of one fed chunk, in order."""
        for event in events:
            if isinstance(event, FileData):
                await self._upload().write(event.data)
            elif isinstance(event, Field):
                self._items.append((event.name, event.value))
            elif isinstance(event, FileStart):
                self._start(event)
            else:
                await self._upload().seek(0)
                self._current = None

    def _start(self, event: FileStart) -> None:
        upload = UploadFile(
            event.filename,
            content_type=event.content_type,
            headers=Headers(raw=event.headers),
            spool_max_size=self._spool_max_size,
        )
        self._uploads.append(upload)
        self._items.append((event.name, upload))
        self._current = upload

    def _upload(self) -> UploadFile:
        if self._current is None:  # pragma: no cover - the parser always starts a file first
            raise RuntimeError("Multipart file data arrived outside a file part.")
        return self._current

    def discard(self) -> None:
        """Close every file created so far (synchronously: this also runs on cancellation)."""
        for upload in self._uploads:
            upload.close_now()

    def form(self) -> FormData:
        """Return the parsed form."""
        return FormData(self._items)
