"""Login protection: per-account and per-address limits, the same answer for every failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, HTTPException
from covet.middleware import ProxyHeadersMiddleware
from covet.security import LoginAttempt, LoginGuard, OAuth2PasswordRequestForm, PasswordHasher
from covet.security.login import account_key
from covet.stores import RedisStore
from covet.testing import TestClient
from tests.ratelimit.backends import Backend, backend
from tests.support.redis import ThrowawayRedis, unique_prefix

__all__ = ["backend"]


class CountingHasher(PasswordHasher):
    """A cheap PasswordHasher that counts the hashes it verifies."""

    def __init__(self) -> None:
        super().__init__(memory_cost=1024, time_cost=1)
        self.verified = 0

    def verify_sync(self, password: str, hash: str | None) -> bool:
        self.verified += 1
        return super().verify_sync(password, hash)


def login_app(guard: LoginGuard, hasher: PasswordHasher) -> CovetPy:
    """The login route as an app writes it, behind a reverse proxy on 127.0.0.1."""
    users = {"ada": hasher.hash_sync("lovelace"), "grace": hasher.hash_sync("hopper")}
    app = CovetPy(lifespan=guard.store.lifespan)
    app.add_middleware(ProxyHeadersMiddleware)

    @app.post("/token")
    async def token(
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        attempt: Annotated[LoginAttempt, Depends(guard)],
    ) -> dict[str, str]:
        await attempt.check(form.username)
        valid, _ = await hasher.verify_and_update(form.password, users.get(form.username))
        if not valid:
            raise HTTPException(401, "Incorrect username or password")
        await attempt.succeeded(form.username)
        return {"access_token": f"token-of-{form.username}", "token_type": "bearer"}

    return app


@pytest.fixture
def service(backend: Backend) -> Iterator[tuple[Backend, CountingHasher, TestClient]]:
    hasher = CountingHasher()
    guard = LoginGuard("3/6s", per_ip="10/minute", store=backend.store())
    with TestClient(login_app(guard, hasher), client=("127.0.0.1", 50000)) as client:
        yield backend, hasher, client


Service = tuple[Backend, CountingHasher, TestClient]


def attempt(client: TestClient, username: str, password: str, ip: str = "203.0.113.1") -> Any:
    return client.post(
        "/token",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": ip},
    )


def answer(response: Any) -> tuple[int, Any, dict[str, str]]:
    """What a client can see of a refusal (the headers that could differ, minus the date)."""
    headers = {k: v for k, v in response.headers.items() if k not in {"date", "x-request-id"}}
    return response.status_code, response.json(), headers


def test_unknown_user_and_wrong_password_look_the_same(service: Service) -> None:
    _, hasher, client = service
    before = hasher.verified
    unknown = attempt(client, "nobody", "lovelace")
    unknown_cost = hasher.verified - before
    wrong = attempt(client, "ada", "wrong")
    assert hasher.verified - before - unknown_cost == unknown_cost == 1
    assert answer(unknown) == answer(wrong)
    assert unknown.status_code == 401
    # Over the account limit, still one answer for both (and the hasher is not reached).
    for _ in range(2):
        attempt(client, "nobody", "x")
        attempt(client, "ada", "x")
    verified = hasher.verified
    limited_unknown, limited_known = attempt(client, "nobody", "x"), attempt(client, "ada", "x")
    assert hasher.verified == verified
    assert limited_unknown.status_code == limited_known.status_code == 429
    assert answer(limited_unknown) == answer(limited_known)


def test_the_account_limit_holds_across_addresses_until_time_passes(service: Service) -> None:
    backend, _, client = service
    for n in range(3):
        assert attempt(client, "ada", "guess", ip=f"198.51.100.{n}").status_code == 401
    refused = attempt(client, "ada", "lovelace", ip="198.51.100.9")  # even the right password
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Policy"] == '"login-account";q=3;w=6'
    assert refused.headers["Content-Type"] == "application/problem+json"
    # Other accounts are not locked; "Ada" and full-width "ADA" are the same account as "ada".
    assert attempt(client, "grace", "hopper").status_code == 200
    assert attempt(client, "\uff21\uff24\uff21", "lovelace").status_code == 429
    backend.wait(2.1)  # GCRA: 3 per 6 seconds gives one attempt back every 2 seconds
    assert attempt(client, "ada", "lovelace").status_code == 200


def test_a_successful_login_clears_the_account_count(service: Service) -> None:
    _, _, client = service
    for _ in range(2):
        assert attempt(client, "ada", "typo").status_code == 401
    assert attempt(client, "ada", "lovelace").status_code == 200
    for _ in range(3):
        assert attempt(client, "ada", "typo").status_code == 401
    assert attempt(client, "ada", "typo").status_code == 429


def test_the_address_limit_stops_one_client_trying_many_accounts(service: Service) -> None:
    _, hasher, client = service
    for n in range(10):
        assert attempt(client, f"user{n}", "123456").status_code == 401
    verified = hasher.verified
    refused = attempt(client, "user10", "123456")
    assert refused.status_code == 429
    assert refused.headers["RateLimit-Policy"] == '"login-ip";q=10;w=60'
    assert hasher.verified == verified
    assert attempt(client, "ada", "lovelace", ip="192.0.2.7").status_code == 200


@pytest.mark.parametrize(
    "username",
    ["", " ", "a" * 100_000, "\u0000", "ünïcödé", "x\u202e", "../../etc/passwd"],
    ids=["empty", "space", "100k", "nul", "unicode", "bidi", "path"],
)
def test_hostile_user_names_are_4xx_never_500(username: str) -> None:
    guard = LoginGuard("3/minute", per_ip=None)
    client = TestClient(login_app(guard, CountingHasher()))
    response = client.post("/token", data={"username": username, "password": "pw"})
    assert response.status_code in {401, 422}, response.text


def test_account_keys_are_normalised_digests() -> None:
    assert account_key("Ada") == account_key(" ada ") == account_key("\uff21\uff24\uff21")
    assert account_key("ada") != account_key("grace")
    assert len(account_key("a" * 100_000)) == 64


def test_a_store_outage_answers_503_and_recovers(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path) as server:
        guard = LoginGuard(store=RedisStore(server.url, namespace=unique_prefix()))
        app = login_app(guard, CountingHasher())
        with TestClient(app, client=("127.0.0.1", 50000)) as client:
            assert attempt(client, "ada", "lovelace").status_code == 200
            server.stop()
            down = attempt(client, "ada", "lovelace")
            assert down.status_code == 503
            assert down.headers["Retry-After"]
            server.start()
            assert attempt(client, "ada", "lovelace").status_code == 200


def test_fail_open_lets_logins_through_an_outage(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path) as server:
        store = RedisStore(server.url, namespace=unique_prefix())
        guard = LoginGuard(store=store, fail_open=True)
        with TestClient(login_app(guard, CountingHasher())) as client:
            server.stop()
            assert attempt(client, "ada", "lovelace").status_code == 200
            assert attempt(client, "ada", "wrong").status_code == 401
