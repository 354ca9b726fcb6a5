"""The WebSocket auth app the multi-process tests serve, several uvicorn processes at once.

``COVET_E2E_AUTH_REDIS`` is the Redis URL and ``COVET_E2E_AUTH_NAMESPACE`` the key namespace
of the run: every process shares the tickets and the revocations, and signs with one secret.
"""

from __future__ import annotations

import os
from typing import Annotated

from covet import CovetPy, Depends
from covet.security import Claims, HMACKey, JWTManager, Ticket, WebSocketTickets, require_scopes
from covet.stores import RedisStore
from covet.websockets import WebSocket

store = RedisStore(
    os.environ["COVET_E2E_AUTH_REDIS"], namespace=os.environ["COVET_E2E_AUTH_NAMESPACE"]
)
auth = JWTManager(
    HMACKey(b"e2e-auth-" + b"s" * 40, kid="e2e"), issuer="https://e2e", audience="e2e", store=store
)
tickets = WebSocketTickets(store=store, ttl=30)
app = CovetPy(lifespan=store.lifespan)


@app.get("/health")
async def health() -> dict[str, int]:
    return {"pid": os.getpid()}


@app.post("/login/{user}")
async def login(user: str) -> dict[str, str]:
    return {"access_token": auth.issue(user, scopes=["chat"]).access_token}


@app.post("/ws-ticket")
async def ws_ticket(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, str]:
    return {"ticket": await tickets.issue(claims.subject, scopes=claims.scopes)}


@app.post("/logout")
async def logout(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, int]:
    await auth.logout(claims)
    return {"pid": os.getpid()}


@app.websocket("/chat", dependencies=[require_scopes(auth, "chat")])
async def chat(websocket: WebSocket, claims: Annotated[Claims, Depends(auth.current_claims)]):
    await websocket.accept()
    await websocket.send_json({"sub": claims.subject, "pid": os.getpid()})
    await websocket.close()


@app.websocket("/live")
async def live(websocket: WebSocket, ticket: Annotated[Ticket, Depends(tickets.current_ticket)]):
    await websocket.accept()
    await websocket.send_json({"sub": ticket.subject, "pid": os.getpid()})
    await websocket.close()
