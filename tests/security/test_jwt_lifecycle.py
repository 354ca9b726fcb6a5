"""The token lifecycle through the TestClient, on memory and on the real Redis.

Refresh rotation with reuse detection, logout, revoking one token, revoking every token of a
user, revocation keys that expire with their token, and a store outage answered 503.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from covet.security import JWTManager
from covet.stores import RedisStore
from covet.testing import TestClient
from tests.ratelimit.backends import Backend, backend
from tests.security.jwt_support import bearer, manager_on, protected_app
from tests.support.redis import ThrowawayRedis, unique_prefix

__all__ = ["backend"]


@pytest.fixture
def setup(backend: Backend) -> Iterator[tuple[JWTManager, TestClient]]:
    manager = manager_on(backend.store())
    with TestClient(protected_app(manager)) as client:
        yield manager, client


def login(client: TestClient, user: str = "ada") -> dict[str, Any]:
    response = client.post(f"/login/{user}")
    assert response.status_code == 200
    pair: dict[str, Any] = response.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "bearer"
    return pair


def me(client: TestClient, pair: dict[str, Any]) -> int:
    return client.get("/me", headers=bearer(pair["access_token"])).status_code


def refresh(client: TestClient, pair: dict[str, Any]) -> Any:
    return client.post("/refresh", params={"refresh_token": pair["refresh_token"]})


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(
    setup: tuple[JWTManager, TestClient],
) -> None:
    _, client = setup
    first = login(client)
    other_login = login(client)
    second = refresh(client, first).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert me(client, second) == 200
    third = refresh(client, second).json()
    assert me(client, third) == 200
    # The first refresh token comes back (stolen, replayed): refused, and the family with it.
    replayed = refresh(client, first)
    assert replayed.status_code == 401
    assert replayed.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert refresh(client, third).status_code == 401
    assert me(client, third) == 401
    assert me(client, second) == 401
    # Another login of the same user is its own family: untouched.
    assert me(client, other_login) == 200
    assert refresh(client, other_login).status_code == 200


def test_refreshed_tokens_keep_the_scopes_roles_and_claims(backend: Backend) -> None:
    manager = manager_on(backend.store())
    pair = manager.issue("ada", scopes=["a", "b"], roles=["admin"], claims={"tenant": "t1"})
    with TestClient(protected_app(manager)) as client:
        renewed = refresh(client, {"refresh_token": pair.refresh_token}).json()
    claims = manager.decode(renewed["access_token"])
    assert (claims.subject, claims.scopes, claims.roles) == ("ada", {"a", "b"}, {"admin"})
    assert claims["tenant"] == "t1"
    assert claims.family == manager.decode(pair.access_token).family


def test_logout_ends_the_access_and_the_refresh_token(
    setup: tuple[JWTManager, TestClient],
) -> None:
    _, client = setup
    pair, other = login(client), login(client)
    assert client.post("/logout", headers=bearer(pair["access_token"])).status_code == 200
    assert me(client, pair) == 401
    assert refresh(client, pair).status_code == 401
    assert me(client, other) == 200


def test_revoking_one_token_leaves_its_refresh_token(setup: tuple[JWTManager, TestClient]) -> None:
    _, client = setup
    pair = login(client)
    assert client.post("/revoke", headers=bearer(pair["access_token"])).status_code == 200
    refused = client.get("/me", headers=bearer(pair["access_token"]))
    assert (refused.status_code, refused.json()["detail"]) == (401, "Token revoked")
    assert me(client, refresh(client, pair).json()) == 200


def test_revoke_all_logs_every_device_of_the_user_out(
    setup: tuple[JWTManager, TestClient],
) -> None:
    _, client = setup
    laptop, phone, someone_else = login(client), login(client), login(client, "bob")
    assert client.post("/revoke-all/ada").status_code == 200
    for pair in (laptop, phone):
        assert me(client, pair) == 401
        assert refresh(client, pair).status_code == 401
    assert me(client, someone_else) == 200
    time.sleep(0.002)  # iat counts milliseconds: a login after the stamp is valid
    assert me(client, login(client)) == 200


def test_revocation_keys_expire_with_the_token() -> None:
    from tests.support.redis import delete_namespace, shared_redis_url

    url, namespace = shared_redis_url(), unique_prefix()
    manager = manager_on(RedisStore(url, namespace=namespace), access_ttl=60, refresh_ttl=600)
    raw = redis.Redis.from_url(url)
    try:
        with TestClient(protected_app(manager)) as client:
            pair = login(client)
            assert refresh(client, pair).status_code == 200
            client.post("/revoke", headers=bearer(pair["access_token"]))
            client.post("/revoke-all/ada")
        jti = manager.decode(pair["access_token"]).jti
        refresh_jti = manager.decode(pair["refresh_token"], type="refresh").jti
        ttls = {
            name: raw.pttl(f"{namespace}jwt:{name}") / 1000
            for name in (f"jti:{jti}", f"used:{refresh_jti}", "sub:ada")
        }
        assert 55 < ttls[f"jti:{jti}"] <= 60 + manager.leeway
        assert 590 < ttls[f"used:{refresh_jti}"] <= 600 + manager.leeway
        assert 590 < ttls["sub:ada"] <= 600 + manager.leeway
    finally:
        raw.close()
        delete_namespace(url, namespace)


def test_a_store_outage_answers_503_and_recovers(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path) as server:
        manager = manager_on(RedisStore(server.url, namespace=unique_prefix()))
        with TestClient(protected_app(manager)) as client:
            pair = login(client)
            assert me(client, pair) == 200
            server.stop()
            started = time.perf_counter()
            down = client.get("/me", headers=bearer(pair["access_token"]))
            assert (down.status_code, down.headers["retry-after"]) == (503, "5")
            assert time.perf_counter() - started < 5
            assert refresh(client, pair).status_code == 503
            # A bad token needs no store: still 401 during the outage.
            assert client.get("/me", headers=bearer("x.y.z")).status_code == 401
            server.start()
            assert me(client, pair) == 200
