"""The JWT app the multi-process tests serve, several uvicorn processes at once.

Configured through the environment:

* ``COVET_E2E_JWT_STORE``: ``memory`` (each process keeps its own revocations) or a Redis URL
  (every process shares them);
* ``COVET_E2E_JWT_NAMESPACE``: the Redis key namespace of this test run.

Every process signs with the same secret, so a token issued by one verifies on the other.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from covet import CovetPy, Depends
from covet.security import Claims, HMACKey, JWTManager, TokenPair
from covet.stores import MemoryStore, RedisStore, Store


def _store() -> Store:
    where = os.environ.get("COVET_E2E_JWT_STORE", "memory")
    if where == "memory":
        return MemoryStore()
    return RedisStore(where, namespace=os.environ["COVET_E2E_JWT_NAMESPACE"])


store = _store()
auth = JWTManager(
    HMACKey(b"e2e-jwt-" + b"s" * 40, kid="e2e"),
    issuer="https://e2e.example",
    audience="e2e",
    store=store,
)
app = CovetPy(lifespan=store.lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "up"}


@app.post("/login/{user}")
async def login(user: str) -> TokenPair:
    return auth.issue(user)


@app.get("/me")
async def me(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, Any]:
    return {"user": claims.subject, "pid": os.getpid()}


@app.post("/refresh")
async def refresh(refresh_token: str) -> TokenPair:
    return await auth.refresh(refresh_token)


@app.post("/logout")
async def logout(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, int]:
    await auth.logout(claims)
    return {"pid": os.getpid()}


@app.post("/revoke-all/{user}")
async def revoke_all(user: str) -> dict[str, bool]:
    await auth.revoke_all(user)
    return {"ok": True}
