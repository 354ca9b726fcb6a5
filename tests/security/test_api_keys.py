"""API keys issued by the app: hashed at rest, looked up by id, checked in constant time."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
import redis

from covet import CovetPy, Depends, Security
from covet.exceptions import ConfigurationError
from covet.security import (
    APIKey,
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    APIKeys,
    hash_api_key,
    require_roles,
    require_scopes,
)
from covet.stores import MemoryStore, RedisStore
from covet.testing import TestClient
from tests.ratelimit.backends import Backend, backend
from tests.support.redis import ThrowawayRedis, unique_prefix

__all__ = ["backend"]


def app_for(keys: APIKeys) -> CovetPy:
    """A service guarded by ``keys``, with the admin routes that issue and revoke them."""
    app = CovetPy(lifespan=keys.store.lifespan if keys.store else None)

    @app.post("/keys", status_code=201)
    async def create(
        owner: str,
        scope: list[str] | None = None,
        role: list[str] | None = None,
        ttl: float | None = None,
    ) -> dict[str, str]:
        return {"key": await keys.create(owner, scopes=scope or (), roles=role or (), ttl=ttl)}

    @app.delete("/keys/{key_id}")
    async def revoke(key_id: str) -> dict[str, bool]:
        return {"revoked": await keys.revoke(key_id)}

    @app.get("/whoami")
    async def whoami(key: Annotated[APIKey, Depends(keys.current_key)]) -> dict[str, Any]:
        return {"owner": key.owner, "id": key.id, "scopes": sorted(key.scopes)}

    @app.get("/reports")
    async def reports(key: Annotated[APIKey, Security(keys.current_key, scopes=["reports"])]):
        return {"owner": key.owner}

    @app.delete("/items", dependencies=[require_roles(keys.current_key, "admin")])
    async def purge() -> dict[str, bool]:
        return {"purged": True}

    @app.post("/export", dependencies=[require_scopes(keys.current_key, "export")])
    async def export() -> dict[str, bool]:
        return {"exported": True}

    return app


@pytest.fixture
def service(backend: Backend) -> Iterator[tuple[Backend, APIKeys, TestClient]]:
    keys = APIKeys(store=backend.store())
    with TestClient(app_for(keys)) as client:
        yield backend, keys, client


Service = tuple[Backend, APIKeys, TestClient]


def create(client: TestClient, owner: str = "bot", **params: Any) -> str:
    response = client.post("/keys", params={"owner": owner, **params})
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


def send(key: str) -> dict[str, dict[str, str]]:
    return {"headers": {"X-API-Key": key}}


def run(awaitable: Any) -> Any:
    return asyncio.run(awaitable)


def stored_record(backend: Backend, keys: APIKeys, key_id: str) -> bytes | None:
    """The raw bytes the store holds for ``key_id``, read beside the app."""
    assert keys.store is not None
    if backend.name == "memory":
        return run(keys.store.get(f"apikey:{key_id}"))  # type: ignore[no-any-return]
    client = redis.Redis.from_url(backend.url)
    try:
        return client.get(f"{keys.store.namespace}apikey:{key_id}")  # type: ignore[no-any-return]
    finally:
        client.close()


def test_a_created_key_authenticates_and_only_its_digest_is_stored(service: Service) -> None:
    backend, keys, client = service
    key = create(client, "reports-bot", scope=["reports"])
    prefix, key_id, secret = key.split("_", 2)
    assert (prefix, len(key_id), len(secret)) == ("ck", 16, 43)
    response = client.get("/whoami", **send(key))
    assert response.status_code == 200, response.text
    assert response.json() == {"owner": "reports-bot", "id": key_id, "scopes": ["reports"]}
    assert client.get("/reports", **send(key)).json() == {"owner": "reports-bot"}
    stored = stored_record(backend, keys, key_id)
    assert stored is not None
    assert secret.encode() not in stored
    assert key.encode() not in stored
    assert hash_api_key(key).encode() in stored


def test_missing_unknown_wrong_and_revoked_keys_get_one_answer(service: Service) -> None:
    _, _, client = service
    key = create(client)
    prefix, key_id, secret = key.split("_", 2)
    wrong_secret = f"{prefix}_{key_id}_{'A' * len(secret)}"
    unknown_id = f"{prefix}_{'0' * 16}_{secret}"
    missing = client.get("/whoami")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "APIKey"
    answers = []
    for presented in (wrong_secret, unknown_id):
        response = client.get("/whoami", **send(presented))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "APIKey"
        assert response.headers["Content-Type"] == "application/problem+json"
        answers.append(response.json())
    assert answers[0] == answers[1]
    assert answers[0]["detail"] == "Invalid API key"
    assert client.delete(f"/keys/{key_id}").json() == {"revoked": True}
    assert client.get("/whoami", **send(key)).json() == answers[0]
    assert client.delete(f"/keys/{key_id}").json() == {"revoked": False}


def test_scopes_and_roles_of_a_key_guard_routes(service: Service) -> None:
    _, _, client = service
    plain = create(client)
    admin = create(client, "ops", scope=["export"], role=["admin"])
    refused = client.get("/reports", **send(plain))
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert client.delete("/items", **send(plain)).status_code == 403
    assert client.delete("/items", **send(admin)).json() == {"purged": True}
    assert client.post("/export", **send(plain)).status_code == 403
    assert client.post("/export", **send(admin)).json() == {"exported": True}


def test_a_key_with_a_ttl_expires_in_the_store(service: Service) -> None:
    backend, _, client = service
    key = create(client, ttl=1)
    assert client.get("/whoami", **send(key)).status_code == 200
    backend.wait(1.2)
    assert client.get("/whoami", **send(key)).status_code == 401


HOSTILE = [
    ("empty-secret", "ck_0123456789abcdef_"),
    ("no-parts", "ck"),
    ("other-prefix", "sk_0123456789abcdef_" + "a" * 43),
    ("upper-hex-id", "ck_0123456789ABCDEF_" + "a" * 43),
    ("short-id", "ck_0123_" + "a" * 43),
    ("short-secret", "ck_0123456789abcdef_abc"),
    ("bad-secret-chars", "ck_0123456789abcdef_" + "a" * 40 + "%$#"),
    ("long", "ck_0123456789abcdef_" + "a" * 300),
    ("huge", "ck_" + "a" * 1_000_000),
    ("sql", "ck_' OR 1=1 --_" + "a" * 43),
    ("path", "ck_../../etc/passwd_" + "a" * 43),
    ("spaces", "   "),
]


@pytest.mark.parametrize("presented", [h[1] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_keys_are_401_never_500(presented: str) -> None:
    client = TestClient(app_for(APIKeys(store=MemoryStore())))
    create(client)
    started = time.perf_counter()
    response = client.get("/whoami", **send(presented))
    assert response.status_code == 401, response.text
    assert time.perf_counter() - started < 0.5


def test_non_ascii_keys_in_header_query_and_cookie_are_401() -> None:
    for scheme, request in [
        (APIKeyHeader(name="X-API-Key"), {"headers": {"X-API-Key": "ck_é".encode()}}),
        (APIKeyQuery(name="key"), {"params": {"key": "ck_0123456789abcdef_ключ" + "a" * 40}}),
        (APIKeyCookie(name="key"), {"headers": {"Cookie": "key=ck_ÿþ".encode()}}),
    ]:
        client = TestClient(app_for(APIKeys(scheme, store=MemoryStore())))
        good = create(client)
        assert client.get("/whoami", **request).status_code == 401
        if isinstance(scheme, APIKeyQuery):
            assert client.get("/whoami", params={"key": good}).status_code == 200
        if isinstance(scheme, APIKeyCookie):
            assert client.get("/whoami", headers={"Cookie": f"key={good}"}).status_code == 200


def test_a_lookup_of_your_own_reads_records_from_your_storage() -> None:
    table: dict[str, APIKey] = {}

    async def lookup(key_id: str) -> APIKey | None:
        return table.get(key_id)

    keys = APIKeys(lookup=lookup, prefix="acme", pepper=b"kept-out-of-the-database")
    key, record = keys.generate("billing", scopes=["reports"])
    table[record.id] = record
    assert key.startswith(f"acme_{record.id}_")
    assert record.digest == hash_api_key(key, b"kept-out-of-the-database") != hash_api_key(key)
    assert "digest" not in repr(record)
    assert key not in repr(record)
    client = TestClient(app_for(keys))
    assert client.get("/reports", **send(key)).json() == {"owner": "billing"}
    # Without the pepper the stored digest verifies nothing.
    unpeppered = APIKeys(lookup=lookup, prefix="acme")
    assert TestClient(app_for(unpeppered)).get("/whoami", **send(key)).status_code == 401
    short, record = keys.generate("temp", ttl=0.05)
    table[record.id] = record
    time.sleep(0.1)
    assert client.get("/whoami", **send(short)).status_code == 401
    with pytest.raises(ConfigurationError, match="lookup="):
        run(keys.create("x"))


def test_the_digest_is_compared_with_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("covet.security.api_keys.hmac.compare_digest", counting)
    client = TestClient(app_for(APIKeys(store=MemoryStore())))
    key = create(client)
    _, key_id, secret = key.split("_", 2)
    for presented in (key, f"ck_{key_id}_{'B' * 43}", f"ck_{'f' * 16}_{secret}"):
        client.get("/whoami", **send(presented))
    assert len(calls) == 3  # the right key, a wrong secret, an unknown id: one compare each


def test_optional_key_and_openapi() -> None:
    keys = APIKeys(APIKeyHeader(name="X-Key", auto_error=False), store=MemoryStore())
    app = CovetPy()

    @app.get("/maybe")
    async def maybe(key: Annotated[APIKey | None, Depends(keys.current_key)]) -> dict[str, Any]:
        return {"owner": key.owner if key else None}

    client = TestClient(app)
    assert client.get("/maybe").json() == {"owner": None}
    assert client.get("/maybe", headers={"X-Key": "nope"}).status_code == 401
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Key",
    }
    assert document["paths"]["/maybe"]["get"]["security"] == [{"APIKeyHeader": []}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prefix": "CK"}, "prefix"),
        ({"prefix": "c_k"}, "prefix"),
        ({"store": MemoryStore(), "lookup": lambda key_id: None}, "not both"),
        ({"scheme": object()}, "scheme"),
        ({"pepper": "text"}, "pepper"),
    ],
    ids=["upper", "underscore", "store-and-lookup", "scheme", "pepper"],
)
def test_bad_configuration_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        APIKeys(**kwargs)


def test_a_store_outage_answers_503_and_recovers(tmp_path: Any) -> None:
    with ThrowawayRedis(tmp_path) as server:
        keys = APIKeys(store=RedisStore(server.url, namespace=unique_prefix()))
        with TestClient(app_for(keys)) as client:
            key = create(client)
            assert client.get("/whoami", **send(key)).status_code == 200
            server.stop()
            down = client.get("/whoami", **send(key))
            assert down.status_code == 503
            assert down.headers["Retry-After"]
            server.start()  # an empty server: its keys were in memory only
            assert client.get("/whoami", **send(create(client))).status_code == 200
