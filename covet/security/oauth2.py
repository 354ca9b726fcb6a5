"""OAuth2 bearer tokens (password and authorization-code flows) and the password form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from covet.params import Form
from covet.requests import HTTPConnection
from covet.security.base import SecurityBase
from covet.security.utils import get_authorization_scheme_param


class OAuth2(SecurityBase):
    """An OAuth2 scheme with the given ``flows`` (an OpenAPI OAuth Flows Object).

    As a dependency it injects the raw ``Authorization`` header; its subclasses inject
    the bearer token.

    Args:
        flows: ``{"password": {"tokenUrl": "token", "scopes": {}}}`` and the like.
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when there is no token (``False``: inject ``None``).
    """

    def __init__(
        self,
        *,
        flows: Mapping[str, Any] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = {"type": "oauth2", "flows": dict(flows or {})}
        super().__init__(model, scheme_name, description, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        """The ``Authorization`` header (401 when missing)."""
        return self.present_or_refuse(request.headers.get("Authorization"))

    def _bearer(self, request: HTTPConnection) -> str | None:
        scheme, param = get_authorization_scheme_param(request.headers.get("Authorization"))
        return self.present_or_refuse(param if scheme.lower() == "bearer" else None)


def _flow(scopes: Mapping[str, str] | None, refresh_url: str | None, **urls: str) -> dict[str, Any]:
    flow: dict[str, Any] = {**urls, "scopes": dict(scopes or {})}
    if refresh_url is not None:
        flow["refreshUrl"] = refresh_url
    return flow


class OAuth2PasswordBearer(OAuth2):
    """The bearer token of the OAuth2 password flow: inject the token (a ``str``).

    ``/docs`` shows an Authorize button that posts the user name and password to
    ``tokenUrl`` (an :class:`OAuth2PasswordRequestForm` route) and sends the token it gets.

    Args:
        tokenUrl: Where clients get a token, relative to the OpenAPI document (``"token"``).
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        scopes: The scopes clients may ask for, with their descriptions.
        description: Its description in OpenAPI.
        auto_error: Answer 401 when there is no bearer token (``False``: inject ``None``).
        refreshUrl: Where clients refresh a token, if anywhere.
    """

    def __init__(
        self,
        tokenUrl: str,  # FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        scopes: Mapping[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,
    ) -> None:
        flows = {"password": _flow(scopes, refreshUrl, tokenUrl=tokenUrl)}
        super().__init__(
            flows=flows, scheme_name=scheme_name, description=description, auto_error=auto_error
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        """The bearer token (401 with ``WWW-Authenticate: Bearer`` when there is none)."""
        return self._bearer(request)


class OAuth2AuthorizationCodeBearer(OAuth2):
    """The bearer token of the OAuth2 authorization-code flow: inject the token (a ``str``).

    Args:
        authorizationUrl: The provider's authorization endpoint.
        tokenUrl: The provider's token endpoint.
        refreshUrl: Where clients refresh a token, if anywhere.
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        scopes: The scopes clients may ask for, with their descriptions.
        description: Its description in OpenAPI.
        auto_error: Answer 401 when there is no bearer token (``False``: inject ``None``).
    """

    def __init__(
        self,
        authorizationUrl: str,  # FastAPI's (and OpenAPI's) spelling
        tokenUrl: str,
        refreshUrl: str | None = None,
        scheme_name: str | None = None,
        scopes: Mapping[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        flow = _flow(scopes, refreshUrl, authorizationUrl=authorizationUrl, tokenUrl=tokenUrl)
        super().__init__(
            flows={"authorizationCode": flow},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        """The bearer token (401 with ``WWW-Authenticate: Bearer`` when there is none)."""
        return self._bearer(request)


class OAuth2PasswordRequestForm:
    """The form of an OAuth2 password-flow token request, as a class dependency.

    ``form: Annotated[OAuth2PasswordRequestForm, Depends()]`` reads ``username``,
    ``password``, ``scope`` (split into :attr:`scopes`), and the optional ``grant_type``
    (``"password"`` if given), ``client_id`` and ``client_secret`` form fields.
    """

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, scopes={self.scopes!r})"


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """:class:`OAuth2PasswordRequestForm` requiring ``grant_type=password``, as the spec does."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


class OpenIdConnect(SecurityBase):
    """An OpenID Connect scheme in OpenAPI: inject the raw ``Authorization`` header.

    Args:
        openIdConnectUrl: The provider's discovery document URL.
        scheme_name: The scheme's name in OpenAPI (default: the class name).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the header is missing (``False``: inject ``None``).
    """

    def __init__(
        self,
        *,
        openIdConnectUrl: str,  # FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = {"type": "openIdConnect", "openIdConnectUrl": openIdConnectUrl}
        super().__init__(model, scheme_name, description, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        """The ``Authorization`` header (401 when missing)."""
        return self.present_or_refuse(request.headers.get("Authorization"))


__all__ = [
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "OpenIdConnect",
]
