"""WebSocket authentication through two real uvicorn processes sharing one Redis.

A refused handshake is an HTTP 403 before the upgrade (the server's answer to a close before
accept); a ticket issued by one process opens a WebSocket on the other, once; a token logged
out through one process is refused on the other's WebSocket.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support import servers
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    redis_url, namespace = shared_redis_url(), unique_prefix()
    env = {"COVET_E2E_AUTH_REDIS": redis_url, "COVET_E2E_AUTH_NAMESPACE": namespace}
    try:
        workdir = tmp_path_factory.mktemp("auth-ws")
        with servers.two_servers("tests.e2e.auth_ws_app:app", workdir, env) as found:
            yield found
    finally:
        delete_namespace(redis_url, namespace)


def ws(url: str, path: str, token: str | None = None) -> Any:
    """The first message of a WebSocket at ``path``."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    with connect(url.replace("http://", "ws://") + path, additional_headers=headers) as socket:
        return json.loads(socket.recv(timeout=10))


def handshake_status(url: str, path: str, token: str | None = None) -> int:
    with pytest.raises(InvalidStatus) as refused:
        ws(url, path, token)
    return refused.value.response.status_code


def token_of(url: str, user: str) -> str:
    token: str = httpx.post(f"{url}/login/{user}", timeout=10).json()["access_token"]
    return token


def test_a_bearer_token_opens_a_websocket_and_its_absence_is_403(urls: list[str]) -> None:
    first, second = urls
    token = token_of(first, "ada")
    assert ws(second, "/chat", token)["sub"] == "ada"
    assert handshake_status(second, "/chat") == 403
    assert handshake_status(second, "/chat", "not-a-token") == 403


def test_a_ticket_from_one_process_opens_one_websocket_on_the_other(urls: list[str]) -> None:
    first, second = urls
    token = token_of(first, "grace")
    response = httpx.post(
        f"{first}/ws-ticket", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    ticket = response.json()["ticket"]
    opened = ws(second, f"/live?ticket={ticket}")
    assert opened["sub"] == "grace"
    assert opened["pid"] != httpx.get(f"{first}/health", timeout=10).json()["pid"]
    assert handshake_status(first, f"/live?ticket={ticket}") == 403  # used up everywhere
    assert handshake_status(second, "/live") == 403


def test_a_logout_through_one_process_closes_the_other_s_websockets(urls: list[str]) -> None:
    first, second = urls
    token = token_of(first, "linus")
    assert ws(second, "/chat", token)["sub"] == "linus"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{first}/logout", headers=headers, timeout=10).status_code == 200
    assert handshake_status(second, "/chat", token) == 403
