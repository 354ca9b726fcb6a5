"""What every security scheme shares: its OpenAPI scheme object, its name, its 401."""

from __future__ import annotations

from typing import Any, TypeVar

from covet.exceptions import HTTPException
from covet.openapi.contributions import OpenAPIContribution

_T = TypeVar("_T")


class SecurityBase:
    """A security scheme used as a dependency, documenting itself in OpenAPI.

    Attributes:
        model: The OpenAPI Security Scheme Object (``{"type": "http", "scheme": "bearer"}``).
        scheme_name: Its name in ``components.securitySchemes`` (the class name by default).
        auto_error: Whether missing credentials answer 401 (``True``) or give ``None``.
    """

    model: dict[str, Any]
    scheme_name: str
    auto_error: bool

    def __init__(
        self,
        model: dict[str, Any],
        scheme_name: str | None,
        description: str | None,
        auto_error: bool,
    ) -> None:
        if description is not None:
            model["description"] = description
        self.model = model
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def openapi_contribution(self) -> OpenAPIContribution:
        """The scheme, and a requirement of it on every operation using this dependency."""
        return OpenAPIContribution({self.scheme_name: self.model}, [{self.scheme_name: []}])

    def make_authenticate_headers(self) -> dict[str, str]:
        """The ``WWW-Authenticate`` challenge of this scheme's 401."""
        return {"WWW-Authenticate": "Bearer"}

    def make_not_authenticated_error(self) -> HTTPException:
        """The error for missing credentials (override it to answer otherwise, e.g. 403)."""
        return HTTPException(401, "Not authenticated", headers=self.make_authenticate_headers())

    def present_or_refuse(self, credentials: _T | None) -> _T | None:
        """``credentials`` when given; else the 401 (``None`` without ``auto_error``)."""
        if credentials:
            return credentials
        if self.auto_error:
            raise self.make_not_authenticated_error()
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scheme_name={self.scheme_name!r})"
