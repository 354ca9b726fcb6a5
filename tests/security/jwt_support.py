"""What the JWT tests share: keys of each family, an app protected by a manager, raw tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from covet import CovetPy, Depends, Router, Security
from covet.security import Claims, JWTManager, TokenPair, require_roles
from covet.stores import Store

ISSUER = "https://api.example.com"
AUDIENCE = "api"
SECRET = b"s" * 32

RSA_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_PRIVATE = ec.generate_private_key(ec.SECP256R1())
ED_PRIVATE = ed25519.Ed25519PrivateKey.generate()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: Any) -> str:
    """A base64url JSON segment of ``value``."""
    return b64(json.dumps(value).encode())


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes = SECRET) -> str:
    """A token signed with HMAC-SHA256 by hand, whatever its header says."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def protected_app(manager: JWTManager) -> CovetPy:
    """An app with a route per kind of protection, and the token routes.

    The app's lifespan closes the manager's store (its Redis connections), as a real app's does.
    """
    app = CovetPy(lifespan=manager.store.lifespan)
    app.include_router(manager.jwks_router())

    @app.get("/me")
    async def me(claims: Annotated[Claims, Depends(manager.current_claims)]) -> dict[str, Any]:
        return {"sub": claims.subject, "scopes": sorted(claims.scopes), "type": claims.type}

    @app.get("/items")
    async def items(claims: Annotated[Claims, Security(manager.current_claims, scopes=["items"])]):
        return {"items": [claims.subject]}

    admin = Router(prefix="/admin", dependencies=[require_roles(manager, "admin")])

    @admin.get("/stats")
    async def stats() -> dict[str, int]:
        return {"users": 1}

    app.include_router(admin)

    @app.post("/login/{user}")
    async def login(user: str, admin: bool = False) -> TokenPair:
        return manager.issue(user, scopes=["items"], roles=["admin"] if admin else [])

    @app.post("/revoke")
    async def revoke(claims: Annotated[Claims, Depends(manager.current_claims)]) -> None:
        await manager.revoke(claims)

    @app.post("/revoke-all/{user}")
    async def revoke_all(user: str) -> None:
        await manager.revoke_all(user)

    @app.post("/refresh")
    async def refresh(refresh_token: str) -> Any:
        return await manager.refresh(refresh_token)

    @app.post("/logout")
    async def logout(claims: Annotated[Claims, Depends(manager.current_claims)]) -> None:
        await manager.logout(claims)

    return app


def manager_on(store: Store | None = None, **options: Any) -> JWTManager:
    """An HS256 manager of the tests' issuer and audience."""
    from covet.security import HMACKey

    key = options.pop("signing_key", None) or HMACKey(SECRET, kid="hs")
    return JWTManager(key, issuer=ISSUER, audience=AUDIENCE, store=store, **options)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
