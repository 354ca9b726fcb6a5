"""Reading a compact JWS (sans-I/O): three strict base64url segments and JSON objects.

PyJWT checks the signature (its algorithm objects); the parsing around it is done here once
per token, because PyJWT's own parses the header twice and validates base64 one character
at a time in Python, which was most of the cost of a protected request.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from covet.security.tokens import InvalidTokenError

# Bigger tokens are refused before any decoding (an access token is a few hundred bytes).
MAX_TOKEN_BYTES = 8192
_SEGMENTS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")


class CompactToken:
    """A token split into its header (decoded), payload and signature, not yet verified."""

    __slots__ = ("header", "payload_segment", "signature", "signing_input")

    def __init__(self, token: str) -> None:
        match = (
            _SEGMENTS.fullmatch(token)
            if isinstance(token, str) and len(token) <= MAX_TOKEN_BYTES
            else None
        )
        if match is None:
            raise InvalidTokenError()
        header, payload, signature = match.groups()
        self.header = json_object(header)
        self.signing_input = f"{header}.{payload}".encode("ascii")
        self.signature = b64decode(signature)
        self.payload_segment = payload

    def payload(self) -> dict[str, Any]:
        """The payload's claims (decode it only once the signature checked out)."""
        return json_object(self.payload_segment)


def b64decode(segment: str) -> bytes:
    """Decode an unpadded base64url segment (its alphabet was checked by the caller)."""
    if len(segment) % 4 == 1:  # no whole byte can end there
        raise InvalidTokenError()
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InvalidTokenError() from None


def json_object(segment: str) -> dict[str, Any]:
    """A segment holding a JSON object (``NaN``/``Infinity`` and deep nesting refused)."""
    try:
        value = _DECODER.decode(b64decode(segment).decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidTokenError() from None
    if not isinstance(value, dict):
        raise InvalidTokenError()
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# PERF: one decoder; json.loads with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
