"""JWTs in HttpOnly cookies, with CSRFMiddleware guarding every unsafe request they reach."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, Request, Response
from covet.exceptions import ConfigurationError
from covet.middleware import CSRFMiddleware
from covet.middleware.csrf import csrf_token
from covet.security import Claims, HMACKey, JWTManager, TokenCookies
from covet.testing import TestClient
from tests.ratelimit.backends import Backend, backend

__all__ = ["backend"]

ORIGIN = "https://testserver"
CSRF_KEY = "c" * 32


def cookie_app(auth: JWTManager, cookies: TokenCookies, *, csrf: bool = True) -> CovetPy:
    """A browser app: login, a page, a form post, refresh and logout, all through cookies."""
    app = CovetPy(lifespan=auth.store.lifespan)
    if csrf:
        app.add_middleware(CSRFMiddleware, secret_keys=[CSRF_KEY])

    @app.get("/csrf")
    async def token(request: Request) -> dict[str, str]:
        return {"token": csrf_token(request)}

    @app.post("/login/{user}")
    async def login(user: str, response: Response) -> dict[str, str]:
        auth.set_cookies(response, auth.issue(user, scopes=["items"]))
        return {"user": user}

    @app.get("/me")
    async def me(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, str]:
        return {"user": claims.subject}

    @app.post("/items")
    async def create(claims: Annotated[Claims, Depends(auth.current_claims)]) -> dict[str, str]:
        return {"created_by": claims.subject}

    @app.post("/auth/refresh")
    async def refresh(
        response: Response, token: Annotated[str, Depends(cookies.refresh_token)]
    ) -> dict[str, bool]:
        auth.set_cookies(response, await auth.refresh(token))
        return {"refreshed": True}

    @app.post("/logout")
    async def logout(
        response: Response, claims: Annotated[Claims, Depends(auth.current_claims)]
    ) -> dict[str, bool]:
        await auth.logout(claims)
        auth.clear_cookies(response)
        return {"logged_out": True}

    return app


def manager(cookies: TokenCookies, store: Any = None) -> JWTManager:
    key = HMACKey(b"k" * 32, kid="cookies")
    return JWTManager(key, issuer=ORIGIN, audience="web", scheme=cookies, store=store)


@pytest.fixture
def browser(backend: Backend) -> Iterator[tuple[JWTManager, TestClient]]:
    cookies = TokenCookies(refresh_path="/auth/refresh")
    auth = manager(cookies, backend.store())
    with TestClient(cookie_app(auth, cookies), base_url=ORIGIN) as client:
        yield auth, client


def only_cookies(client: TestClient, **cookies: str) -> dict[str, str]:
    """A Cookie header sending ``cookies`` (and the CSRF cookie) in place of the jar's."""
    sent = {"__Host-csrf": client.cookies.get("__Host-csrf") or "", **cookies}
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in sent.items())}


def csrf(client: TestClient) -> dict[str, str]:
    """What a page's script sends with an unsafe request: its origin and the CSRF token."""
    return {"Origin": ORIGIN, "X-CSRF-Token": client.get("/csrf").json()["token"]}


def test_login_sets_httponly_secure_samesite_cookies(browser: Any) -> None:
    _, client = browser
    response = client.post("/login/ada", headers=csrf(client))
    assert response.status_code == 200, response.text
    access, refresh = (
        header for header in response.headers.get_list("set-cookie") if "_token=" in header
    )
    assert access.startswith("__Host-access_token=")
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=900"} <= set(
        access.split("; ")[1:]
    )
    assert refresh.startswith("__Secure-refresh_token=")
    expected = {"HttpOnly", "Secure", "SameSite=Strict", "Path=/auth/refresh"}
    assert expected | {f"Max-Age={14 * 24 * 3600}"} <= set(refresh.split("; ")[1:])
    assert client.get("/me").json() == {"user": "ada"}


def test_unsafe_requests_need_the_csrf_token_as_well_as_the_cookie(browser: Any) -> None:
    _, client = browser
    client.post("/login/ada", headers=csrf(client))
    forged = client.post("/items", headers={"Origin": ORIGIN})  # the cookie alone
    assert forged.status_code == 403
    assert forged.json()["title"] == "CSRF check failed"
    cross_site = client.post("/items", headers={**csrf(client), "Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert client.post("/items", headers=csrf(client)).json() == {"created_by": "ada"}


def test_refresh_through_the_cookie_rotates_and_a_replay_revokes(browser: Any) -> None:
    _, client = browser
    client.post("/login/ada", headers=csrf(client))
    old_refresh = client.cookies.get("__Secure-refresh_token")
    old_access = client.cookies.get("__Host-access_token")
    assert client.post("/auth/refresh", headers=csrf(client)).json() == {"refreshed": True}
    assert client.cookies.get("__Secure-refresh_token") != old_refresh
    assert client.cookies.get("__Host-access_token") != old_access
    assert client.get("/me").status_code == 200
    # The stolen first refresh cookie comes back: refused, and the whole login with it.
    stolen = only_cookies(client, **{"__Secure-refresh_token": old_refresh})
    replayed = client.post("/auth/refresh", headers={**csrf(client), **stolen})
    assert replayed.status_code == 401
    assert client.get("/me").status_code == 401
    assert client.post("/auth/refresh", headers=csrf(client)).status_code == 401


def test_logout_drops_the_cookies_and_revokes_the_tokens(browser: Any) -> None:
    _, client = browser
    client.post("/login/ada", headers=csrf(client))
    access = client.cookies.get("__Host-access_token")
    response = client.post("/logout", headers=csrf(client))
    assert response.json() == {"logged_out": True}
    dropped = [h for h in response.headers.get_list("set-cookie") if "Max-Age=0" in h]
    assert len(dropped) == 2
    assert client.get("/me").status_code == 401
    copied = only_cookies(client, **{"__Host-access_token": access})
    assert client.get("/me", headers=copied).status_code == 401  # revoked, not just dropped


def test_missing_and_hostile_cookies_are_401(browser: Any) -> None:
    _, client = browser
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    for value in ("x", "a.b.c", "e" * 20_000, "eyJ%00.eyJ.sig"):
        hostile = only_cookies(client, **{"__Host-access_token": value})
        assert client.get("/me", headers=hostile).status_code == 401, value
    assert client.post("/auth/refresh", headers=csrf(client)).status_code == 401  # no cookie


def test_cookie_auth_without_csrf_middleware_is_refused_loudly() -> None:
    cookies = TokenCookies()
    auth = manager(cookies)
    token = auth.issue("ada").access_token
    app = cookie_app(auth, cookies, csrf=False)
    client = TestClient(app, base_url=ORIGIN, cookies={"__Host-access_token": token})
    assert client.get("/me").json() == {"user": "ada"}  # safe methods need no token
    with pytest.raises(ConfigurationError, match="CSRFMiddleware"):
        client.post("/items")
    relaxed = TokenCookies(require_csrf=False)
    auth = manager(relaxed)
    client = TestClient(
        cookie_app(auth, relaxed, csrf=False),
        base_url=ORIGIN,
        cookies={"__Host-access_token": auth.issue("ada").access_token},
    )
    assert client.post("/items").json() == {"created_by": "ada"}


def test_plain_http_names_for_local_development() -> None:
    cookies = TokenCookies(secure=False, samesite="strict")
    auth = manager(cookies)
    client = TestClient(cookie_app(auth, cookies, csrf=False))
    cookies_set = client.post("/login/ada").headers.get_list("set-cookie")
    assert [c.split("=")[0] for c in cookies_set] == ["access_token", "refresh_token"]
    assert all("Secure" not in c.split("; ") for c in cookies_set)
    assert "SameSite=Strict" in cookies_set[0]


def test_openapi_documents_the_cookie() -> None:
    cookies = TokenCookies()
    client = TestClient(cookie_app(manager(cookies), cookies))
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["TokenCookies"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-access_token",
    }
    assert document["paths"]["/me"]["get"]["security"] == [{"TokenCookies": []}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samesite": "none"}, "samesite"),
        ({"secure": False, "access_name": "__Host-x"}, "secure=True"),
        ({"access_name": "t", "refresh_name": "t"}, "different names"),
        ({"refresh_path": "auth"}, "refresh_path"),
    ],
    ids=["samesite-none", "prefix-without-secure", "same-names", "relative-path"],
)
def test_bad_cookie_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TokenCookies(**kwargs)


def test_set_cookies_needs_the_cookie_scheme() -> None:
    auth = JWTManager(HMACKey(b"k" * 32), issuer=ORIGIN, audience="web")
    with pytest.raises(ConfigurationError, match="TokenCookies"):
        auth.set_cookies(Response(), auth.issue("ada"))
