"""AuthenticationMiddleware: request.user and request.auth on HTTP and WebSocket connections."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, Request
from covet.exceptions import ConfigurationError
from covet.requests import HTTPConnection
from covet.responses import JSONResponse
from covet.security import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    AuthenticationMiddleware,
    BaseUser,
    ClaimsUser,
    HMACKey,
    JWTAuthenticationBackend,
    JWTManager,
    SimpleUser,
    authenticated_user,
    has_scopes,
    require_roles,
    require_scopes,
)
from covet.stores import RedisStore
from covet.testing import TestClient, WebSocketRejectedError
from covet.websockets import WebSocket
from tests.support.redis import ThrowawayRedis, unique_prefix


class BasicAuthBackend(AuthenticationBackend):
    """Starlette's documentation example: HTTP Basic, any password."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if "Authorization" not in conn.headers:
            return None
        scheme, _, credentials = conn.headers["Authorization"].partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise AuthenticationError("Invalid basic auth credentials") from None
        username, _, _password = decoded.partition(":")
        return AuthCredentials(["authenticated"]), SimpleUser(username)


def app_with(backend: AuthenticationBackend, lifespan: Any = None, **options: Any) -> CovetPy:
    app = CovetPy(lifespan=lifespan)
    app.add_middleware(AuthenticationMiddleware, backend=backend, **options)

    @app.get("/")
    async def homepage(request: Request) -> dict[str, Any]:
        return {
            "authenticated": request.user.is_authenticated,
            "user": request.user.display_name,
            "scopes": request.auth.scopes,
            "admin": has_scopes(request, ["admin"]),
        }

    @app.get("/private")
    async def private(user: Annotated[BaseUser, Depends(authenticated_user)]) -> dict[str, str]:
        return {"user": user.identity}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"user": websocket.user.display_name})
        await websocket.close()

    return app


def basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()}


def test_starlettes_basic_backend_sets_user_and_auth() -> None:
    client = TestClient(app_with(BasicAuthBackend()))
    assert client.get("/").json() == {
        "authenticated": False,
        "user": "",
        "scopes": [],
        "admin": False,
    }
    assert client.get("/", headers=basic("ada")).json() == {
        "authenticated": True,
        "user": "ada",
        "scopes": ["authenticated"],
        "admin": False,
    }
    assert client.get("/private").status_code == 401
    assert client.get("/private", headers=basic("ada")).json() == {"user": "ada"}
    with client.websocket_connect("/ws", headers=basic("ada")) as session:
        assert session.receive_json() == {"user": "ada"}
    with client.websocket_connect("/ws") as session:
        assert session.receive_json() == {"user": ""}


def test_an_authentication_error_answers_on_error() -> None:
    client = TestClient(app_with(BasicAuthBackend()))
    bad = {"Authorization": "Basic %%%"}
    refused = client.get("/", headers=bad)
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Invalid basic auth credentials"
    with (
        pytest.raises(WebSocketRejectedError) as caught,
        client.websocket_connect("/ws", headers=bad),
    ):
        pass
    assert caught.value.code == 1008

    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=401)

    custom = TestClient(app_with(BasicAuthBackend(), on_error=on_error))
    assert custom.get("/", headers=bad).json() == {"error": "Invalid basic auth credentials"}


def jwt_app(auth: JWTManager) -> CovetPy:
    app = app_with(JWTAuthenticationBackend(auth), lifespan=auth.store.lifespan)

    @app.get("/items", dependencies=[require_scopes(authenticated_user, "items")])
    async def items(request: Request) -> dict[str, Any]:
        user: ClaimsUser = request.user
        return {"user": user.identity, "tenant": user.claims["tenant"]}

    @app.get("/admin", dependencies=[require_roles(authenticated_user, "admin")])
    async def admin() -> dict[str, bool]:
        return {"admin": True}

    return app


def manager(store: Any = None) -> JWTManager:
    return JWTManager(HMACKey(b"m" * 32), issuer="https://a", audience="a", store=store)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_jwt_backend_verifies_the_bearer_token() -> None:
    auth = manager()
    client = TestClient(jwt_app(auth))
    token = auth.issue("ada", scopes=["items"], roles=["admin"], claims={"tenant": "t1"})
    headers = bearer(token.access_token)
    assert client.get("/", headers=headers).json() == {
        "authenticated": True,
        "user": "ada",
        "scopes": ["items"],
        "admin": False,
    }
    assert client.get("/items", headers=headers).json() == {"user": "ada", "tenant": "t1"}
    assert client.get("/admin", headers=headers).json() == {"admin": True}
    plain = bearer(auth.issue("bob", claims={"tenant": "t2"}).access_token)
    assert client.get("/items", headers=plain).status_code == 403
    assert client.get("/admin", headers=plain).status_code == 403
    assert client.get("/items").status_code == 401  # anonymous
    assert client.get("/").json()["authenticated"] is False
    invalid = client.get("/", headers=bearer("e30.e30.sig"))
    assert invalid.status_code == 401
    assert invalid.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    with client.websocket_connect("/ws", headers=headers) as session:
        assert session.receive_json() == {"user": "ada"}


def test_a_revoked_token_is_refused_and_an_outage_is_503(tmp_path: Any) -> None:
    with ThrowawayRedis(tmp_path) as server:
        auth = manager(RedisStore(server.url, namespace=unique_prefix()))
        app = jwt_app(auth)

        @app.post("/logout")
        async def logout(request: Request) -> None:
            await auth.logout(request.user.claims)

        with TestClient(app) as client:
            headers = bearer(auth.issue("ada", claims={"tenant": "t"}).access_token)
            assert client.post("/logout", headers=headers).status_code == 200
            assert client.get("/", headers=headers).status_code == 401
            server.stop()
            down = client.get("/", headers=bearer(auth.issue("eve").access_token))
            assert down.status_code == 503
            with (
                pytest.raises(WebSocketRejectedError) as caught,
                client.websocket_connect("/ws", headers=headers),
            ):
                pass
            assert caught.value.code == 1013
            assert client.get("/").status_code == 200  # anonymous needs no store
            server.start()
            assert (
                client.get("/", headers=bearer(auth.issue("eve").access_token)).status_code == 200
            )


def test_request_user_without_the_middleware_names_it() -> None:
    app = CovetPy()

    @app.get("/")
    async def homepage(request: Request) -> str:
        return str(request.user)

    with pytest.raises(ConfigurationError, match="AuthenticationMiddleware"):
        TestClient(app).get("/")
    with pytest.raises(ConfigurationError, match="AuthenticationBackend"):
        AuthenticationMiddleware(app, backend=object())  # type: ignore[arg-type]
