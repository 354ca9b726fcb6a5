"""API keys read from a header, a query parameter or a cookie."""

from __future__ import annotations

from covet.requests import HTTPConnection
from covet.security.base import SecurityBase


class APIKeyBase(SecurityBase):
    """An API key in one place of the request (``location``: header, query or cookie)."""

    def __init__(
        self,
        location: str,
        name: str,
        description: str | None,
        scheme_name: str | None,
        auto_error: bool,
    ) -> None:
        super().__init__(
            {"type": "apiKey", "in": location, "name": name}, scheme_name, description, auto_error
        )
        self.name = name

    def make_authenticate_headers(self) -> dict[str, str]:
        """A custom ``APIKey`` challenge: HTTP requires one on a 401, none is standard."""
        return {"WWW-Authenticate": "APIKey"}

    def check_api_key(self, api_key: str | None) -> str | None:
        """The key, or the 401 (``None`` without ``auto_error``) when it is missing or empty."""
        return self.present_or_refuse(api_key)


class _APIKeyIn(APIKeyBase):
    """FastAPI's keyword constructor, shared by the three places a key can be in."""

    location = ""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(self.location, name, description, scheme_name, auto_error)


class APIKeyQuery(_APIKeyIn):
    """The API key of query parameter ``name`` (``?api_key=...``), as a dependency.

    Args:
        name: The query parameter.
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the key is missing (``False``: inject ``None``).
    """

    location = "query"

    async def __call__(self, request: HTTPConnection) -> str | None:
        """Read the key (401 when it is missing)."""
        return self.check_api_key(request.query_params.get(self.name))


class APIKeyHeader(_APIKeyIn):
    """The API key of header ``name`` (``X-API-Key: ...``), as a dependency.

    Args:
        name: The header.
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the key is missing (``False``: inject ``None``).
    """

    location = "header"

    async def __call__(self, request: HTTPConnection) -> str | None:
        """Read the key (401 when it is missing)."""
        return self.check_api_key(request.headers.get(self.name))


class APIKeyCookie(_APIKeyIn):
    """The API key of cookie ``name``, as a dependency.

    Args:
        name: The cookie.
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the key is missing (``False``: inject ``None``).
    """

    location = "cookie"

    async def __call__(self, request: HTTPConnection) -> str | None:
        """Read the key (401 when it is missing)."""
        return self.check_api_key(request.cookies.get(self.name))


__all__ = ["APIKeyBase", "APIKeyCookie", "APIKeyHeader", "APIKeyQuery"]
