"""SessionMiddleware: signed-cookie and server-side sessions through the TestClient."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.middleware import SessionMiddleware
from covet.requests import Request
from covet.sessions import Sessions
from covet.stores import MemoryStore, RedisStore, StoreUnavailableError
from covet.testing import TestClient
from covet.testing.exceptions import LifespanError
from tests.support.redis import ThrowawayRedis, delete_namespace, shared_redis_url, unique_prefix

KEY = "k3y-" + "x" * 40
OLD_KEY = "old-" + "y" * 40
HTTPS = "https://testserver"


class Clock:
    """Wall-clock seconds a test moves forward by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class FlakyStore(MemoryStore):
    """A memory store whose backend can be switched off, as a Redis outage looks."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailableError("store down (test)")

    async def get(self, key: str) -> bytes | None:
        self._check()
        return await super().get(key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self._check()
        await super().set(key, value, ttl=ttl)


def make_app(debug: bool = False, **options: Any) -> CovetPy:
    """A small app with login/logout, a counter and a session reader."""
    options.setdefault("secret_keys", [KEY])
    app = CovetPy(debug=debug)
    app.add_middleware(SessionMiddleware, **options)

    @app.post("/login/{user}")
    async def login(request: Request, user: str) -> dict[str, Any]:
        request.session.login(user)
        return {"id": request.session.id}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, bool]:
        request.session.logout()
        return {"ok": True}

    @app.post("/count")
    async def count(request: Request) -> dict[str, int]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request.session["n"]}

    @app.get("/me")
    async def me(request: Request) -> dict[str, Any]:
        return {"user": request.session.user_id, "data": dict(request.session)}

    @app.get("/plain")
    async def plain() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/regenerate")
    async def regenerate(request: Request) -> dict[str, Any]:
        before = request.session.id
        request.session.regenerate()
        return {"before": before}

    @app.get("/sessions")
    async def listing(request: Request) -> list[str]:
        sessions = request.session.sessions
        assert sessions is not None
        user = request.session.user_id
        return [info.id for info in await sessions.list(user or "")]

    @app.post("/password")
    async def password(request: Request) -> dict[str, int]:
        sessions = request.session.sessions
        assert sessions is not None
        assert request.session.user_id is not None
        ended = await sessions.revoke_all(request.session.user_id, keep=request.session.id)
        return {"ended": ended}

    return app


@pytest.fixture(params=["cookie", "store"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(kind: str) -> Iterator[TestClient]:
    options: dict[str, Any] = {"store": MemoryStore()} if kind == "store" else {}
    with TestClient(make_app(**options), base_url=HTTPS) as client:
        yield client


def jar(value: str) -> dict[str, bytes]:
    """A Cookie header sending ``value`` as the session cookie (it wins over the client's)."""
    return {"cookie": f"__Host-session={value}".encode()}


def session_cookie(response: Any) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if "__Host-session" in h]
    return str(header)


# -- both kinds ------------------------------------------------------------------------------


def test_a_session_survives_between_requests(client: TestClient) -> None:
    assert client.post("/count").json() == {"n": 1}
    assert client.post("/count").json() == {"n": 2}
    assert client.get("/me").json() == {"user": None, "data": {"n": 2}}


def test_cookie_defaults_are_secure(client: TestClient) -> None:
    header = session_cookie(client.post("/count"))
    assert header.startswith("__Host-session=")
    for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=1209600"):
        assert attribute in header.split("; ")


def test_unchanged_sessions_are_not_written_back(client: TestClient) -> None:
    client.post("/count")
    response = client.get("/me")
    assert response.headers.get_list("set-cookie") == []
    assert response.headers["vary"] == "Cookie"


def test_a_request_that_never_reads_the_session_has_no_vary(client: TestClient) -> None:
    client.post("/count")
    response = client.get("/plain")
    assert "vary" not in response.headers
    assert response.headers.get_list("set-cookie") == []


def test_an_empty_new_session_sets_no_cookie(client: TestClient) -> None:
    response = client.get("/me")
    assert response.json() == {"user": None, "data": {}}
    assert response.headers.get_list("set-cookie") == []


def test_logout_deletes_the_cookie_and_a_replay_is_empty(client: TestClient, kind: str) -> None:
    client.post("/login/ann")
    cookie = client.cookies["__Host-session"]
    response = client.post("/logout")
    assert "Max-Age=0" in session_cookie(response)
    assert client.get("/me").json() == {"user": None, "data": {}}
    if kind == "store":  # a signed cookie stays valid until it expires (documented)
        replay = client.get("/me", headers=jar(cookie))
        assert replay.json() == {"user": None, "data": {}}


@pytest.mark.parametrize(
    "value",
    ["garbage", "", "a.b", "x" * 5000, "\u00e9.\u00e9", "eyJ9.AAAA", "....", "=="],
    ids=["word", "empty", "bad-signature", "huge", "non-ascii", "short-sig", "dots", "equals"],
)
def test_garbage_cookies_give_an_empty_session(client: TestClient, value: str) -> None:
    response = client.get("/me", headers=jar(value))
    assert response.status_code == 200
    assert response.json() == {"user": None, "data": {}}


def test_a_tampered_cookie_gives_an_empty_session(client: TestClient) -> None:
    client.post("/login/ann")
    cookie = client.cookies["__Host-session"]
    body, _, signature = cookie.rpartition(".")
    # The first characters carry six full bits each (a last one may hold padding bits only).
    flipped = ("A" if body[0] != "A" else "B") + body[1:]
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    client.cookies.clear()
    for forged in (f"{flipped}.{signature}", f"{body}.{forged_signature}", body):
        response = client.get("/me", headers=jar(forged))
        assert response.json() == {"user": None, "data": {}}


def test_a_cookie_signed_by_another_secret_is_refused(kind: str) -> None:
    options: dict[str, Any] = {"store": MemoryStore()} if kind == "store" else {}
    store_app = make_app(**options)
    with TestClient(make_app(secret_keys=["z" * 40]), base_url=HTTPS) as other:
        other.post("/count")
        foreign = other.cookies["__Host-session"]
    with TestClient(store_app, base_url=HTTPS) as client:
        response = client.get("/me", headers=jar(foreign))
        assert response.json() == {"user": None, "data": {}}


def test_key_rotation_verifies_old_cookies_and_resigns_them(kind: str) -> None:
    store = MemoryStore()
    options: dict[str, Any] = {"store": store} if kind == "store" else {}
    with TestClient(make_app(secret_keys=[OLD_KEY], **options), base_url=HTTPS) as before:
        before.post("/count")
        old_cookie = before.cookies["__Host-session"]
    rotated = make_app(secret_keys=[KEY, OLD_KEY], **options)
    with TestClient(rotated, base_url=HTTPS, headers=jar(old_cookie)) as client:
        response = client.get("/me")
        assert response.json()["data"] == {"n": 1}
        new_cookie = client.cookies["__Host-session"]
        assert new_cookie != old_cookie
    only_new = make_app(secret_keys=[KEY], **options)
    with TestClient(only_new, base_url=HTTPS) as client:
        assert client.get("/me", headers=jar(new_cookie)).json()["data"] == {"n": 1}
        assert client.get("/me", headers=jar(old_cookie)).json()["data"] == {}


def test_idle_timeout_and_absolute_lifetime(kind: str) -> None:
    clock = Clock()
    options: dict[str, Any] = {"store": MemoryStore()} if kind == "store" else {}
    app = make_app(clock=clock, idle_timeout=100, max_age=300, **options)
    with TestClient(app, base_url=HTTPS) as client:
        client.post("/count")
        clock.now += 101
        assert client.get("/me").json()["data"] == {}, "idle for longer than idle_timeout"
        client.post("/count")
        for _ in range(4):  # active every 60 s: renewed, so it does not idle out
            clock.now += 60
            assert client.get("/me").json()["data"] == {"n": 1}
        clock.now += 60
        assert client.get("/me").json()["data"] == {}, "past max_age however active"


def test_regenerate_keeps_the_data(client: TestClient) -> None:
    client.post("/count")
    first = client.cookies["__Host-session"]
    client.post("/regenerate")
    assert client.cookies["__Host-session"] != first
    assert client.get("/me").json()["data"] == {"n": 1}


def test_values_that_are_not_json_are_a_clear_500(kind: str) -> None:
    app = make_app(**({"store": MemoryStore()} if kind == "store" else {}))

    @app.post("/bad")
    async def bad(request: Request) -> dict[str, bool]:
        request.session["x"] = object()
        return {"ok": True}

    with TestClient(app, base_url=HTTPS, raise_server_exceptions=False) as client:
        assert client.post("/bad").status_code == 500
        assert client.get("/plain").status_code == 200


# -- server-side only ------------------------------------------------------------------------


def store_client(store: MemoryStore | None = None, **options: Any) -> TestClient:
    app = make_app(sessions=Sessions(store if store is not None else MemoryStore()), **options)
    return TestClient(app, base_url=HTTPS)


def test_the_server_side_cookie_holds_only_a_signed_id() -> None:
    store = MemoryStore()
    with store_client(store) as client:
        session_id = client.post("/login/ann").json()["id"]
        assert session_id is None  # not written yet while the handler ran
        cookie = client.cookies["__Host-session"]
        value, _, signature = cookie.rpartition(".")
        assert len(value) >= 43
        assert signature
        assert "ann" not in cookie


def test_regenerate_deletes_the_old_id_against_fixation() -> None:
    with store_client() as client:
        client.post("/count")
        planted = client.cookies["__Host-session"]
        client.post("/login/ann")
        assert client.cookies["__Host-session"] != planted
        assert client.get("/me").json() == {"user": "ann", "data": {"n": 1}}
        fixed = client.get("/me", headers=jar(planted))
        assert fixed.json() == {"user": None, "data": {}}


def test_list_and_revoke_all_but_the_current_device() -> None:
    sessions = Sessions(MemoryStore())
    app = make_app(sessions=sessions)
    with TestClient(app, base_url=HTTPS) as laptop, TestClient(app, base_url=HTTPS) as phone:
        laptop.post("/login/ann")
        phone.post("/login/ann")
        listed = laptop.get("/sessions").json()
        assert len(listed) == 2
        assert laptop.post("/password").json() == {"ended": 1}
        assert phone.get("/me").json() == {"user": None, "data": {}}
        assert laptop.get("/me").json()["user"] == "ann"
        assert len(laptop.get("/sessions").json()) == 1


def test_revoke_one_session_from_outside_a_request() -> None:
    sessions = Sessions(MemoryStore())
    app = make_app(sessions=sessions)
    with TestClient(app, base_url=HTTPS) as client:
        client.post("/login/bob")

        async def revoke() -> bool:
            [info] = await sessions.list("bob")
            assert info.user_id == "bob"
            assert info.created > 0
            return await sessions.revoke(info.id)

        assert client._portal.call(revoke()) is True
        assert client.get("/me").json() == {"user": None, "data": {}}


def test_a_store_outage_answers_503_and_recovers() -> None:
    store = FlakyStore()
    with store_client(store) as client:
        client.post("/count")
        store.down = True
        response = client.get("/me")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"] == "application/problem+json"
        store.down = False
        assert client.get("/me").json()["data"] == {"n": 1}


def test_an_outage_while_writing_answers_503() -> None:
    store = FlakyStore()
    with store_client(store) as client:

        async def fail_writes(key: str, value: bytes, *, ttl: float | None = None) -> None:
            raise StoreUnavailableError("down")

        original = store.set
        store.set = fail_writes  # type: ignore[method-assign]
        assert client.post("/count").status_code == 503
        store.set = original  # type: ignore[method-assign]
        assert client.post("/count").json() == {"n": 1}


def opt_out_app(store: MemoryStore) -> CovetPy:
    app = make_app(sessions=Sessions(store))

    @app.get("/health", opt={"session": False})
    async def health() -> str:
        return "up"

    @app.get("/peek", opt={"session": False})
    async def peek(request: Request) -> Any:
        return request.session.get("n")

    return app


def test_a_route_without_sessions_is_served_during_an_outage_and_leaves_the_cookie() -> None:
    store = FlakyStore()
    with TestClient(opt_out_app(store), base_url=HTTPS) as client:
        client.post("/count")
        cookie = client.cookies["__Host-session"]
        store.down = True

        health = client.get("/health")
        assert client.get("/me").status_code == 503  # the routes that read it still need it

        store.down = False
        assert health.status_code == 200
        assert health.json() == "up"
        assert "set-cookie" not in health.headers
        assert "vary" not in health.headers
        assert client.cookies["__Host-session"] == cookie
        assert client.get("/me").json()["data"] == {"n": 1}


def test_reading_the_session_on_a_route_without_it_names_the_opt() -> None:
    app = opt_out_app(MemoryStore())
    with (
        TestClient(app, base_url=HTTPS) as client,
        pytest.raises(ConfigurationError, match=r"this route has no session"),
    ):
        client.get("/peek")


def test_a_bad_session_opt_stops_start_up() -> None:
    app = make_app()

    @app.get("/x", opt={"session": "off"})
    async def x() -> str:
        return "x"

    with pytest.raises(LifespanError, match=r"opt\['session'\] of route '/x'"), TestClient(app):
        pass


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [[], ["secret"], ["changeme"], ["short-but-not-32"], ["x" * 31]],
    ids=["missing", "sample", "changeme", "short", "31-bytes"],
)
def test_the_app_refuses_to_start_with_a_weak_secret(keys: list[str]) -> None:
    app = make_app(secret_keys=keys)
    with pytest.raises(LifespanError, match=r"SessionMiddleware: .*secret"), TestClient(app):
        pass


def test_debug_accepts_a_weak_secret_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(make_app(debug=True, secret_keys=["dev"]), base_url=HTTPS) as client:
        client.post("/count")
        assert client.post("/count").json() == {"n": 2}
    [record] = [r for r in caplog.records if r.name == "covet.sessions"]
    assert record.getMessage() == (
        "SessionMiddleware: secret key #0 is a well-known sample value; "
        "accepted because the app runs with debug=True"
    )


def test_a_weak_secret_fails_requests_even_without_the_lifespan() -> None:
    client = TestClient(make_app(secret_keys=["secret"]), raise_server_exceptions=False)
    assert client.get("/plain").status_code == 500


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"secret_key": KEY}, "secret_keys="),
        ({"secret_keys": KEY}, "list of keys"),
        ({"secret_keys": [KEY], "max_age": 0}, "max_age"),
        ({"secret_keys": [KEY], "idle_timeout": 10**9}, "idle_timeout"),
        ({"secret_keys": [KEY], "same_site": "loose"}, "same_site"),
        ({"secret_keys": [KEY], "same_site": "none", "secure": False}, "secure"),
        ({"secret_keys": [KEY], "cookie_name": "__Host-s", "domain": "a.org"}, "__Host-"),
        ({"secret_keys": [KEY], "cookie_name": "bad name"}, "cookie_name"),
        ({"secret_keys": [KEY], "store": {}}, "store="),
        ({"secret_keys": [KEY], "sessions": MemoryStore()}, "covet.sessions.Sessions"),
        (
            {"secret_keys": [KEY], "store": MemoryStore(), "sessions": Sessions(MemoryStore())},
            "not both",
        ),
        ({"secret_keys": [KEY], "colour": "red"}, "unknown option"),
    ],
    ids=[
        "singular",
        "not-a-list",
        "max-age",
        "idle",
        "same-site",
        "none-insecure",
        "host-prefix",
        "name",
        "store",
        "sessions",
        "both",
        "unknown",
    ],
)
def test_bad_settings_fail_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SessionMiddleware(make_app(), **options)


def test_insecure_cookies_for_plain_http_development() -> None:
    app = make_app(secure=False)
    with TestClient(app) as client:
        header = client.post("/count").headers["set-cookie"]
        assert header.startswith("session=")
        assert "Secure" not in header
        assert client.post("/count").json() == {"n": 2}


def test_request_session_without_the_middleware_names_it() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(request: Request) -> dict[str, Any]:
        return dict(request.session)

    with TestClient(app) as client, pytest.raises(ConfigurationError, match="SessionMiddleware"):
        client.get("/")


# -- on the real Redis -----------------------------------------------------------------------


@pytest.fixture
def redis_sessions() -> Iterator[Sessions]:
    url = shared_redis_url()
    namespace = unique_prefix()
    try:
        yield Sessions(RedisStore(url, namespace=namespace))
    finally:
        delete_namespace(url, namespace)


def test_redis_sessions_fixation_listing_and_revoke_all(redis_sessions: Sessions) -> None:
    # One client (one event loop for the store's pool); the two devices' cookies by hand.
    with TestClient(make_app(sessions=redis_sessions), base_url=HTTPS) as client:
        client.post("/count")
        planted = client.cookies["__Host-session"]
        client.post("/login/ann")
        laptop = client.cookies["__Host-session"]
        client.cookies.clear()
        client.post("/login/ann")
        phone = client.cookies["__Host-session"]
        client.cookies.clear()
        assert client.get("/me", headers=jar(laptop)).json() == {"user": "ann", "data": {"n": 1}}
        assert client.get("/me", headers=jar(planted)).json() == {"user": None, "data": {}}
        assert len(client.get("/sessions", headers=jar(laptop)).json()) == 2
        assert client.post("/password", headers=jar(laptop)).json() == {"ended": 1}
        assert client.get("/me", headers=jar(phone)).json() == {"user": None, "data": {}}
        assert client.get("/me", headers=jar(laptop)).json()["user"] == "ann"


def test_a_redis_outage_answers_503_and_recovers_when_redis_returns(tmp_path: Path) -> None:
    with ThrowawayRedis(tmp_path) as server:
        app = make_app(sessions=Sessions(RedisStore(server.url, namespace=unique_prefix())))
        with TestClient(app, base_url=HTTPS) as client:
            assert client.post("/count").json() == {"n": 1}
            server.stop()
            start = time.perf_counter()
            down = client.get("/me")
            assert down.status_code == 503
            assert down.headers["retry-after"] == "5"
            assert time.perf_counter() - start < 5
            # A request without a session cookie needs no store: it is served.
            assert client.get("/plain", headers={"cookie": "other=1"}).status_code == 200
            server.start()
            # The data died with the throwaway server (nothing kept on disk): a new session.
            assert client.get("/me").status_code == 200
            assert client.post("/count").json() == {"n": 1}
            assert client.post("/count").json() == {"n": 2}


def test_websockets_read_the_session(kind: str) -> None:
    from covet.websockets import WebSocket

    app = make_app(**({"store": MemoryStore()} if kind == "store" else {}))

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"user": websocket.session.user_id})
        await websocket.close()

    with TestClient(app, base_url=HTTPS) as client:
        client.post("/login/ann")
        cookie = client.cookies["__Host-session"]
        with client.websocket_connect("/ws", headers=jar(cookie)) as socket:
            assert socket.receive_json() == {"user": "ann"}
