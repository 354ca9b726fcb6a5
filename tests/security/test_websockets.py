"""Schemes, guards and one-time tickets on WebSocket routes: 1008 before accept when refused."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import pytest

from covet import CovetPy, Depends, Router, Security
from covet.exceptions import ConfigurationError
from covet.security import (
    APIKey,
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    APIKeys,
    Claims,
    HMACKey,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    InvalidTicketError,
    JWTManager,
    OAuth2PasswordBearer,
    Ticket,
    WebSocketTickets,
    require_roles,
    require_scopes,
)
from covet.stores import MemoryStore, RedisStore
from covet.testing import TestClient, WebSocketRejectedError
from covet.websockets import WebSocket
from tests.ratelimit.backends import Backend, backend
from tests.support.redis import ThrowawayRedis, unique_prefix

__all__ = ["backend"]

SECRET = HMACKey(b"w" * 32, kid="ws")


def manager(store: Any = None) -> JWTManager:
    return JWTManager(SECRET, issuer="https://ws.example", audience="ws", store=store)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(client: TestClient, path: str, **kwargs: Any) -> tuple[int, str]:
    """The close code and reason of a handshake the app refuses."""
    with pytest.raises(WebSocketRejectedError) as caught, client.websocket_connect(path, **kwargs):
        pass
    return caught.value.code, caught.value.reason or ""


def echo_app(dependency: Any) -> TestClient:
    app = CovetPy()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, value: Annotated[Any, Depends(dependency)]) -> None:
        await websocket.accept()
        await websocket.send_json({"value": value if isinstance(value, str) else repr(value)})
        await websocket.close()

    return TestClient(app)


BASIC = base64.b64encode(b"ada:lovelace").decode()
SCHEMES = [
    (HTTPBearer(), {"headers": bearer("t1")}, "HTTPAuthorizationCredentials"),
    (OAuth2PasswordBearer(tokenUrl="token"), {"headers": bearer("t1")}, "t1"),
    (HTTPBasic(), {"headers": {"Authorization": f"Basic {BASIC}"}}, "HTTPBasicCredentials"),
    (APIKeyHeader(name="X-Key"), {"headers": {"X-Key": "k1"}}, "k1"),
    (APIKeyQuery(name="key"), {"params": {"key": "k1"}}, "k1"),
    (APIKeyCookie(name="key"), {"headers": {"Cookie": "key=k1"}}, "k1"),
]


@pytest.mark.parametrize(
    ("scheme", "send", "expected"), SCHEMES, ids=[type(s[0]).__name__ for s in SCHEMES]
)
def test_every_scheme_reads_credentials_on_a_websocket(
    scheme: Any, send: dict[str, Any], expected: str
) -> None:
    client = echo_app(scheme)
    path = "/ws"
    if "params" in send:
        path += "?" + "&".join(f"{k}={v}" for k, v in send.pop("params").items())
    with client.websocket_connect(path, **send) as session:
        assert expected in session.receive_json()["value"]
    assert refused(client, "/ws") == (1008, "Not authenticated")


basic = HTTPBasic(realm="ws")


async def basic_user(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> str:
    return credentials.username


def test_basic_credentials_on_a_websocket() -> None:
    user = basic_user
    client = echo_app(user)
    with client.websocket_connect("/ws", headers={"Authorization": f"Basic {BASIC}"}) as ws:
        assert ws.receive_json() == {"value": "ada"}


def guarded_app(auth: JWTManager) -> CovetPy:
    """JWT claims, a scope and a role on WebSocket routes, at route and router level."""
    app = CovetPy()

    @app.websocket("/chat", dependencies=[require_scopes(auth, "chat")])
    async def chat(websocket: WebSocket, claims: Annotated[Claims, Depends(auth.current_claims)]):
        await websocket.accept()
        await websocket.send_json({"sub": claims.subject})
        await websocket.close()

    admin = Router(prefix="/admin", dependencies=[require_roles(auth, "admin")])

    @admin.websocket("/feed")
    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("admin feed")
        await websocket.close()

    app.include_router(admin)
    included = Router()

    @included.websocket("/ops")
    async def ops(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    app.include_router(included, prefix="/x", dependencies=[require_roles(auth, "ops")])
    return app


def test_jwt_claims_scopes_and_roles_guard_websocket_routes() -> None:
    auth = manager()
    client = TestClient(guarded_app(auth))
    chatter = auth.issue("ada", scopes=["chat"]).access_token
    admin = auth.issue("root", roles=["admin"]).access_token
    with client.websocket_connect("/chat", headers=bearer(chatter)) as ws:
        assert ws.receive_json() == {"sub": "ada"}
    assert refused(client, "/chat") == (1008, "Not authenticated")
    assert refused(client, "/chat", headers=bearer("not.a.jwt")) == (1008, "Invalid token")
    assert refused(client, "/chat", headers=bearer(admin)) == (1008, "Insufficient scope")
    with client.websocket_connect("/admin/feed", headers=bearer(admin)) as ws:
        assert ws.receive_text() == "admin feed"
    assert refused(client, "/admin/feed", headers=bearer(chatter))[0] == 1008
    assert refused(client, "/x/ops", headers=bearer(admin))[0] == 1008  # include_router's guard


def test_a_revoked_token_is_refused_on_a_websocket() -> None:
    auth = manager()
    app = guarded_app(auth)

    @app.post("/logout")
    async def logout(claims: Annotated[Claims, Depends(auth.current_claims)]) -> None:
        await auth.logout(claims)

    client = TestClient(app)
    token = auth.issue("ada", scopes=["chat"]).access_token
    assert client.post("/logout", headers=bearer(token)).status_code == 200
    assert refused(client, "/chat", headers=bearer(token)) == (1008, "Token revoked")


def test_app_wide_guards_cover_websocket_routes() -> None:
    auth = manager()
    app = CovetPy(dependencies=[Depends(auth.current_claims)])

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    client = TestClient(app)
    assert refused(client, "/ws") == (1008, "Not authenticated")
    with client.websocket_connect("/ws", headers=bearer(auth.issue("ada").access_token)):
        pass


def test_api_keys_on_a_websocket_query() -> None:
    keys = APIKeys(APIKeyQuery(name="api_key"), store=MemoryStore())
    key = asyncio.run(keys.create("bot", scopes=["stream"]))
    app = CovetPy()

    @app.websocket("/stream")
    async def stream(
        websocket: WebSocket, key: Annotated[APIKey, Security(keys.current_key, scopes=["stream"])]
    ) -> None:
        await websocket.accept()
        await websocket.send_text(key.owner)
        await websocket.close()

    client = TestClient(app)
    with client.websocket_connect(f"/stream?api_key={key}") as ws:
        assert ws.receive_text() == "bot"
    assert refused(client, "/stream?api_key=ck_nope") == (1008, "Invalid API key")


# -- one-time tickets ----------------------------------------------------------------------


def ticket_app(auth: JWTManager, tickets: WebSocketTickets) -> CovetPy:
    """The browser flow: an authenticated POST gives a ticket, the WebSocket redeems it."""
    app = CovetPy(lifespan=tickets.store.lifespan)

    @app.post("/ws-ticket")
    async def ws_ticket(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, str]:
        ticket = await tickets.issue(
            claims.subject, scopes=claims.scopes, roles=claims.roles, data={"room": "lobby"}
        )
        return {"ticket": ticket}

    @app.websocket("/live", dependencies=[require_roles(tickets.current_ticket, "member")])
    async def live(
        websocket: WebSocket,
        ticket: Annotated[Ticket, Security(tickets.current_ticket, scopes=["live"])],
    ) -> None:
        await websocket.accept()
        await websocket.send_json({"sub": ticket.subject, "room": ticket.data["room"]})
        await websocket.close()

    return app


def test_a_ticket_opens_one_websocket_once(backend: Backend) -> None:
    auth = manager()
    tickets = WebSocketTickets(store=backend.store(), ttl=1)
    with TestClient(ticket_app(auth, tickets)) as client:
        token = auth.issue("ada", scopes=["live"], roles=["member"]).access_token
        assert client.post("/ws-ticket").status_code == 401
        ticket = client.post("/ws-ticket", headers=bearer(token)).json()["ticket"]
        assert len(ticket) == 43
        with client.websocket_connect(f"/live?ticket={ticket}") as ws:
            assert ws.receive_json() == {"sub": "ada", "room": "lobby"}
        assert refused(client, f"/live?ticket={ticket}") == (1008, "Invalid or used ticket")
        assert refused(client, "/live") == (1008, "Not authenticated")
        late = client.post("/ws-ticket", headers=bearer(token)).json()["ticket"]
        backend.wait(1.2)
        assert refused(client, f"/live?ticket={late}")[0] == 1008


def test_a_ticket_carries_the_scopes_and_roles_of_its_token(backend: Backend) -> None:
    auth = manager()
    tickets = WebSocketTickets(store=backend.store())
    with TestClient(ticket_app(auth, tickets)) as client:
        for scopes, roles in ((["live"], []), ([], ["member"])):
            token = auth.issue("bob", scopes=scopes, roles=roles).access_token
            ticket = client.post("/ws-ticket", headers=bearer(token)).json()["ticket"]
            assert refused(client, f"/live?ticket={ticket}")[0] == 1008


@pytest.mark.parametrize(
    "ticket",
    ["x", "a" * 42, "a" * 44, "a" * 60_000, "é" * 43, "%00" * 43, "../" * 15, "a" * 42 + "="],
    ids=["short", "42", "44", "60k", "non-ascii", "nul", "path", "padding"],
)
def test_hostile_tickets_close_1008_without_a_500(ticket: str) -> None:
    tickets = WebSocketTickets()
    client = TestClient(ticket_app(manager(), tickets))
    path = "/live?" + urlencode({"ticket": ticket})
    assert refused(client, path) == (1008, "Invalid or used ticket")


def test_racing_redemptions_of_one_ticket_get_one_success(backend: Backend) -> None:
    async def race() -> list[Any]:
        tickets = WebSocketTickets(store=backend.store())
        try:
            ticket = await tickets.issue("ada")
            return await asyncio.gather(
                *(tickets.redeem(ticket) for _ in range(20)), return_exceptions=True
            )
        finally:
            await tickets.store.close()

    results = asyncio.run(race())
    assert sum(isinstance(result, Ticket) for result in results) == 1
    assert all(isinstance(r, Ticket | InvalidTicketError) for r in results)


def test_the_store_holds_no_usable_ticket() -> None:
    store = MemoryStore()
    tickets = WebSocketTickets(store=store)
    ticket = asyncio.run(tickets.issue("ada"))
    assert not any(ticket in key for key in store._data)  # keys are SHA-256 digests


def test_a_store_outage_closes_1013_and_recovers(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path) as server:
        auth = manager()
        tickets = WebSocketTickets(store=RedisStore(server.url, namespace=unique_prefix()))
        with TestClient(ticket_app(auth, tickets)) as client:
            token = auth.issue("ada", scopes=["live"], roles=["member"]).access_token
            ticket = client.post("/ws-ticket", headers=bearer(token)).json()["ticket"]
            server.stop()
            assert refused(client, f"/live?ticket={ticket}")[0] == 1013
            assert client.post("/ws-ticket", headers=bearer(token)).status_code == 503
            server.start()
            ticket = client.post("/ws-ticket", headers=bearer(token)).json()["ticket"]
            with client.websocket_connect(f"/live?ticket={ticket}") as ws:
                assert ws.receive_json()["sub"] == "ada"


@pytest.mark.parametrize("ttl", [0, -1, 301, True], ids=["zero", "negative", "too-long", "bool"])
def test_bad_ticket_ttls_are_refused(ttl: Any) -> None:
    with pytest.raises(ConfigurationError, match="ttl"):
        WebSocketTickets(ttl=ttl)
