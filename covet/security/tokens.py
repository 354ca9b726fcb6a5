"""What verifying a token gives and how it fails: claims, token pairs, the 401/403/503 errors."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from covet.exceptions import HTTPException

ACCESS = "access"
REFRESH = "refresh"
# RFC 9068's media type for access tokens; refresh tokens get a private one, so neither
# passes for the other (nor for an ID token, typed "JWT" or not at all) even before the claim.
HEADER_TYPES = {ACCESS: "at+jwt", REFRESH: "rt+jwt"}
# Seconds a client waits before retrying while the revocation store is down.
OUTAGE_RETRY_AFTER = 5
MAX_TIME = 2**53  # seconds; past it a float no longer counts whole seconds


class InvalidTokenError(HTTPException):
    """A token that does not verify: 401 with ``WWW-Authenticate: Bearer error="invalid_token"``.

    The detail is a short reason (``"Invalid token"``, ``"Token expired"``, ``"Token
    revoked"``); what exactly was wrong is not told to the client.
    """

    def __init__(self, reason: str = "Invalid token") -> None:
        challenge = f'Bearer error="invalid_token", error_description="{reason}"'
        super().__init__(401, reason, {"WWW-Authenticate": challenge})
        self.reason = reason


class InsufficientScopeError(HTTPException):
    """A valid token without the scopes a route requires: 403 ``insufficient_scope``."""

    def __init__(self, scopes: list[str]) -> None:
        scope = " ".join(scopes)
        challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
        super().__init__(403, "Insufficient scope", {"WWW-Authenticate": challenge})
        self.scopes = scopes


def require_granted(required: Sequence[str], granted: Collection[str]) -> None:
    """Raise :class:`InsufficientScopeError` unless every ``required`` scope is ``granted``."""
    if any(scope not in granted for scope in required):
        raise InsufficientScopeError(list(required))


class ForbiddenError(HTTPException):
    """A valid token whose user lacks a role (or permission) the route requires: 403."""

    def __init__(self, detail: str = "Not enough permissions") -> None:
        super().__init__(403, detail)


class TokenStoreUnavailableError(HTTPException):
    """The revocation store is down, so no token can be checked: 503 with ``Retry-After``."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "Token verification is temporarily unavailable; retry shortly.",
            {"Retry-After": str(OUTAGE_RETRY_AFTER)},
        )


class Claims(Mapping[str, Any]):
    """The verified claims of a token, as a read-only mapping with typed shortcuts.

    Attributes:
        subject: ``sub``, the user the token was issued to.
        scopes: The granted OAuth2 scopes (``scope``, space separated in the token).
        roles: The user's roles (``roles``).
        type: ``"access"`` or ``"refresh"``.
        jti: The token's unique id (what :meth:`JWTManager.revoke` revokes).
        family: The refresh family the token belongs to (one per login).
        issued_at: ``iat``, in seconds since the epoch.
        expires_at: ``exp``, in seconds since the epoch.
    """

    __slots__ = (
        "_raw",
        "expires_at",
        "family",
        "issued_at",
        "jti",
        "roles",
        "scopes",
        "subject",
        "type",
    )

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = dict(raw)
        self.subject: str = raw["sub"]
        self.type: str = raw["typ"]
        self.jti: str = raw["jti"]
        self.family: str = raw["fam"]
        self.issued_at: float = float(raw["iat"])
        self.expires_at: float = float(raw["exp"])
        self.scopes: frozenset[str] = frozenset(raw.get("scope", "").split())
        self.roles: frozenset[str] = frozenset(raw.get("roles", ()))

    def __getitem__(self, name: str) -> Any:
        return self._raw[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"Claims(subject={self.subject!r}, type={self.type!r}, scopes={sorted(self.scopes)})"


def check_claims(raw: Any, expected: str) -> Claims:
    """The claims of a decoded payload, refusing wrong types and a token of another type."""
    if not isinstance(raw, dict) or raw.get("typ") != expected:
        raise InvalidTokenError()
    for name in ("sub", "jti", "fam"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise InvalidTokenError()
    scope, roles = raw.get("scope", ""), raw.get("roles", [])
    if not isinstance(scope, str) or not isinstance(roles, list):
        raise InvalidTokenError()
    if not all(isinstance(role, str) for role in roles):
        raise InvalidTokenError()
    for name in ("iat", "exp", "nbf"):
        if name in raw and not is_time(raw[name]):
            raise InvalidTokenError()
    return Claims(raw)


def is_time(value: Any) -> TypeGuard[float]:
    """A NumericDate a float holds exactly enough (not a bool, NaN or 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value < MAX_TIME


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token and the refresh token that renews it: an OAuth2 token response.

    Return it from a token route as is (it serialises to ``access_token``,
    ``refresh_token``, ``token_type`` and ``expires_in``).
    """

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


__all__ = [
    "Claims",
    "ForbiddenError",
    "InsufficientScopeError",
    "InvalidTokenError",
    "TokenPair",
    "TokenStoreUnavailableError",
]
