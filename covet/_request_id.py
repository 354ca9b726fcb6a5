"""One request id per request, shared by the error handler, the access log and the middleware."""

from __future__ import annotations

import os
import re

from covet.types import Scope

SCOPE_KEY = "covet.request_id"
# Set by RequestIDMiddleware when its header is not X-Request-ID, so the 500 page and the
# access log name the id in the same header as every other response.
HEADER_SCOPE_KEY = "covet.request_id.header"
DEFAULT_HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    """Return a fresh random request id: 32 hex digits (128 random bits)."""
    # PERF: os.urandom(16).hex() costs about a third of uuid.uuid4().hex, same entropy.
    return os.urandom(16).hex()


def safe_request_id(raw: bytes) -> str | None:
    """Return ``raw`` as an id when it is short and made of safe characters, else ``None``.

    Only such a client-sent id is reused, so it cannot inject anything into logs or headers.
    """
    return raw.decode("ascii") if _SAFE_ID.fullmatch(raw) else None


def request_id(scope: Scope) -> str:
    """Return the request id, taking a well-formed ``X-Request-ID`` or making a new one."""
    existing: str | None = scope.get(SCOPE_KEY)
    if existing is not None:
        return existing
    value = None
    for name, raw in scope.get("headers", ()):
        if name == DEFAULT_HEADER:
            value = safe_request_id(raw)
            break
    if value is None:
        value = new_request_id()
    scope[SCOPE_KEY] = value
    return value


def request_id_header(scope: Scope) -> bytes:
    """The response header (lower-case bytes) that carries the request id."""
    name: bytes = scope.get(HEADER_SCOPE_KEY, DEFAULT_HEADER)
    return name
