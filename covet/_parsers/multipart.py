"""Streaming ``multipart/form-data`` parsing over python-multipart, with CovetPy's limits.

Sans-I/O: :class:`MultipartStreamParser` is fed body chunks and returns events (a complete
text field, the start, data and end of a file). It never touches files or the event loop;
:mod:`covet.forms` turns the events into :class:`~covet.forms.UploadFile` objects.

python-multipart is imported only when a parser is built, so the core stays dependency-free.

Status codes, all counted on bytes actually received:

* more than ``max_form_fields`` text fields -> 400;
* more than ``max_form_files`` files -> 400;
* a text field larger than ``max_part_size`` -> 413 (files are bounded only by the body size);
* the header block of one part larger than ``max_part_header_size`` -> 400;
* a malformed or truncated body, a bad ``Content-Disposition`` or undecodable text -> 400.

A part is a file when its ``Content-Disposition`` has a ``filename`` (or ``filename*``)
parameter, even an empty one: that is what browsers send for an empty file input.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeAlias
from urllib.parse import unquote_to_bytes

from covet._optional import require
from covet.exceptions import BadRequestError, HTTPException
from covet.limits import Limits
from covet.types import RawHeaders

MAX_BOUNDARY_LENGTH = 256
"""Longest accepted boundary (python-multipart's ceiling; RFC 2046 asks for at most 70)."""

DEFAULT_FILE_CONTENT_TYPE = "application/octet-stream"
"""Content type of a file part that does not declare one (RFC 7578, section 4.4)."""

_DEFAULT_CHARSET = "utf-8"
_BOUNDARY_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"'}


@dataclass(frozen=True, slots=True)
class Field:
    """A complete text part: its name and decoded value."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class FileStart:
    """A file part begins; its data follows as :class:`FileData` events."""

    name: str
    filename: str
    content_type: str
    headers: RawHeaders


@dataclass(frozen=True, slots=True)
class FileData:
    """Bytes of the current file part (all that one fed chunk carried, joined)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class FileEnd:
    """The current file part is complete."""


Event: TypeAlias = Field | FileStart | FileData | FileEnd


class _PushParser(Protocol):
    def write(self, data: bytes) -> int: ...


@dataclass(slots=True)
class _Part:
    name: str
    is_file: bool
    charset: str | None = None
    size: int = 0


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split a header like ``form-data; name="a;b"`` into its value and lower-cased parameters.

    Quoted strings may contain ``;`` and the escapes ``\\"`` and ``\\\\``; any other backslash
    is kept, as browsers do not escape it in file names.

    Raises:
        ValueError: a parameter is repeated, has no name, or has an unterminated or
            trailing-garbage quoted string (ambiguous input is refused, not guessed at).
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        if rest[i] in " \t;":
            i += 1
            continue
        j = _find_any(rest, "=;", i)
        key = rest[i:j].strip().lower()
        if not key:
            raise ValueError(f"Parameter without a name in {value!r}")
        if j == n or rest[j] == ";":
            param, i = "", j
        else:
            param, i = _read_param_value(rest, j + 1)
        if key in params:
            raise ValueError(f"Parameter {key!r} is repeated in {value!r}")
        params[key] = param
    return main.strip().lower(), params


def _find_any(text: str, chars: str, start: int) -> int:
    for index in range(start, len(text)):
        if text[index] in chars:
            return index
    return len(text)


def _read_param_value(text: str, start: int) -> tuple[str, int]:
    n = len(text)
    while start < n and text[start] in " \t":
        start += 1
    if start == n or text[start] != '"':
        end = _find_any(text, ";", start)
        return text[start:end].strip(), end
    chars: list[str] = []
    i = start + 1
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in '"\\':
            chars.append(text[i + 1])
            i += 2
        elif char == '"':
            end = _find_any(text, ";", i + 1)
            if text[i + 1 : end].strip():
                raise ValueError(f"Unexpected text after a quoted string in {text!r}")
            return "".join(chars), end
        else:
            chars.append(char)
            i += 1
    raise ValueError(f"Unterminated quoted string in {text!r}")


def multipart_boundary(content_type: str) -> bytes:
    """Return the ``boundary`` parameter of a ``multipart/form-data`` Content-Type.

    Raises:
        BadRequestError: the boundary is missing, empty, too long or has invalid characters.
    """
    try:
        _, params = parse_header_params(content_type)
    except ValueError as exc:
        raise BadRequestError(f"Malformed multipart Content-Type header: {exc}") from exc
    boundary = params.get("boundary")
    if not boundary:
        raise BadRequestError("The multipart Content-Type header has no boundary parameter.")
    if (
        len(boundary) > MAX_BOUNDARY_LENGTH
        or boundary.endswith(" ")
        or not _BOUNDARY_CHARS.issuperset(boundary)
    ):
        raise BadRequestError(
            f"Invalid multipart boundary: use at most {MAX_BOUNDARY_LENGTH} printable ASCII "
            "characters, not ending with a space."
        )
    return boundary.encode("ascii")


class MultipartStreamParser:
    """Turn ``multipart/form-data`` body chunks into :data:`Event` lists, enforcing limits.

    Feed every chunk to :meth:`feed`, then call :meth:`finish`. Every error is an
    :class:`~covet.exceptions.HTTPException` (400 or 413, see the module docstring).

    Args:
        boundary: The boundary from the Content-Type header (see :func:`multipart_boundary`).
        limits: The limits to enforce.

    Raises:
        MissingDependencyError: python-multipart is not installed.
    """

    __slots__ = (
        "_ended",
        "_error",
        "_events",
        "_fields",
        "_file_chunks",
        "_files",
        "_header_name",
        "_header_size",
        "_header_value",
        "_headers",
        "_limits",
        "_parser",
        "_part",
        "_value",
    )

    def __init__(self, boundary: bytes, limits: Limits) -> None:
        lib = require("python_multipart", extra="multipart")
        self._error: type[Exception] = lib.exceptions.FormParserError
        self._limits = limits
        self._events: list[Event] = []
        self._ended = False
        self._fields = 0
        self._files = 0
        self._headers: RawHeaders = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._header_size = 0
        self._part: _Part | None = None
        self._value = bytearray()
        self._file_chunks: list[bytes] = []
        self._parser = self._build(lib.MultipartParser, boundary)

    def _build(self, parser_class: Callable[..., _PushParser], boundary: bytes) -> _PushParser:
        callbacks = {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }
        options: dict[str, int] = {}
        if _accepts_max_header_size(parser_class):
            # A backstop per header line (it also counts the padding our callbacks never see);
            # our callbacks count the whole header block of the part.
            options["max_header_size"] = self._limits.max_part_header_size
        try:
            return parser_class(boundary, callbacks, **options)
        except self._error as exc:
            raise BadRequestError(f"Invalid multipart boundary: {exc}") from exc

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse one chunk of the body and return the events it completed.

        The data of a file within one chunk comes out as a single :class:`FileData`.
        """
        try:
            self._parser.write(chunk)
        except self._error as exc:
            raise _malformed(exc, self._limits) from exc
        self._flush_file_data()
        events, self._events = self._events, []
        return events

    def finish(self) -> None:
        """Check that the body ended with its closing boundary.

        Raises:
            BadRequestError: the body was truncated.
        """
        if not self._ended:
            raise BadRequestError("The multipart body ended before its closing boundary.")

    def _on_part_begin(self) -> None:
        self._headers = []
        self._header_size = 0
        self._part = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self._header_value += data[start:end]

    def _count_header_bytes(self, amount: int) -> None:
        self._header_size += amount
        if self._header_size > self._limits.max_part_header_size:
            raise _headers_too_large(self._limits)

    def _on_header_end(self) -> None:
        self._headers.append((bytes(self._header_name).lower(), bytes(self._header_value)))
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        name, params = self._disposition()
        content_type = _header(self._headers, b"content-type")
        if "filename" in params or "filename*" in params:
            self._files += 1
            if self._files > self._limits.max_form_files:
                raise BadRequestError(
                    f"Too many uploaded files (limit is {self._limits.max_form_files})."
                )
            filename = _filename(params)
            file_type = content_type.strip() if content_type else DEFAULT_FILE_CONTENT_TYPE
            self._events.append(FileStart(name, filename, file_type, list(self._headers)))
            self._part = _Part(name, is_file=True)
            return
        self._fields += 1
        if self._fields > self._limits.max_form_fields:
            raise BadRequestError(
                f"Too many form fields (limit is {self._limits.max_form_fields})."
            )
        self._part = _Part(name, is_file=False, charset=_charset(content_type))
        self._value.clear()

    def _disposition(self) -> tuple[str, dict[str, str]]:
        values = [v for k, v in self._headers if k == b"content-disposition"]
        if len(values) != 1:
            raise BadRequestError(
                "Each multipart part needs exactly one Content-Disposition header."
            )
        try:
            _, params = parse_header_params(_decode_header(values[0]))
        except ValueError as exc:
            raise BadRequestError(
                f"Malformed Content-Disposition in a multipart part: {exc}"
            ) from exc
        name = params.get("name")
        if name is None:
            raise BadRequestError("A multipart part's Content-Disposition has no name parameter.")
        return name, params

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None:  # pragma: no cover - python-multipart sends headers first
            return
        if part.is_file:
            self._file_chunks.append(data[start:end])
            return
        part.size += end - start
        if part.size > self._limits.max_part_size:
            raise HTTPException(
                413,
                f"Form field {part.name!r} is larger than the limit of "
                f"{self._limits.max_part_size} bytes.",
            )
        self._value += data[start:end]

    def _on_part_end(self) -> None:
        part, self._part = self._part, None
        if part is None:  # pragma: no cover - python-multipart sends headers first
            return
        if part.is_file:
            self._flush_file_data()
            self._events.append(FileEnd())
            return
        self._events.append(Field(part.name, _decode_value(bytes(self._value), part)))
        self._value.clear()

    def _on_end(self) -> None:
        self._ended = True

    def _flush_file_data(self) -> None:
        if self._file_chunks:
            data = b"".join(self._file_chunks)
            self._file_chunks.clear()
            if data:
                self._events.append(FileData(data))


@functools.cache
def _accepts_max_header_size(parser_class: Callable[..., _PushParser]) -> bool:
    # python-multipart gained per-line header limits after the oldest version we support.
    return "max_header_size" in inspect.signature(parser_class).parameters


def _malformed(exc: Exception, limits: Limits) -> BadRequestError:
    if "header size" in str(exc).lower():
        return _headers_too_large(limits)
    return BadRequestError(f"Malformed multipart body: {exc}")


def _headers_too_large(limits: Limits) -> BadRequestError:
    return BadRequestError(
        f"The headers of a multipart part are larger than the limit of "
        f"{limits.max_part_header_size} bytes."
    )


def _header(headers: RawHeaders, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return _decode_header(value)
    return None


def _decode_header(raw: bytes) -> str:
    # Browsers send names and file names as raw UTF-8; fall back to HTTP's historic Latin-1.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _filename(params: dict[str, str]) -> str:
    extended = params.get("filename*")
    if extended is not None:
        decoded = _decode_extended_value(extended)
        if decoded is not None:
            return decoded
    return params.get("filename", "")


def _decode_extended_value(value: str) -> str | None:
    """Decode an RFC 5987 ``charset'language'percent-encoded`` value (None when invalid)."""
    charset, sep, rest = value.partition("'")
    _, sep2, encoded = rest.partition("'")
    if not (sep and sep2 and charset):
        return None
    try:
        return unquote_to_bytes(encoded).decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    try:
        _, params = parse_header_params(content_type)
    except ValueError as exc:
        raise BadRequestError(f"Malformed Content-Type in a multipart part: {exc}") from exc
    return params.get("charset") or None


def _decode_value(raw: bytes, part: _Part) -> str:
    charset = part.charset or _DEFAULT_CHARSET
    try:
        try:
            return raw.decode(charset)
        except LookupError:
            # Unknown or non-text codec (e.g. "zlib"): ignore it, as RFC 7578 expects UTF-8.
            charset = _DEFAULT_CHARSET
            return raw.decode(charset)
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"Form field {part.name!r} is not valid {charset} text.") from exc
