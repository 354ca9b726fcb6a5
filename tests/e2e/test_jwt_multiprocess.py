"""Two real uvicorn processes, one Redis: a token revoked through one is refused by the other.

A logout, a revoke-all and a replayed refresh token (reuse detection) through one process
take effect on the other at once. On memory each process keeps its own revocations: a
logout through one is not seen by the other, the reason multi-process apps need Redis.
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

APP = "tests.e2e.jwt_app:app"


@contextlib.contextmanager
def two_servers(workdir: Path, store: str, namespace: str = "") -> Iterator[list[str]]:
    env = {"COVET_E2E_JWT_STORE": store, "COVET_E2E_JWT_NAMESPACE": namespace}
    with servers.two_servers(APP, workdir, env) as urls:
        yield urls


def login(url: str, user: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/login/{user}", timeout=10)
    assert response.status_code == 200
    pair: dict[str, Any] = response.json()
    return pair


def me(url: str, pair: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    return httpx.get(f"{url}/me", headers=headers, timeout=10)


def refresh(url: str, pair: dict[str, Any]) -> httpx.Response:
    params = {"refresh_token": pair["refresh_token"]}
    return httpx.post(f"{url}/refresh", params=params, timeout=10)


@pytest.fixture(scope="module")
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    url = shared_redis_url()
    namespace = unique_prefix()
    try:
        with two_servers(tmp_path_factory.mktemp("jwt-redis"), url, namespace) as urls:
            yield urls
    finally:
        delete_namespace(url, namespace)


def test_a_logout_through_one_process_is_refused_by_the_other(redis_servers: list[str]) -> None:
    first, second = redis_servers
    pair = login(first, "ann")
    seen = [me(first, pair).json(), me(second, pair).json()]
    assert [answer["user"] for answer in seen] == ["ann", "ann"]
    assert seen[0]["pid"] != seen[1]["pid"]
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert httpx.post(f"{first}/logout", headers=headers, timeout=10).status_code == 200
    refused = me(second, pair)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert refresh(second, pair).status_code == 401


def test_a_refresh_token_replayed_on_the_other_process_revokes_the_family(
    redis_servers: list[str],
) -> None:
    first, second = redis_servers
    pair = login(first, "bob")
    renewed = refresh(first, pair).json()
    assert me(second, renewed).status_code == 200
    assert refresh(second, pair).status_code == 401  # the used token, replayed elsewhere
    assert me(first, renewed).status_code == 401
    assert refresh(first, renewed).status_code == 401


def test_revoke_all_through_one_process_logs_every_device_out(redis_servers: list[str]) -> None:
    first, second = redis_servers
    laptop, phone = login(first, "cy"), login(second, "cy")
    assert httpx.post(f"{second}/revoke-all/cy", timeout=10).status_code == 200
    for url in redis_servers:
        assert me(url, laptop).status_code == 401
        assert me(url, phone).status_code == 401


def test_memory_revocations_stay_in_their_process(tmp_path: Path) -> None:
    with two_servers(tmp_path, "memory") as (first, second):
        pair = login(first, "ann")
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        assert httpx.post(f"{first}/logout", headers=headers, timeout=10).status_code == 200
        assert me(first, pair).status_code == 401
        assert me(second, pair).status_code == 200
