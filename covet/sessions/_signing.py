"""HMAC-SHA256 signatures with key rotation: the first key signs, every key verifies."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from covet.exceptions import ConfigurationError

MIN_SECRET_BYTES = 32
# Values that appear in tutorials and sample configs (ours included): never a real secret.
KNOWN_DEFAULTS = frozenset(
    {
        "",
        "secret",
        "secret-key",
        "secret_key",
        "changeme",
        "change-me",
        "change_me",
        "password",
        "development",
        "dev",
        "test",
        "insecure",
        "your-secret-key",
        "your_secret_key",
        "supersecret",
        "super-secret",
        "django-insecure",
        "replace-me-with-32-random-bytes-in-production",
    }
)


def b64encode(data: bytes) -> str:
    """URL-safe base64 without padding (cookie-safe characters only)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes | None:
    """Decode :func:`b64encode`'s output; ``None`` for anything else."""
    try:
        raw = text.encode("ascii")
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None


def secret_problem(secrets: Sequence[str | bytes]) -> str | None:
    """Why ``secrets`` are not fit for production (``None`` when they are)."""
    if not secrets:
        return "no secret key was given"
    for index, secret in enumerate(secrets):
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        if raw.strip().lower().decode("utf-8", "replace") in KNOWN_DEFAULTS:
            return f"secret key #{index} is a well-known sample value"
        if len(raw) < MIN_SECRET_BYTES:
            return f"secret key #{index} is {len(raw)} bytes long, shorter than {MIN_SECRET_BYTES}"
    return None


def check_secret_types(setting: str, secrets: Sequence[str | bytes]) -> tuple[bytes, ...]:
    """The secrets as bytes; a :class:`ConfigurationError` naming ``setting`` for bad types."""
    if isinstance(secrets, str | bytes):
        raise ConfigurationError(
            f"{setting} must be a list of keys (newest first), not one {type(secrets).__name__}: "
            f"write {setting}=[key]."
        )
    keys = []
    for secret in secrets:
        if not isinstance(secret, str | bytes):
            raise ConfigurationError(
                f"{setting} holds a {type(secret).__name__}; each key is a str or bytes."
            )
        keys.append(secret.encode("utf-8") if isinstance(secret, str) else secret)
    return tuple(keys)


class Signer:
    """Sign and verify short strings with keys derived for one ``purpose``.

    Args:
        keys: Secret keys, newest first: the first signs, all verify.
        purpose: Separates the keys of different uses (sessions, CSRF) of one secret.
    """

    def __init__(self, keys: Sequence[bytes], purpose: bytes) -> None:
        self._keys = tuple(hmac.new(key, purpose, hashlib.sha256).digest() for key in keys)

    def signature(self, value: str, key_index: int = 0) -> str:
        """The signature of ``value`` with key ``key_index``."""
        digest = hmac.new(self._keys[key_index], value.encode("ascii"), hashlib.sha256)
        return b64encode(digest.digest())

    def sign(self, value: str) -> str:
        """``value.signature``, signed with the newest key."""
        return f"{value}.{self.signature(value)}"

    def unsign(self, signed: str) -> tuple[str, int] | None:
        """The value and the index of the key that signed it; ``None`` if tampered."""
        value, dot, signature = signed.rpartition(".")
        if not dot or not value.isascii() or not signature.isascii():
            return None
        for index in range(len(self._keys)):
            if hmac.compare_digest(self.signature(value, index), signature):
                return value, index
        return None
