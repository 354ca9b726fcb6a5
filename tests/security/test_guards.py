"""require_scopes and require_roles at app, router and route level; SecurityScopes; OpenAPI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, Router, Security
from covet.exceptions import ConfigurationError
from covet.security import (
    Claims,
    HTTPBearer,
    OAuth2PasswordBearer,
    SecurityScopes,
    require_permission,
    require_roles,
    require_scopes,
)
from covet.testing import TestClient, WebSocketRejectedError
from covet.websockets import WebSocket
from tests.security.jwt_support import bearer, manager_on

auth = manager_on()
READER = bearer(auth.issue("rita", scopes=["read"]).access_token)
WRITER = bearer(auth.issue("will", scopes=["read", "write"], roles=["editor"]).access_token)
ADMIN = bearer(auth.issue("ada", scopes=["read"], roles=["admin", "editor"]).access_token)


def build() -> CovetPy:
    app = CovetPy(dependencies=[require_scopes(auth, "read")])
    editors = Router(prefix="/edit", dependencies=[require_roles(auth, "editor")])

    @editors.post("/draft")
    async def draft() -> dict[str, bool]:
        return {"drafted": True}

    @editors.post("/publish", dependencies=[auth.require_scopes("write")])
    async def publish() -> dict[str, bool]:
        return {"published": True}

    app.include_router(editors)

    @app.get("/read")
    async def read(claims: Annotated[Claims, Depends(auth.current_claims)]) -> str:
        return claims.subject

    @app.delete("/users/{name}", dependencies=[auth.require_roles("admin")])
    async def delete(name: str) -> dict[str, str]:
        return {"deleted": name}

    @app.get("/scopes")
    async def scopes(
        claims: Annotated[Claims, Security(auth.current_claims, scopes=["read"])],
        security_scopes: SecurityScopes,
    ) -> list[str]:
        return sorted(claims.scopes)

    return app


client = TestClient(build())


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/read", {}, 401),
        ("GET", "/read", READER, 200),
        ("POST", "/edit/draft", READER, 403),
        ("POST", "/edit/draft", WRITER, 200),
        ("POST", "/edit/publish", WRITER, 200),
        ("POST", "/edit/publish", ADMIN, 403),  # an editor without the write scope
        ("DELETE", "/users/bob", WRITER, 403),
        ("DELETE", "/users/bob", ADMIN, 200),
    ],
    ids=[
        "no-token",
        "app-scope",
        "router-role-missing",
        "router-role",
        "route-scope",
        "route-scope-missing",
        "route-role-missing",
        "route-role",
    ],
)
def test_guards_at_each_level(method: str, path: str, headers: dict[str, str], status: int) -> None:
    assert client.request(method, path, headers=headers).status_code == status


def test_a_missing_scope_is_403_insufficient_scope_naming_the_scopes() -> None:
    refused = client.post("/edit/publish", headers=ADMIN)
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="write"'
    )
    assert refused.json()["detail"] == "Insufficient scope"
    no_scope = bearer(auth.issue("nobody").access_token)
    assert client.get("/read", headers=no_scope).status_code == 403  # the app-wide scope
    role = client.post("/edit/draft", headers=READER)
    assert (role.status_code, role.json()["detail"]) == (403, "Not enough permissions")
    assert "WWW-Authenticate" not in role.headers


def test_the_token_is_verified_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = auth.decode

    def counting(token: str, **options: Any) -> Claims:
        calls.append(token)
        return real(token, **options)

    monkeypatch.setattr(auth, "decode", counting)
    assert client.post("/edit/publish", headers=WRITER).status_code == 200
    assert len(calls) == 1  # three guards (app scope, router role, route scope), one decode


def test_openapi_lists_the_scheme_and_the_scopes_of_each_operation() -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    paths = document["paths"]
    assert paths["/read"]["get"]["security"] == [{"HTTPBearer": ["read"]}, {"HTTPBearer": []}]
    publish = paths["/edit/publish"]["post"]["security"]
    assert {"HTTPBearer": ["write"]} in publish
    assert {"HTTPBearer": ["read"]} in publish


def test_an_oauth2_password_scheme_documents_the_login_form() -> None:
    scheme = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read things."})
    manager = manager_on(scheme=scheme)
    app = CovetPy()

    @app.get("/read", dependencies=[require_scopes(manager, "read")])
    async def read() -> str:
        return "ok"

    with TestClient(app) as oauth_client:
        token = bearer(manager.issue("ada", scopes=["read"]).access_token)
        assert oauth_client.get("/read", headers=token).status_code == 200
        assert oauth_client.get("/read").headers["WWW-Authenticate"] == "Bearer"
        document = oauth_client.get("/openapi.json").json()
    assert document["paths"]["/read"]["get"]["security"] == [{"OAuth2PasswordBearer": ["read"]}]
    flows = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "token"


def test_optional_authentication_with_auto_error_false() -> None:
    manager = manager_on(scheme=HTTPBearer(auto_error=False))
    app = CovetPy()

    @app.get("/hello")
    async def hello(claims: Annotated[Claims | None, Depends(manager.current_claims)]) -> str:
        return f"hello {claims.subject if claims else 'stranger'}"

    with TestClient(app) as optional:
        assert optional.get("/hello").json() == "hello stranger"
        token = bearer(manager.issue("ada").access_token)
        assert optional.get("/hello", headers=token).json() == "hello ada"
        assert optional.get("/hello", headers=bearer("bad")).status_code == 401


@dataclass
class User:
    name: str
    scopes: frozenset[str]
    roles: frozenset[str]


async def api_key_user(key: str = "") -> User:
    roles = frozenset({"admin"}) if key == "admin-key" else frozenset()
    return User("k", frozenset({"read"}), roles)


def test_guards_take_any_dependency_giving_scopes_and_roles() -> None:
    app = CovetPy()

    @app.get("/admin", dependencies=[require_roles(api_key_user, "admin")])
    async def admin() -> str:
        return "ok"

    @app.get("/write", dependencies=[require_scopes(api_key_user, "write")])
    async def write() -> str:
        return "ok"

    with TestClient(app) as custom:
        assert custom.get("/admin", params={"key": "admin-key"}).status_code == 200
        assert custom.get("/admin").status_code == 403
        refused = custom.get("/write")
        assert refused.status_code == 403
        assert 'scope="write"' in refused.headers["WWW-Authenticate"]


@pytest.mark.parametrize("names", [(), ("",), (1,)], ids=["none", "empty", "not-text"])
def test_a_guard_needs_names(names: tuple[Any, ...]) -> None:
    with pytest.raises(ConfigurationError, match="names"):
        require_scopes(auth, *names)
    with pytest.raises(ConfigurationError, match="names"):
        require_roles(auth, *names)
    with pytest.raises(ConfigurationError, match="JWTManager or a dependency"):
        require_roles("auth", "admin")  # type: ignore[arg-type]


# -- permission callables ------------------------------------------------------------------


def owns_the_note(claims: Claims, connection: Any) -> bool:
    return bool(connection.path_params["owner"] == claims.subject or "admin" in claims.roles)


async def not_suspended(claims: Claims, connection: Any) -> bool:
    return claims.subject not in {"mallory"}


def permission_app() -> CovetPy:
    app = CovetPy(dependencies=[require_permission(auth, not_suspended, detail="Suspended")])

    @app.delete("/notes/{owner}", dependencies=[require_permission(auth, owns_the_note)])
    async def delete_note(owner: str) -> dict[str, str]:
        return {"deleted": owner}

    @app.websocket("/notes/{owner}/live", dependencies=[require_permission(auth, owns_the_note)])
    async def live(websocket: WebSocket, owner: str) -> None:
        await websocket.accept()
        await websocket.send_text(owner)
        await websocket.close()

    return app


def test_permission_callables_guard_with_the_identity_and_the_connection() -> None:
    client = TestClient(permission_app())
    assert client.delete("/notes/rita", headers=READER).json() == {"deleted": "rita"}
    refused = client.delete("/notes/will", headers=READER)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Not enough permissions"
    assert client.delete("/notes/will", headers=ADMIN).json() == {"deleted": "will"}
    assert client.delete("/notes/rita").status_code == 401
    suspended = bearer(auth.issue("mallory").access_token)
    assert client.delete("/notes/mallory", headers=suspended).json()["detail"] == "Suspended"
    with client.websocket_connect("/notes/rita/live", headers=READER) as session:
        assert session.receive_text() == "rita"
    with (
        pytest.raises(WebSocketRejectedError) as caught,
        client.websocket_connect("/notes/will/live", headers=READER),
    ):
        pass
    assert (caught.value.code, caught.value.reason) == (1008, "Not enough permissions")


def test_a_permission_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="callable"):
        require_permission(auth, "admin")  # type: ignore[arg-type]
