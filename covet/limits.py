"""Safe default limits for parsing requests, each overridable per app (and body size per route)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from covet.exceptions import ConfigurationError

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied while reading and parsing a request.

    Every limit is counted on bytes actually received, never on what the client claims.

    Attributes:
        max_body_size: Largest request body in bytes (413 above it).
        max_query_params: Most query-string fields (400 above it).
        max_json_depth: Deepest JSON nesting (400 above it).
        max_number_digits: Longest JSON number literal, in characters (400 above it).
        max_form_fields: Most non-file form fields (400/413 above it).
        max_form_files: Most uploaded files in one multipart body.
        max_part_size: Largest non-file multipart part, in bytes.
        max_part_header_size: Largest header block of one multipart part, in bytes.
        spool_max_size: Uploads larger than this are spooled to a temporary file on disk.
        max_websocket_message_size: Largest WebSocket message a handler reads with
            ``receive_text/bytes/json`` or ``iter_*``, in bytes (closed with 1009 above it).
    """

    max_body_size: int = 10 * MiB
    max_query_params: int = 1000
    max_json_depth: int = 64
    max_number_digits: int = 100
    max_form_fields: int = 1000
    max_form_files: int = 100
    max_part_size: int = 1 * MiB
    max_part_header_size: int = 8 * KiB
    spool_max_size: int = 1 * MiB
    max_websocket_message_size: int = 1 * MiB

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigurationError(
                    f"Limits.{field.name} must be a positive integer, got {value!r}"
                )

    def replace(self, **changes: int) -> Limits:
        """Return a copy with some limits changed (validated again)."""
        return dataclasses.replace(self, **changes)


DEFAULT_LIMITS = Limits()
