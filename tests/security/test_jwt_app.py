"""An app as users write it: password login, token pair, protected routes, refresh, logout."""

from __future__ import annotations

from typing import Annotated

import pytest

from covet import CovetPy, Depends, HTTPException, Security
from covet.security import (
    Claims,
    HMACKey,
    JWTManager,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    PasswordHasher,
    TokenPair,
)
from covet.stores import Store
from covet.testing import TestClient
from tests.ratelimit.backends import Backend, backend

__all__ = ["backend"]

hasher = PasswordHasher()
USERS = {"ada": {"hash": hasher.hash_sync("lovelace"), "scopes": ["profile", "items"]}}


def make_app(store: Store) -> CovetPy:
    auth = JWTManager(
        HMACKey(b"app-secret-" + b"x" * 32),
        issuer="https://shop.example",
        audience="shop-api",
        store=store,
        scheme=OAuth2PasswordBearer(tokenUrl="token", scopes={"items": "Read your items."}),
    )
    app = CovetPy(lifespan=store.lifespan)
    app.include_router(auth.jwks_router())

    @app.post("/token")
    async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPair:
        user = USERS.get(form.username)
        valid, _ = await hasher.verify_and_update(form.password, user and user["hash"])
        if not valid or user is None:
            raise HTTPException(401, "Incorrect username or password")
        granted = [scope for scope in form.scopes if scope in user["scopes"]]
        return auth.issue(form.username, scopes=granted)

    @app.post("/token/refresh")
    async def refresh(refresh_token: Annotated[str, Depends(refresh_field)]) -> TokenPair:
        return await auth.refresh(refresh_token)

    @app.get("/me")
    async def me(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, str]:
        return {"user": claims.subject}

    @app.get("/items")
    async def items(
        claims: Annotated[Claims, Security(auth.current_claims, scopes=["items"])],
    ) -> list[str]:
        return [f"{claims.subject}'s book"]

    @app.post("/logout", status_code=204)
    async def logout(claims: Annotated[Claims, Depends(auth.current_claims)]) -> None:
        await auth.logout(claims)

    return app


async def refresh_field(refresh_token: str) -> str:
    return refresh_token


def test_login_use_refresh_and_logout(backend: Backend) -> None:
    with TestClient(make_app(backend.store())) as client:
        wrong = client.post("/token", data={"username": "ada", "password": "nope"})
        unknown = client.post("/token", data={"username": "bob", "password": "nope"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == {**unknown.json(), "instance": "/token"}

        login = client.post(
            "/token", data={"username": "ada", "password": "lovelace", "scope": "items admin"}
        )
        assert login.status_code == 200
        pair = login.json()
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        assert client.get("/me", headers=headers).json() == {"user": "ada"}
        assert client.get("/items", headers=headers).json() == ["ada's book"]

        renewed = client.post("/token/refresh", params={"refresh_token": pair["refresh_token"]})
        assert renewed.status_code == 200
        headers = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
        assert client.get("/items", headers=headers).status_code == 200

        assert client.post("/logout", headers=headers).status_code == 204
        after = client.get("/me", headers=headers)
        assert after.status_code == 401
        assert after.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
        again = client.post(
            "/token/refresh", params={"refresh_token": renewed.json()["refresh_token"]}
        )
        assert again.status_code == 401


@pytest.mark.parametrize("scope", ["", "profile"], ids=["no-scope", "other-scope"])
def test_a_token_without_the_scope_is_403(backend: Backend, scope: str) -> None:
    with TestClient(make_app(backend.store())) as client:
        pair = client.post(
            "/token", data={"username": "ada", "password": "lovelace", "scope": scope}
        ).json()
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        refused = client.get("/items", headers=headers)
        assert refused.status_code == 403
        assert refused.headers["WWW-Authenticate"] == (
            'Bearer error="insufficient_scope", scope="items"'
        )
        assert client.get("/me", headers=headers).status_code == 200
