"""The cache of verified tokens: signature checks skipped for a token seen, nothing else.

A client sends the same access token with every request until it expires, so the manager
remembers, by the token's exact text and type, that its signature and header checked out.
Everything else is checked on every request: the claims, the times and revocation.
"""

from __future__ import annotations

import pytest

from covet.exceptions import ConfigurationError
from covet.security import InvalidTokenError
from covet.testing import TestClient
from tests.security.jwt_support import bearer, manager_on, protected_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Verifications:
    """Counts the signature checks a manager makes (wrapping its algorithm objects)."""

    def __init__(self, manager: object) -> None:
        self.count = 0
        verifiers = manager._verifiers  # type: ignore[attr-defined]
        for kid, (algorithm, prepared) in list(verifiers.items()):
            verifiers[kid] = (self._counting(algorithm), prepared)

    def _counting(self, algorithm: object) -> object:
        counter = self

        class Counting:
            def verify(self, *args: object) -> bool:
                counter.count += 1
                return bool(algorithm.verify(*args))  # type: ignore[attr-defined]

        return Counting()


def test_a_token_seen_once_is_not_verified_again_but_still_answers_the_same() -> None:
    manager = manager_on()
    checks = Verifications(manager)
    pair = manager.issue("ada", scopes=["items"])
    with TestClient(protected_app(manager)) as client:
        answers = [client.get("/me", headers=bearer(pair.access_token)) for _ in range(5)]
    assert [a.json()["sub"] for a in answers] == ["ada"] * 5
    assert checks.count == 1


async def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = manager_on(access_ttl=60, leeway=0)
    token = manager.issue("ada").access_token
    assert (await manager.verify(token)).subject == "ada"
    import covet.security.jwt as jwt_module

    later = jwt_module.time.time() + 61
    monkeypatch.setattr(jwt_module.time, "time", lambda: later)
    with pytest.raises(InvalidTokenError, match="expired"):
        await manager.verify(token)


async def test_a_remembered_token_is_refused_once_revoked() -> None:
    manager = manager_on()
    pair = manager.issue("ada")
    assert (await manager.verify(pair.access_token)).subject == "ada"
    await manager.revoke(manager.decode(pair.access_token))
    with pytest.raises(InvalidTokenError, match="revoked"):
        await manager.verify(pair.access_token)
    other = manager.issue("bob")
    await manager.verify(other.access_token)
    await manager.revoke_all("bob")
    with pytest.raises(InvalidTokenError, match="revoked"):
        await manager.verify(other.access_token)


async def test_a_token_remembered_as_one_type_is_refused_as_the_other() -> None:
    manager = manager_on()
    pair = manager.issue("ada")
    await manager.verify(pair.access_token)
    with pytest.raises(InvalidTokenError):
        await manager.verify(pair.access_token, type="refresh")
    manager.decode(pair.refresh_token, type="refresh")
    with pytest.raises(InvalidTokenError):
        manager.decode(pair.refresh_token)


async def test_a_token_differing_by_one_character_is_verified_and_refused() -> None:
    manager = manager_on()
    checks = Verifications(manager)
    token = manager.issue("ada").access_token
    await manager.verify(token)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvalidTokenError):
        await manager.verify(flipped)
    assert checks.count == 2


async def test_the_cache_is_bounded_and_can_be_turned_off() -> None:
    manager = manager_on(verified_cache_size=8)
    for number in range(50):
        manager.decode(manager.issue(f"user{number}").access_token)
    assert len(manager._verified or {}) == 8
    off = manager_on(verified_cache_size=0)
    checks = Verifications(off)
    token = off.issue("ada").access_token
    off.decode(token)
    off.decode(token)
    assert checks.count == 2
    for bad in (-1, True, 2.5):
        with pytest.raises(ConfigurationError, match="verified_cache_size"):
            manager_on(verified_cache_size=bad)
