"""HTTP authentication schemes: Basic and Bearer, read from the ``Authorization`` header."""

from __future__ import annotations

import binascii
from base64 import b64decode
from dataclasses import dataclass

from covet.requests import HTTPConnection
from covet.security.base import SecurityBase
from covet.security.utils import get_authorization_scheme_param


@dataclass(frozen=True, slots=True)
class HTTPBasicCredentials:
    """The user name and password of an HTTP Basic ``Authorization`` header."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class HTTPAuthorizationCredentials:
    """The scheme (``Bearer``) and credentials (the token) of an ``Authorization`` header."""

    scheme: str
    credentials: str


class HTTPBase(SecurityBase):
    """Any HTTP ``scheme`` of the ``Authorization`` header, as a dependency.

    Args:
        scheme: The scheme's name in OpenAPI (``"basic"``, ``"bearer"``, ``"digest"``...).
        scheme_name: The scheme's name in ``securitySchemes`` (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the header is missing (``False``: inject ``None``).
    """

    def __init__(
        self,
        *,
        scheme: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__({"type": "http", "scheme": scheme}, scheme_name, description, auto_error)

    def make_authenticate_headers(self) -> dict[str, str]:
        """The challenge names the scheme (``WWW-Authenticate: Bearer``)."""
        return {"WWW-Authenticate": str(self.model["scheme"]).title()}

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        """Read the header's scheme and credentials (401 when either is missing)."""
        authorization = request.headers.get("Authorization")
        scheme, credentials = get_authorization_scheme_param(authorization)
        if not (authorization and scheme and credentials):
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        return HTTPAuthorizationCredentials(scheme, credentials)


class HTTPBasic(HTTPBase):
    """HTTP Basic authentication (RFC 7617): inject :class:`HTTPBasicCredentials`.

    Compare the password with :func:`secrets.compare_digest` (or verify it with a
    :class:`~covet.security.PasswordHasher`), never with ``==``.

    Args:
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        realm: The realm of the ``WWW-Authenticate`` challenge.
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the header is missing (``False``: inject ``None``); a
            malformed header answers 401 either way.
    """

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="basic", scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        self.realm = realm

    def make_authenticate_headers(self) -> dict[str, str]:
        """``Basic``, with the realm when there is one."""
        if self.realm:
            return {"WWW-Authenticate": f'Basic realm="{self.realm}"'}
        return {"WWW-Authenticate": "Basic"}

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        """Decode ``user:password`` (401 when missing, not Basic or not decodable)."""
        authorization = request.headers.get("Authorization")
        scheme, param = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "basic":
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        try:
            # RFC 7617 lets clients send UTF-8 (FastAPI accepts ASCII only).
            data = b64decode(param).decode("utf-8")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise self.make_not_authenticated_error() from None
        username, separator, password = data.partition(":")
        if not separator:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username, password)


class HTTPBearer(HTTPBase):
    """A bearer token of the ``Authorization`` header: inject
    :class:`HTTPAuthorizationCredentials` (the token is its ``credentials``).

    Args:
        bearerFormat: A hint of the token's format in OpenAPI (``"JWT"``).
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when there is no bearer token (``False``: inject ``None``).
    """

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="bearer", scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        if bearerFormat is not None:
            self.model["bearerFormat"] = bearerFormat

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        """Read the token (401 when the header is missing or not ``Bearer``)."""
        authorization = request.headers.get("Authorization")
        scheme, credentials = get_authorization_scheme_param(authorization)
        if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        return HTTPAuthorizationCredentials(scheme, credentials)


__all__ = [
    "HTTPAuthorizationCredentials",
    "HTTPBase",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
]
