"""Two real uvicorn processes, one session store: a login through one is seen by the other.

On a shared Redis a session created through one process is read through the other, and
revoking it (one session, or all of a user's) through either logs it out on both; a cookie
replayed after logout gets an empty session. On memory each process has its own sessions,
the reason multi-process apps need Redis.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import servers
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix

pytestmark = pytest.mark.e2e

APP = "tests.e2e.sessions_app:app"


@contextlib.contextmanager
def two_servers(workdir: Path, store: str, namespace: str = "") -> Iterator[list[str]]:
    """Two uvicorn processes serving the app on the same store; their base URLs."""
    env = {"COVET_E2E_SESSIONS_STORE": store, "COVET_E2E_SESSIONS_NAMESPACE": namespace}
    with servers.two_servers(APP, workdir, env) as urls:
        yield urls


def login(url: str, user: str) -> str:
    """Log ``user`` in through ``url``; the session cookie's value."""
    response = httpx.post(f"{url}/login/{user}", timeout=10)
    assert response.status_code == 200
    return str(response.cookies["session"])


def me(url: str, cookie: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/me", headers={"cookie": f"session={cookie}"}, timeout=10)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture(scope="module")
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    url = shared_redis_url()
    namespace = unique_prefix()
    try:
        with two_servers(tmp_path_factory.mktemp("sessions-redis"), url, namespace) as urls:
            yield urls
    finally:
        delete_namespace(url, namespace)


def test_a_login_through_one_process_is_read_through_the_other(redis_servers: list[str]) -> None:
    first, second = redis_servers
    cookie = login(first, "ann")
    seen = [me(first, cookie), me(second, cookie)]
    assert [answer["user"] for answer in seen] == ["ann", "ann"]
    assert seen[0]["pid"] != seen[1]["pid"]


def test_revoking_through_one_process_logs_out_on_both(redis_servers: list[str]) -> None:
    first, second = redis_servers
    cookie = login(first, "bob")
    [session_id] = httpx.get(f"{second}/sessions/bob", timeout=10).json()
    assert httpx.post(f"{second}/revoke/{session_id}", timeout=10).json() == {"revoked": True}
    assert me(first, cookie)["user"] is None
    assert me(second, cookie)["user"] is None


def test_revoke_all_through_one_process_logs_every_device_out(redis_servers: list[str]) -> None:
    first, second = redis_servers
    laptop, phone = login(first, "cy"), login(second, "cy")
    assert httpx.post(f"{second}/revoke-all/cy", timeout=10).json() == {"ended": 2}
    for url in redis_servers:
        assert me(url, laptop)["user"] is None
        assert me(url, phone)["user"] is None


def test_a_cookie_replayed_after_logout_is_empty(redis_servers: list[str]) -> None:
    first, second = redis_servers
    cookie = login(first, "dee")
    logout = httpx.post(f"{second}/logout", headers={"cookie": f"session={cookie}"}, timeout=10)
    assert "Max-Age=0" in logout.headers["set-cookie"]
    assert me(first, cookie)["user"] is None
    assert me(second, cookie)["user"] is None


def test_memory_sessions_stay_in_their_process(tmp_path: Path) -> None:
    with two_servers(tmp_path, "memory") as (first, second):
        cookie = login(first, "ann")
        assert me(first, cookie)["user"] == "ann"
        assert me(second, cookie)["user"] is None
