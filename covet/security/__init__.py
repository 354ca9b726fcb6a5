"""Authentication and authorization: security schemes as dependencies, documented in OpenAPI.

The schemes (``OAuth2PasswordBearer``, ``HTTPBearer``, ``HTTPBasic``, ``APIKeyHeader``...)
have FastAPI's names and behaviour, so ``from fastapi.security import ...`` ports by changing
the import. They need only the standard library; the parts built on third-party libraries
(password hashing, JWT) need the ``auth`` extra and say so when they are constructed.
"""

from covet.params import Security, SecurityScopes
from covet.security.api_key import APIKeyBase, APIKeyCookie, APIKeyHeader, APIKeyQuery
from covet.security.api_keys import APIKey, APIKeys, InvalidAPIKeyError, hash_api_key
from covet.security.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    AuthenticationMiddleware,
    BaseUser,
    ClaimsUser,
    JWTAuthenticationBackend,
    SimpleUser,
    UnauthenticatedUser,
    authenticated_user,
    has_scopes,
)
from covet.security.base import SecurityBase
from covet.security.cookies import TokenCookies
from covet.security.guards import require_permission, require_roles, require_scopes
from covet.security.http import (
    HTTPAuthorizationCredentials,
    HTTPBase,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from covet.security.jwt import JWKS_PATH, JWTManager
from covet.security.keys import ECKey, EdDSAKey, HMACKey, RSAKey, SigningKey
from covet.security.login import LoginAttempt, LoginGuard
from covet.security.oauth2 import (
    OAuth2,
    OAuth2AuthorizationCodeBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
    OpenIdConnect,
)
from covet.security.passwords import PasswordHasher
from covet.security.tickets import InvalidTicketError, Ticket, WebSocketTickets
from covet.security.tokens import (
    Claims,
    ForbiddenError,
    InsufficientScopeError,
    InvalidTokenError,
    TokenPair,
    TokenStoreUnavailableError,
)

__all__ = [
    "JWKS_PATH",
    "APIKey",
    "APIKeyBase",
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIKeys",
    "AuthCredentials",
    "AuthenticationBackend",
    "AuthenticationError",
    "AuthenticationMiddleware",
    "BaseUser",
    "Claims",
    "ClaimsUser",
    "ECKey",
    "EdDSAKey",
    "ForbiddenError",
    "HMACKey",
    "HTTPAuthorizationCredentials",
    "HTTPBase",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "InsufficientScopeError",
    "InvalidAPIKeyError",
    "InvalidTicketError",
    "InvalidTokenError",
    "JWTAuthenticationBackend",
    "JWTManager",
    "LoginAttempt",
    "LoginGuard",
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "OpenIdConnect",
    "PasswordHasher",
    "RSAKey",
    "Security",
    "SecurityBase",
    "SecurityScopes",
    "SigningKey",
    "SimpleUser",
    "Ticket",
    "TokenCookies",
    "TokenPair",
    "TokenStoreUnavailableError",
    "UnauthenticatedUser",
    "WebSocketTickets",
    "authenticated_user",
    "has_scopes",
    "hash_api_key",
    "require_permission",
    "require_roles",
    "require_scopes",
]
