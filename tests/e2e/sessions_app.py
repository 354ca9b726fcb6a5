"""The session app the multi-process tests serve, several uvicorn processes at once.

Configured through the environment:

* ``COVET_E2E_SESSIONS_STORE``: ``memory`` (each process keeps its own sessions) or a Redis
  URL (every process shares them);
* ``COVET_E2E_SESSIONS_NAMESPACE``: the Redis key namespace of this test run.

The servers speak plain HTTP, so the cookie is not ``Secure`` (and is named ``session``).
"""

from __future__ import annotations

import os
from typing import Any

from covet import CovetPy
from covet.middleware import SessionMiddleware
from covet.requests import Request
from covet.sessions import Sessions
from covet.stores import MemoryStore, RedisStore, Store

SECRET = "e2e-sessions-" + "s" * 40


def _store() -> Store:
    where = os.environ.get("COVET_E2E_SESSIONS_STORE", "memory")
    if where == "memory":
        return MemoryStore()
    return RedisStore(where, namespace=os.environ["COVET_E2E_SESSIONS_NAMESPACE"])


sessions = Sessions(_store())
app = CovetPy()
app.add_middleware(SessionMiddleware, secret_keys=[SECRET], sessions=sessions, secure=False)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "up"}


@app.post("/login/{user}")
async def login(request: Request, user: str) -> dict[str, int]:
    request.session.login(user)
    return {"pid": os.getpid()}


@app.get("/me")
async def me(request: Request) -> dict[str, Any]:
    return {"user": request.session.user_id, "pid": os.getpid()}


@app.post("/logout")
async def logout(request: Request) -> dict[str, bool]:
    request.session.logout()
    return {"ok": True}


@app.post("/revoke/{session_id}")
async def revoke(session_id: str) -> dict[str, bool]:
    return {"revoked": await sessions.revoke(session_id)}


@app.get("/sessions/{user}")
async def listing(user: str) -> list[str]:
    return [info.id for info in await sessions.list(user)]


@app.post("/revoke-all/{user}")
async def revoke_all(user: str) -> dict[str, int]:
    return {"ended": await sessions.revoke_all(user)}
