"""Authorization guards: dependencies requiring scopes or roles, at app, router or route level.

``dependencies=[require_scopes(auth, "items:write")]`` on an app, a router or a route refuses
requests whose token lacks a scope (403 ``insufficient_scope``), and the OpenAPI operation
lists the scope in its security requirement; ``require_roles(auth, "admin")`` does the same
for roles, and ``require_permission(auth, check)`` asks a function of your own. ``auth`` is
a :class:`~covet.security.JWTManager`, or any dependency giving an object with ``scopes`` and
``roles`` (a :class:`~covet.security.Claims`, your own user).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from covet.exceptions import ConfigurationError
from covet.params import Depends, Security, SecurityScopes
from covet.requests import HTTPConnection
from covet.security.jwt import JWTManager
from covet.security.tokens import ForbiddenError, InsufficientScopeError


def require_scopes(source: JWTManager | Callable[..., Any], *scopes: str) -> Depends:
    """A guard requiring every OAuth2 scope in ``scopes`` of the request's token.

    It is ``Security(claims, scopes=[...])``: the scopes add to those of the routes and
    dependencies above it, a ``SecurityScopes`` parameter receives them, and ``/docs`` shows
    them.

    Raises:
        ConfigurationError: no scope given, or ``source`` is not a manager or a callable.
    """
    _check_names("require_scopes", scopes)
    if isinstance(source, JWTManager):  # its claims dependency checks SecurityScopes itself
        return Security(source.current_claims, scopes=tuple(scopes))

    async def scopes_guard(security_scopes: SecurityScopes, identity: Any) -> None:
        granted = set(getattr(identity, "scopes", ()))
        if any(scope not in granted for scope in security_scopes.scopes):
            raise InsufficientScopeError(security_scopes.scopes)

    return Security(_with_source(scopes_guard, _claims_of(source)), scopes=tuple(scopes))


def require_roles(source: JWTManager | Callable[..., Any], *roles: str) -> Depends:
    """A guard requiring every role in ``roles`` of the request's token (403 without them).

    Raises:
        ConfigurationError: no role given, or ``source`` is not a manager or a callable.
    """
    _check_names("require_roles", roles)
    required = frozenset(roles)

    async def roles_guard(identity: Any) -> None:
        if not required <= set(getattr(identity, "roles", ())):
            raise ForbiddenError()

    return Depends(_with_source(roles_guard, _claims_of(source)))


def require_permission(
    source: JWTManager | Callable[..., Any],
    permission: Callable[[Any, HTTPConnection], bool | Awaitable[bool]],
    *,
    detail: str = "Not enough permissions",
) -> Depends:
    """A guard asking ``permission(identity, connection)`` (sync or async) whether to serve.

    ``identity`` is what ``source`` gives (a manager's :class:`~covet.security.Claims`, an
    API key, your user); ``connection`` is the request or WebSocket, for path parameters
    (``connection.path_params``) and the like. A false answer is a 403 with ``detail``.

    Raises:
        ConfigurationError: ``permission`` is not callable, or ``source`` is not a manager or
            a callable.
    """
    if not callable(permission):
        raise ConfigurationError(
            f"require_permission needs a callable (identity, connection) -> bool, not "
            f"{permission!r}."
        )

    async def permission_guard(connection: HTTPConnection, identity: Any) -> None:
        allowed = permission(identity, connection)
        if inspect.isawaitable(allowed):
            allowed = await allowed
        if not allowed:
            raise ForbiddenError(detail)

    return Depends(_with_source(permission_guard, _claims_of(source)))


def _check_names(owner: str, names: tuple[str, ...]) -> None:
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ConfigurationError(f"{owner} needs one or more names as strings, not {names!r}.")


def _claims_of(source: JWTManager | Callable[..., Any]) -> Callable[..., Any]:
    if isinstance(source, JWTManager):
        return source.current_claims
    if not callable(source):
        raise ConfigurationError(
            f"A guard needs a JWTManager or a dependency giving the user's claims, not {source!r}."
        )
    return source


_GUARD_PARAMETERS: dict[str, Any] = {
    "security_scopes": SecurityScopes,
    "connection": HTTPConnection,
}


def _with_source(guard: Callable[..., Any], source: Callable[..., Any]) -> Callable[..., Any]:
    """``guard`` with its ``identity`` parameter reading ``Depends(source)``."""
    signature = inspect.signature(guard)
    parameters = [
        parameter.replace(annotation=Annotated[Any, Depends(source)])
        if name == "identity"
        else parameter.replace(annotation=_GUARD_PARAMETERS[name])
        for name, parameter in signature.parameters.items()
    ]
    guard.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=None
    )
    return guard


__all__ = ["require_permission", "require_roles", "require_scopes"]
