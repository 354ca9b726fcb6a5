"""``AuthenticationMiddleware``: ``request.user`` and ``request.auth`` for every request.

Starlette's shape: a backend's ``authenticate(connection)`` returns ``(AuthCredentials,
user)`` or ``None`` (anonymous: :class:`UnauthenticatedUser`); the middleware puts them in
``scope["auth"]`` and ``scope["user"]`` for HTTP and WebSocket connections alike. A backend
raising :class:`AuthenticationError` gets ``on_error``'s response (400 by default, as in
Starlette); one raising an ``HTTPException`` (a bad token's 401, a store outage's 503) gets
that answer; on a WebSocket both close the handshake (1008, or 1013 for a 503).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence

from covet.exceptions import ConfigurationError, HTTPException
from covet.middleware.errors import http_exception_response
from covet.requests import HTTPConnection
from covet.responses import Response
from covet.responses.problem import ProblemResponse
from covet.security.jwt import JWTManager
from covet.security.tokens import Claims
from covet.types import ASGIApp, Receive, Scope, Send


class AuthenticationError(Exception):
    """Credentials were presented but are unusable (the message is sent to the client)."""


class AuthCredentials:
    """What the authenticated connection may do: ``request.auth.scopes``."""

    __slots__ = ("scopes",)

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes = list(scopes or [])

    def __repr__(self) -> str:
        return f"AuthCredentials(scopes={self.scopes!r})"


class BaseUser(ABC):
    """A user as ``request.user`` (Starlette's interface): subclass it."""

    @property
    @abstractmethod
    def is_authenticated(self) -> bool:
        """Whether this is a known user."""

    @property
    @abstractmethod
    def display_name(self) -> str:
        """A name to show."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """A stable id (``user_or_ip`` rate limits count by it)."""


class SimpleUser(BaseUser):
    """An authenticated user known by name."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        """Always ``True``."""
        return True

    @property
    def display_name(self) -> str:
        """The user name."""
        return self.username

    @property
    def identity(self) -> str:
        """The user name."""
        return self.username

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.username!r})"


class UnauthenticatedUser(BaseUser):
    """The anonymous user of a connection without credentials."""

    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        """Always ``False``."""
        return False

    @property
    def display_name(self) -> str:
        """Empty."""
        return ""

    @property
    def identity(self) -> str:
        """Empty (no rate-limit key of its own: counted by address)."""
        return ""

    def __repr__(self) -> str:
        return "UnauthenticatedUser()"


class ClaimsUser(SimpleUser):
    """The user of a verified JWT: ``claims``, ``scopes`` and ``roles`` (guards read them)."""

    def __init__(self, claims: Claims) -> None:
        super().__init__(claims.subject)
        self.claims = claims
        self.scopes: frozenset[str] = claims.scopes
        self.roles: frozenset[str] = claims.roles


class AuthenticationBackend(ABC):
    """Decides who a connection is: subclass it and implement :meth:`authenticate`."""

    @abstractmethod
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """The credentials and user of ``conn``, or ``None`` for an anonymous connection.

        Raises:
            AuthenticationError: credentials were presented and are unusable.
        """


class JWTAuthenticationBackend(AuthenticationBackend):
    """Authenticate with a :class:`~covet.security.JWTManager`'s access tokens.

    The token is read by the manager's scheme (a bearer header, or its ``TokenCookies``);
    without one the connection is anonymous, a bad or revoked token answers 401 and a store
    outage 503.
    """

    def __init__(self, manager: JWTManager) -> None:
        self.manager = manager

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """Verify the connection's access token, if it has one."""
        try:
            credentials = await self.manager.scheme(conn)  # type: ignore[operator]
        except HTTPException as exc:
            if exc.status_code == 401:  # no (or no readable) token: anonymous
                return None
            raise
        token = getattr(credentials, "credentials", credentials)
        if not isinstance(token, str) or not token:
            return None
        claims = await self.manager.verify(token)
        return AuthCredentials(sorted(claims.scopes)), ClaimsUser(claims)


ErrorHandler = Callable[[HTTPConnection, AuthenticationError], Response]


def _default_on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    return ProblemResponse(400, str(exc) or "Authentication failed", title="Bad Request")


class AuthenticationMiddleware:
    """Set ``request.user`` and ``request.auth`` from ``backend`` on every connection.

    Args:
        app: The wrapped application.
        backend: The :class:`AuthenticationBackend` deciding who connects.
        on_error: ``(connection, AuthenticationError) -> Response`` for unusable
            credentials (default: a 400 problem with the error's message).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        backend: AuthenticationBackend,
        on_error: ErrorHandler | None = None,
    ) -> None:
        if not isinstance(backend, AuthenticationBackend):
            raise ConfigurationError(
                f"AuthenticationMiddleware needs an AuthenticationBackend, not {backend!r}."
            )
        self.app = app
        self.backend = backend
        self.on_error: ErrorHandler = on_error if on_error is not None else _default_on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            result = await self.backend.authenticate(conn)
        except AuthenticationError as exc:
            if kind == "websocket":
                await _close(send, 1008, str(exc))
            else:
                await self.on_error(conn, exc)(scope, receive, send)
            return
        except HTTPException as exc:
            if kind == "websocket":
                await _close(send, 1013 if exc.status_code == 503 else 1008, str(exc.detail))
            else:
                await http_exception_response(scope, exc)(scope, receive, send)
            return
        auth, user = result if result is not None else (AuthCredentials(), UnauthenticatedUser())
        scope["auth"], scope["user"] = auth, user
        await self.app(scope, receive, send)


async def _close(send: Send, code: int, reason: str) -> None:
    await send({"type": "websocket.close", "code": code, "reason": reason[:120]})


def has_scopes(conn: HTTPConnection, scopes: Iterable[str]) -> bool:
    """Whether ``request.auth`` grants every one of ``scopes`` (Starlette's helper)."""
    granted = set(conn.auth.scopes)
    return all(scope in granted for scope in scopes)


async def authenticated_user(request: HTTPConnection) -> BaseUser:
    """A dependency giving ``request.user``, or the 401 when the connection is anonymous.

    Guards take it as their source: ``require_scopes(authenticated_user, "items")``.
    """
    user: BaseUser = request.user
    if not user.is_authenticated:
        raise HTTPException(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
    return user


__all__ = [
    "AuthCredentials",
    "AuthenticationBackend",
    "AuthenticationError",
    "AuthenticationMiddleware",
    "BaseUser",
    "ClaimsUser",
    "JWTAuthenticationBackend",
    "SimpleUser",
    "UnauthenticatedUser",
    "authenticated_user",
    "has_scopes",
]
