"""Cookie transport of JWTs: HttpOnly, Secure, SameSite cookies, guarded by CSRF protection.

A browser app keeps its tokens where page scripts cannot read them: the access token in an
``HttpOnly`` ``__Host-`` cookie sent to the whole site, the refresh token in another sent only
to the refresh route (``SameSite=Strict``). Cookies are sent by the browser on its own, so
every unsafe request must also pass :class:`~covet.middleware.CSRFMiddleware`: the scheme
refuses to authenticate one that did not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from covet.exceptions import ConfigurationError
from covet.requests import HTTPConnection
from covet.responses import Response
from covet.security.api_key import APIKeyBase
from covet.security.tokens import TokenPair

_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_CSRF_SCOPE_KEY = "covet.csrf"  # set by CSRFMiddleware on every HTTP request it sees
SameSite = Literal["lax", "strict"]


class TokenCookies(APIKeyBase):
    """Carry a :class:`~covet.security.JWTManager`'s tokens in cookies: give it as its scheme.

    ``JWTManager(..., scheme=TokenCookies())`` reads the access token from its cookie;
    ``manager.set_cookies(response, pair)`` and ``manager.clear_cookies(response)`` write and
    drop both cookies; ``cookies.refresh_token`` is the dependency of the refresh route.

    Args:
        refresh_path: The only path the refresh cookie is sent to (your refresh route).
        secure: Mark the cookies ``Secure`` and give them the ``__Host-``/``__Secure-`` name
            prefixes (``False`` only for local development over plain HTTP).
        samesite: ``SameSite`` of the access cookie: ``"lax"`` (default: links from other
            sites arrive logged in) or ``"strict"``; the refresh cookie is always strict.
        access_name: The access cookie's name (default ``__Host-access_token``).
        refresh_name: The refresh cookie's name (default ``__Secure-refresh_token``).
        require_csrf: Refuse to authenticate an unsafe request (POST...) that
            :class:`~covet.middleware.CSRFMiddleware` did not check (a ``ConfigurationError``:
            add the middleware). Turn off only when another defence covers every such route.
        scheme_name: The scheme's name in OpenAPI (default ``TokenCookies``).
        description: Its description in OpenAPI.
        auto_error: Answer 401 when the cookie is missing (``False``: inject ``None``).

    Raises:
        ConfigurationError: a bad ``samesite``, name or path.
    """

    def __init__(
        self,
        *,
        refresh_path: str = "/",
        secure: bool = True,
        samesite: SameSite = "lax",
        access_name: str | None = None,
        refresh_name: str | None = None,
        require_csrf: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        if samesite not in ("lax", "strict"):
            raise ConfigurationError(
                f"samesite must be 'lax' or 'strict' for token cookies, not {samesite!r}: "
                "'none' would send them with every cross-site request."
            )
        if not isinstance(refresh_path, str) or not refresh_path.startswith("/"):
            raise ConfigurationError(f"refresh_path must start with '/', not {refresh_path!r}.")
        access = access_name or ("__Host-access_token" if secure else "access_token")
        refresh = refresh_name or ("__Secure-refresh_token" if secure else "refresh_token")
        for name in (access, refresh):
            if name.startswith(("__Host-", "__Secure-")) and not secure:
                raise ConfigurationError(f"Cookie {name!r} needs secure=True (its prefix says so).")
        if access == refresh:
            raise ConfigurationError("The access and refresh cookies need different names.")
        super().__init__("cookie", access, description, scheme_name, auto_error)
        self.refresh_name, self.refresh_path = refresh, refresh_path
        self.secure, self.samesite, self.require_csrf = secure, samesite, require_csrf
        self.refresh_token = self._refresh_dependency()

    def make_authenticate_headers(self) -> dict[str, str]:
        """A 401 for a missing or bad cookie still names the token type."""
        return {"WWW-Authenticate": "Bearer"}

    async def __call__(self, request: HTTPConnection) -> str | None:
        """The access token of the cookie (401 when missing)."""
        token = request.cookies.get(self.name)
        if token:
            self._check_csrf_ran(request)
        return self.check_api_key(token)

    def _check_csrf_ran(self, request: HTTPConnection) -> None:
        scope = request.scope
        if not self.require_csrf or scope["type"] != "http" or scope["method"] in _SAFE:
            return
        if _CSRF_SCOPE_KEY not in scope:
            raise ConfigurationError(
                f"{scope['method']} {scope['path']} is authenticated by a cookie without CSRF "
                "protection: app.add_middleware(CSRFMiddleware, ...) (or "
                "TokenCookies(require_csrf=False) when every such route is defended otherwise)."
            )

    def _refresh_dependency(self) -> Callable[[HTTPConnection], Awaitable[str]]:
        cookies = self

        async def refresh_token(request: HTTPConnection) -> str:
            token = request.cookies.get(cookies.refresh_name)
            if token:
                cookies._check_csrf_ran(request)
            found = cookies.check_api_key(token)
            if found is None:  # auto_error=False: a refresh route needs the token anyway
                raise cookies.make_not_authenticated_error()
            return found

        return refresh_token

    def set(self, response: Response, pair: TokenPair, *, refresh_max_age: int) -> None:
        """Write both cookies of ``pair`` on ``response`` (``manager.set_cookies`` calls it)."""
        response.set_cookie(
            self.name,
            pair.access_token,
            max_age=pair.expires_in,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite=self.samesite,
        )
        response.set_cookie(
            self.refresh_name,
            pair.refresh_token,
            max_age=refresh_max_age,
            path=self.refresh_path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def clear(self, response: Response) -> None:
        """Tell the browser to drop both cookies (after a logout)."""
        response.delete_cookie(self.name, path="/", secure=self.secure, samesite=self.samesite)
        response.delete_cookie(
            self.refresh_name, path=self.refresh_path, secure=self.secure, samesite="strict"
        )


__all__ = ["TokenCookies"]
