"""Log records as JSON lines (or readable lines in development) on the standard ``logging``.

Every library logging through ``logging`` gets the same fields: the request id of the request
being served (:data:`covet.middleware.request_id.request_id_var`), and, on the access log's
records, the route template, status, duration and client. Secrets stay out: ``Secret``
values print masked, ``Authorization``/``Cookie``-like fields and the passwords of URLs are
replaced, control characters are escaped so no value can forge a line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from covet.middleware.request_id import request_id_var

__all__ = ["REDACTED", "DevFormatter", "JSONFormatter", "redact"]

#: What a secret is replaced with.
REDACTED = "[redacted]"

# Names (lower-case, ``-`` and ``_`` alike) whose values are never logged.
SENSITIVE_NAMES = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "api_key",
        "x_api_key",
    }
)
# ``scheme://user:password@host`` → the password; ``Authorization: Bearer x`` → the value.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s]+(?P<tail>@)")
_HEADER_VALUE = re.compile(
    r"(?P<head>\b(?:authorization|proxy-authorization|cookie|set-cookie)\b\s*[:=]\s*)"
    r"(?P<value>[^\r\n,;]+)",
    re.IGNORECASE,
)
#: Gives the current trace and span ids (hex) or ``None``; set while tracing runs
#: (:class:`covet.observability.tracing.Tracing`), so this module needs no OpenTelemetry.
trace_ids: Callable[[], tuple[str, str] | None] | None = None

# The attributes every LogRecord has; the others were given as ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
# The fields of the access log (AccessLogMiddleware), written in this order after the basics.
_REQUEST_FIELDS = ("method", "path", "route", "status", "duration_ms", "client")
_MAX_DEPTH = 6
# PERF: one encoder made once (json.dumps with options builds a new one per call).
_ENCODE = json.JSONEncoder(default=str, separators=(",", ":")).encode
# C0/C1 controls, DEL and the Unicode line separators: escaped in the readable format.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def redact(value: Any, *, depth: int = 0) -> Any:
    """``value`` with secrets replaced: sensitive keys, URL passwords, header values.

    Mappings and sequences are walked (a few levels deep); a ``(name, value)`` pair of
    headers is redacted by its name; other objects are logged as ``str(value)``, which for a
    :class:`covet.Secret` is its mask.
    """
    if isinstance(value, str):
        return _redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= _MAX_DEPTH:
        return "..."
    if isinstance(value, bytes):
        return _redact_text(value.decode("latin-1"))
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _sensitive(key) else redact(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        if len(value) == 2 and isinstance(value, tuple) and _sensitive(value[0]):
            return [redact(value[0], depth=depth + 1), REDACTED]
        return [redact(item, depth=depth + 1) for item in value]
    return _redact_text(str(value))


def _sensitive(name: object) -> bool:
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return isinstance(name, str) and name.lower().replace("-", "_") in SENSITIVE_NAMES


def _redact_text(text: str) -> str:
    # PERF: the regexes run only when the text could hold what they look for.
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>{REDACTED}\g<tail>", text)
    if _MAYBE_HEADER(text) is not None:
        text = _HEADER_VALUE.sub(rf"\g<head>{REDACTED}", text)
    return text


_MAYBE_HEADER = re.compile(r"(?i:authorization|cookie)").search
# PERF: one ``datetime`` per second of log records, not per record.
_second: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    global _second
    whole = int(record.created)
    if _second[0] != whole:
        moment = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (whole, moment)
    return f"{_second[1]}.{int(record.msecs):03d}Z"


def _request_id(record: logging.LogRecord) -> str | None:
    given = record.__dict__.get("request_id")
    if isinstance(given, str) and given != "-":
        return given
    return request_id_var.get()


class JSONFormatter(logging.Formatter):
    """Format each record as one JSON object on one line.

    Fields: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``service``
    (when given), ``request_id`` (inside a request), ``trace_id`` and ``span_id`` (inside a
    traced span), the access log's ``method``, ``path``,
    ``route`` (the template, e.g. ``/items/{item_id}``), ``status``, ``duration_ms`` and
    ``client``, any other ``extra`` given to the logging call, and ``exception`` (the
    formatted traceback). Every value is redacted (see :func:`redact`); the line is pure
    ASCII, with control characters escaped by JSON.

    Args:
        service_name: Written as ``service`` on every line.
        static_fields: More fields written on every line (``{"env": "prod"}``).
    """

    def __init__(
        self, *, service_name: str | None = None, static_fields: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.static: dict[str, Any] = {}
        if service_name is not None:
            self.static["service"] = service_name
        self.static.update(static_fields or {})

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as a JSON line (without the newline)."""
        line: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": _redact_text(record.getMessage()),
            **self.static,
        }
        rid = _request_id(record)
        if rid is not None:
            line["request_id"] = rid
        ids = trace_ids() if trace_ids is not None else None
        if ids is not None:
            line["trace_id"], line["span_id"] = ids
        extras = record.__dict__
        for name in _REQUEST_FIELDS:
            if name in extras:
                value = extras[name]
                if type(value) is float:
                    value = round(value, 3)
                elif type(value) is str:
                    value = _redact_text(value)
                elif type(value) is not int and value is not None:
                    value = redact(value)
                line[name] = value
        for name, value in extras.items():
            if name not in _STANDARD and name not in line and name != "request_id":
                line[name] = REDACTED if _sensitive(name) else redact(value)
        if record.exc_info:
            line["exception"] = _redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = _redact_text(record.exc_text)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _ENCODE(line)


class DevFormatter(logging.Formatter):
    """A readable line for development: ``12:00:01.123 INFO covet.access: GET / 200 [rid]``.

    The message is redacted and its control characters escaped (as ``\\x1b``), so a value
    cannot forge a line or recolour the terminal; tracebacks follow on their own lines.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as one readable line (plus its traceback, if any)."""
        moment = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        message = _CONTROL.sub(_escape, _redact_text(record.getMessage()))
        text = f"{moment} {record.levelname:<7} {record.name}: {message}"
        rid = _request_id(record)
        if rid is not None and record.name != "covet.access":  # the access line names it
            text += f" [{rid}]"
        if record.exc_info:
            text += "\n" + _redact_text(self.formatException(record.exc_info))
        return text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
