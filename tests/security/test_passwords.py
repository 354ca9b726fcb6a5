"""PasswordHasher: Argon2id with OWASP's parameters, off the event loop, no user enumeration."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, HTTPException
from covet.exceptions import ConfigurationError
from covet.security import OAuth2PasswordRequestForm, PasswordHasher
from covet.testing import TestClient

hasher = PasswordHasher()


def test_hash_is_argon2id_with_owasp_parameters() -> None:
    hashed = hasher.hash_sync("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hashed != hasher.hash_sync("correct horse")  # salted
    assert hasher.verify_sync("correct horse", hashed)
    assert not hasher.verify_sync("wrong horse", hashed)


@pytest.mark.parametrize("stored", [None, "", "not a hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy"])
def test_unknown_user_or_malformed_hash_is_false_not_an_error(stored: str | None) -> None:
    assert hasher.verify_sync("anything", stored) is False


def test_needs_rehash_when_parameters_change() -> None:
    old = PasswordHasher(memory_cost=8192, time_cost=1).hash_sync("pw")
    assert hasher.needs_rehash(old)
    assert not hasher.needs_rehash(hasher.hash_sync("pw"))
    assert hasher.needs_rehash("garbage")


class Recorder:
    """Stands in for argon2's hasher, recording each call (method, thread) and passing it on."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def call(*args: Any) -> Any:
            self.calls.append((name, threading.get_ident()))
            return method(*args)

        return call


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder(hasher._argon2)
    monkeypatch.setattr(hasher, "_argon2", recorder)
    return recorder


@pytest.mark.anyio
async def test_async_methods_run_in_a_worker_thread(recorder: Recorder) -> None:
    hashed = await hasher.hash("pw")
    assert await hasher.verify("pw", hashed)
    assert [name for name, _ in recorder.calls] == ["hash", "verify"]
    assert threading.get_ident() not in {thread for _, thread in recorder.calls}


@pytest.mark.anyio
async def test_verify_and_update_rehashes_outdated_hashes() -> None:
    old = PasswordHasher(memory_cost=8192, time_cost=1).hash_sync("pw")
    valid, new = await hasher.verify_and_update("pw", old)
    assert valid
    assert new is not None
    assert not hasher.needs_rehash(new)
    assert await hasher.verify_and_update("pw", new) == (True, None)
    assert await hasher.verify_and_update("wrong", old) == (False, None)
    assert await hasher.verify_and_update("pw", None) == (False, None)


def test_refused_parameters_fail_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="argon2"):
        PasswordHasher(memory_cost=1)


# A login route as the docs write it: unknown users verify against the dummy hash.
users: dict[str, str] = {"ada": hasher.hash_sync("lovelace")}


def login_app() -> CovetPy:
    app = CovetPy()

    @app.post("/login")
    async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
        valid, new_hash = await hasher.verify_and_update(form.password, users.get(form.username))
        if not valid:
            raise HTTPException(401, "Incorrect username or password")
        if new_hash is not None:
            users[form.username] = new_hash
        return {"user": form.username}

    return app


def test_unknown_user_and_wrong_password_cost_the_same_hashes(recorder: Recorder) -> None:
    client = TestClient(login_app())
    unknown = client.post("/login", data={"username": "nobody", "password": "x"})
    unknown_calls = list(recorder.calls)
    wrong = client.post("/login", data={"username": "ada", "password": "x"})
    wrong_calls = recorder.calls[len(unknown_calls) :]
    assert [name for name, _ in unknown_calls] == [name for name, _ in wrong_calls] == ["verify"]
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert client.post("/login", data={"username": "ada", "password": "lovelace"}).json() == {
        "user": "ada"
    }


def test_login_rehashes_an_outdated_stored_hash() -> None:
    users["old"] = PasswordHasher(memory_cost=8192, time_cost=1).hash_sync("pw")
    client = TestClient(login_app())
    assert client.post("/login", data={"username": "old", "password": "pw"}).status_code == 200
    assert not hasher.needs_rehash(users["old"])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_hashing_does_not_block_the_loop() -> None:
    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await hasher.hash("pw")
        task.cancel()
        return ticks

    assert asyncio.run(main()) > 1
