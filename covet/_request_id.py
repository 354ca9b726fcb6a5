"""One request id per request, shared by the error handler and the access log."""

from __future__ import annotations

import re
import uuid

from covet.types import Scope

SCOPE_KEY = "covet.request_id"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id(scope: Scope) -> str:
    """Return the request id, taking a well-formed ``X-Request-ID`` or making a new one.

    A client-sent id is only reused when it is short and made of safe characters, so it
    cannot inject anything into logs or headers.
    """
    existing: str | None = scope.get(SCOPE_KEY)
    if existing is not None:
        return existing
    value = None
    for name, raw in scope.get("headers", ()):
        if name == b"x-request-id":
            if _SAFE_ID.fullmatch(raw):
                value = raw.decode("ascii")
            break
    if value is None:
        value = uuid.uuid4().hex
    scope[SCOPE_KEY] = value
    return value
