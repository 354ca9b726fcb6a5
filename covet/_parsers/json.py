"""JSON decoding with a nesting limit and a cap on number length."""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any

from covet.exceptions import BadRequestError

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_NUMBER_DIGITS = 4300  # CPython's own int-string conversion limit
_WHITESPACE = " \t\n\r"  # JSON's insignificant whitespace (RFC 8259 section 2)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class InvalidJSONError(BadRequestError):
    """The body is not well-formed JSON (400; FastAPI's 422 ``json_invalid`` in its format).

    Attributes:
        position: Index of the offending character in the decoded text.
        reason: What is wrong there (``"Expecting value"``).
    """

    def __init__(self, detail: str, position: int, reason: str) -> None:
        super().__init__(detail)
        self.position = position
        self.reason = reason


class _BadTokenError(Exception):
    """A token the scanner accepted but the limits refuse; ``parse_json`` adds its position.

    ``malformed`` tokens are not JSON at all (``NaN``); the others are JSON over a limit.
    """

    def __init__(self, message: str, token: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.token = token
        self.malformed = malformed


def _parse_int(max_digits: int) -> Any:
    def parse(text: str) -> int:
        if len(text) > max_digits:
            raise _BadTokenError(f"JSON number has more than {max_digits} digits", text)
        return int(text)

    return parse


def _parse_float(max_digits: int) -> Any:
    def parse(text: str) -> float:
        if len(text) > max_digits:
            raise _BadTokenError(f"JSON number has more than {max_digits} digits", text)
        value = float(text)
        # "1e999" overflows to infinity: as unrepresentable as a literal Infinity.
        if not math.isfinite(value):
            raise _BadTokenError(f"JSON number {text} is out of range", text)
        return value

    return parse


@functools.lru_cache(maxsize=16)
def _long_number(max_digits: int) -> Callable[[str], re.Match[str] | None]:
    return re.compile(rf"[-+0-9.eE]{{{max_digits + 1},}}").search


def _reject_constant(name: str) -> Any:
    raise _BadTokenError(f"Invalid JSON: {name} is not allowed", name, malformed=True)


@functools.lru_cache(maxsize=16)
def _careful_decoder(max_digits: int) -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_int=_parse_int(max_digits),
        parse_float=_parse_float(max_digits),
        parse_constant=_reject_constant,
    )


# PERF: json.loads with any keyword builds a new decoder per call; this one is reused. Its
# only Python callback is per float (to refuse "1e999", which overflows to infinity); ints
# stay in C, which is safe wherever no number can be longer than the digit limit.
_FINITE_DECODER = json.JSONDecoder(
    parse_float=_parse_float(sys.maxsize), parse_constant=_reject_constant
)


def check_depth(body: bytes | str, max_depth: int) -> None:
    """Raise 400 if brackets nest deeper than ``max_depth`` (strings are skipped)."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    # PERF: a quick test avoids the scan for the common shallow document.
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise BadRequestError(f"JSON nesting is deeper than {max_depth} levels.")
        elif char in "]}":
            depth -= 1


def parse_json(
    body: bytes | str,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_number_digits: int = DEFAULT_MAX_NUMBER_DIGITS,
) -> Any:
    """Decode a JSON document, turning every kind of malformation into a 400.

    Rejects: invalid UTF-8, syntax errors, ``NaN``/``Infinity`` (and numbers that overflow
    to it), unpaired surrogate escapes, nesting deeper than ``max_depth`` and numbers
    longer than ``max_number_digits`` characters.
    """
    check_depth(body, max_depth)
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise BadRequestError("Request body is not valid UTF-8.") from exc
    # PERF: a per-int Python callback makes json.loads several times slower, so the digit
    # checks are only installed when the text could hold an over-long number (a match inside
    # a string merely takes the careful path).
    careful = len(text) > max_number_digits and _long_number(max_number_digits)(text)
    decoder = _careful_decoder(max_number_digits) if careful else _FINITE_DECODER
    try:
        document = _decode(decoder, text)
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(
            f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.", exc.pos, exc.msg
        ) from exc
    except _BadTokenError as exc:
        position = _token_position(text, exc.token)
        detail = f"{exc.message}{_line_column(text, position)}."
        if exc.malformed:
            raise InvalidJSONError(detail, max(position, 0), exc.message) from None
        raise BadRequestError(detail) from None
    except RecursionError as exc:  # pragma: no cover - guarded by check_depth
        raise BadRequestError("JSON nesting is too deep.") from exc
    except ValueError as exc:  # CPython's own int-string conversion limit
        raise BadRequestError(f"Invalid JSON number: {exc}") from exc
    # PERF: only documents with a surrogate escape need the walk.
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        _reject_lone_surrogates(document)
    return document


def _decode(decoder: json.JSONDecoder, text: str) -> Any:
    """``decoder.decode(text)`` without its two Python-level layers and regex matches."""
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        # scan_once: the C scanner every JSONDecoder builds (not in typeshed's stubs).
        document, end = decoder.scan_once(text, start)  # type: ignore[attr-defined]
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    if end != len(text):
        rest = len(text[end:].lstrip(_WHITESPACE))
        if rest:
            raise json.JSONDecodeError("Extra data", text, len(text) - rest)
    return document


# A string (skipped whole, escapes included) or a bare token: a JSON number or NaN/Infinity.
_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"'  # a string, skipped whole
    r"|-?(?:Infinity|NaN|(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
)


def _token_position(text: str, token: str) -> int:
    """The index of the first ``token`` outside a string (-1 if not found).

    The scanner reads left to right and stops at the first refused token, and every copy of
    a refused token is refused, so the first copy outside a string is the culprit. Error
    path only: the successful parse never scans the text for this.
    """
    for match in _TOKEN.finditer(text):
        if match.group() == token:
            return match.start()
    return -1


def _line_column(text: str, position: int) -> str:
    """`` at line L column C`` for ``position`` ("" for -1)."""
    if position < 0:
        return ""
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return f" at line {line} column {column}"


def _reject_lone_surrogates(document: Any) -> None:
    """Raise 400 if a string holds an unpaired surrogate: it could never be sent back."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequestError(
                    "Invalid JSON: a string contains an unpaired surrogate escape."
                ) from None
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
