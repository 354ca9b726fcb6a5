"""The protected route of issue 10: a bearer JWT (HS256) verified and a scope checked.

``GET /items`` answers ``{"items": ["pen"], "user": "ada"}`` in four variants:

* ``covet-open`` / ``fastapi-open``: the route without protection;
* ``covet-protected``: ``Security(manager.current_claims, scopes=["items"])`` of a
  ``covet.security.JWTManager`` (signature, ``iss``/``aud``/``exp``, token type, and the
  revocation check in its default in-memory store: nothing is cached between requests);
* ``fastapi-protected``: FastAPI's "OAuth2 scopes" tutorial: ``OAuth2PasswordBearer``, a
  ``get_current_user(security_scopes, token)`` dependency calling ``jwt.decode`` (PyJWT) with
  the audience and issuer, the scopes compared by hand (no revocation check: the tutorial
  has none).

Both protected apps verify the same token, issued once at import.
"""

# No ``from __future__ import annotations``: FastAPI must see the local classes themselves.
from typing import Annotated, Any

from covet.security import HMACKey, JWTManager

SECRET = b"bench-secret-of-at-least-32-bytes!!"
ISSUER, AUDIENCE = "https://bench.example.org", "bench"
MANAGER = JWTManager(
    HMACKey(SECRET, kid="bench"), issuer=ISSUER, audience=AUDIENCE, access_ttl=3600
)
TOKEN = MANAGER.issue("ada", scopes=["items"]).access_token
ANSWER = {"items": ["pen"], "user": "ada"}


def covet_open() -> Any:
    """CovetPy, unprotected."""
    from covet import CovetPy

    app = CovetPy(openapi_url=None)

    @app.get("/items")
    async def items() -> dict[str, Any]:
        return {"items": ["pen"], "user": "ada"}

    return app


def covet_protected() -> Any:
    """CovetPy, the route behind the manager's bearer scheme and a scope."""
    from covet import CovetPy
    from covet.security import Claims, Security

    app = CovetPy(openapi_url=None)

    @app.get("/items")
    async def items(
        claims: Annotated[Claims, Security(MANAGER.current_claims, scopes=["items"])],
    ) -> dict[str, Any]:
        return {"items": ["pen"], "user": claims.subject}

    return app


def fastapi_open() -> Any:
    """FastAPI, unprotected."""
    from fastapi import FastAPI

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/items")
    async def items() -> dict[str, Any]:
        return {"items": ["pen"], "user": "ada"}

    return app


def fastapi_protected() -> Any:
    """FastAPI, as its "OAuth2 scopes" tutorial writes the dependency (PyJWT)."""
    import jwt
    from fastapi import Depends, FastAPI, HTTPException, Security, status
    from fastapi.security import OAuth2PasswordBearer, SecurityScopes

    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token", scopes={"items": "Read items."})
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    async def get_current_user(
        security_scopes: SecurityScopes, token: Annotated[str, Depends(oauth2_scheme)]
    ) -> str:
        authenticate = f'Bearer scope="{security_scopes.scope_str}"'
        refused = HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": authenticate},
        )
        try:
            payload = jwt.decode(
                token, SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
            )
        except jwt.InvalidTokenError:
            raise refused from None
        username = payload.get("sub")
        if username is None:
            raise refused
        granted = payload.get("scope", "").split()
        for scope in security_scopes.scopes:
            if scope not in granted:
                raise HTTPException(
                    status_code=status.HTTP_401_UNAUTHORIZED,
                    detail="Not enough permissions",
                    headers={"WWW-Authenticate": authenticate},
                )
        return str(username)

    @app.get("/items")
    async def items(
        user: Annotated[str, Security(get_current_user, scopes=["items"])],
    ) -> dict[str, Any]:
        return {"items": ["pen"], "user": user}

    return app


APPS = {
    "covet-open": covet_open,
    "covet-protected": covet_protected,
    "fastapi-open": fastapi_open,
    "fastapi-protected": fastapi_protected,
}
"""Variant name -> factory."""
