"""Every security scheme as a dependency: credentials read, 401 challenges, OpenAPI entries."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate

from covet import CovetPy, Depends, HTTPException, Security
from covet.exceptions import ConfigurationError
from covet.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    OAuth2,
    OAuth2AuthorizationCodeBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
    OpenIdConnect,
    SecurityScopes,
)
from covet.testing import TestClient


def app_with(scheme: Any) -> TestClient:
    app = CovetPy(error_format="fastapi")

    @app.get("/me")
    async def me(value: Annotated[Any, Depends(scheme)]) -> dict[str, Any]:
        return {"value": value if value is None or isinstance(value, str) else repr(value)}

    return TestClient(app)


KEYS = [
    (APIKeyHeader(name="X-API-Key"), {"headers": {"X-API-Key": "k1"}}, "header"),
    (APIKeyQuery(name="api_key"), {"params": {"api_key": "k1"}}, "query"),
    (APIKeyCookie(name="session"), {"headers": {"Cookie": "session=k1"}}, "cookie"),
]


@pytest.mark.parametrize(("scheme", "send", "where"), KEYS, ids=[k[2] for k in KEYS])
def test_api_key_read_from_its_place(scheme: Any, send: dict[str, Any], where: str) -> None:
    client = app_with(scheme)
    response = client.get("/me", **send)
    assert response.status_code == 200, response.text
    assert response.json() == {"value": "k1"}
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Not authenticated"}
    assert missing.headers["WWW-Authenticate"] == "APIKey"
    document = client.get("/openapi.json").json()
    validate(document)
    name = type(scheme).__name__
    assert document["components"]["securitySchemes"][name] == {
        "type": "apiKey",
        "in": where,
        "name": scheme.name,
    }
    assert document["paths"]["/me"]["get"]["security"] == [{name: []}]


@pytest.mark.parametrize(
    "scheme",
    [
        APIKeyHeader(name="X-API-Key", auto_error=False),
        APIKeyQuery(name="k", auto_error=False),
        APIKeyCookie(name="k", auto_error=False),
        HTTPBearer(auto_error=False),
        HTTPBasic(auto_error=False),
        OAuth2PasswordBearer("token", auto_error=False),
        OAuth2AuthorizationCodeBearer("https://idp.example/auth", "token", auto_error=False),
        OAuth2(auto_error=False),
        OpenIdConnect(openIdConnectUrl="https://idp.example/.well-known", auto_error=False),
    ],
    ids=lambda scheme: type(scheme).__name__,
)
def test_without_auto_error_missing_credentials_inject_none(scheme: Any) -> None:
    response = app_with(scheme).get("/me")
    assert response.status_code == 200, response.text
    assert response.json() == {"value": None}


@pytest.mark.parametrize(
    ("authorization", "status", "value"),
    [
        (
            "Bearer abc.def",
            200,
            "HTTPAuthorizationCredentials(scheme='Bearer', credentials='abc.def')",
        ),
        ("bearer abc", 200, "HTTPAuthorizationCredentials(scheme='bearer', credentials='abc')"),
        (None, 401, None),
        ("Bearer", 401, None),
        ("Basic dTpw", 401, None),
    ],
    ids=["bearer", "lowercase", "missing", "no-token", "other-scheme"],
)
def test_http_bearer(authorization: str | None, status: int, value: str | None) -> None:
    client = app_with(HTTPBearer(bearerFormat="JWT", description="A JWT"))
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/me", headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json() == {"value": value}
    else:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    scheme = client.get("/openapi.json").json()["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT",
    }


def test_http_basic_credentials_and_realm() -> None:
    client = app_with(HTTPBasic(realm="staff"))
    token = base64.b64encode("zoë:pa:ss".encode()).decode()
    response = client.get("/me", headers={"Authorization": f"Basic {token}"})
    assert response.json() == {"value": repr(HTTPBasicCredentials("zoë", "pa:ss"))}
    refused = client.get("/me")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="staff"'


@pytest.mark.parametrize(
    "scheme",
    [
        OAuth2PasswordBearer("token"),
        OAuth2AuthorizationCodeBearer("https://idp.example/auth", "https://idp.example/token"),
    ],
    ids=lambda scheme: type(scheme).__name__,
)
def test_oauth2_bearers_inject_the_token(scheme: Any) -> None:
    client = app_with(scheme)
    assert client.get("/me", headers={"Authorization": "Bearer t0k"}).json() == {"value": "t0k"}
    for headers in ({}, {"Authorization": "Basic dTpw"}, {"Authorization": "Bearer "}):
        refused = client.get("/me", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_oauth2_flows_in_openapi() -> None:
    app = CovetPy()
    password = OAuth2PasswordBearer("token", scopes={"read": "Read"}, refreshUrl="refresh")
    code = OAuth2AuthorizationCodeBearer(
        "https://idp.example/auth", "https://idp.example/token", scheme_name="idp"
    )
    oidc = OpenIdConnect(openIdConnectUrl="https://idp.example/.well-known/openid-configuration")

    @app.get("/a")
    async def a(token: Annotated[str, Depends(password)]) -> str:
        return token

    @app.get("/b")
    async def b(token: Annotated[str, Depends(code)], raw: Annotated[str, Depends(oidc)]) -> str:
        return token + raw

    document = TestClient(app).get("/openapi.json").json()
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"] == {
        "password": {"tokenUrl": "token", "scopes": {"read": "Read"}, "refreshUrl": "refresh"}
    }
    assert schemes["idp"]["flows"]["authorizationCode"] == {
        "authorizationUrl": "https://idp.example/auth",
        "tokenUrl": "https://idp.example/token",
        "scopes": {},
    }
    assert schemes["OpenIdConnect"]["type"] == "openIdConnect"
    assert document["paths"]["/b"]["get"]["security"] == [{"idp": []}, {"OpenIdConnect": []}]


def test_password_form() -> None:
    app = CovetPy(error_format="fastapi")

    @app.post("/token")
    async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
        return {**vars(form)}

    @app.post("/strict")
    async def strict(form: Annotated[OAuth2PasswordRequestFormStrict, Depends()]) -> str:
        return form.username

    client = TestClient(app)
    data = {"username": "u", "password": "p", "scope": "a  b", "client_id": "c"}
    assert client.post("/token", data=data).json() == {
        "grant_type": None,
        "username": "u",
        "password": "p",
        "scopes": ["a", "b"],
        "client_id": "c",
        "client_secret": None,
    }
    assert client.post("/token", data={**data, "grant_type": "code"}).status_code == 422
    assert client.post("/token", data={"username": "u"}).status_code == 422
    assert client.post("/strict", data=data).status_code == 422
    assert client.post("/strict", data={**data, "grant_type": "password"}).json() == "u"


def test_scheme_answering_403_by_override() -> None:
    class Bearer403(HTTPBearer):
        def make_not_authenticated_error(self) -> HTTPException:
            return HTTPException(403, "Not authenticated")

    response = app_with(Bearer403()).get("/me")
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers


def test_problem_details_keep_the_challenge() -> None:
    app = CovetPy()

    @app.get("/me")
    async def me(token: Annotated[str, Depends(OAuth2PasswordBearer("token"))]) -> str:
        return token

    response = TestClient(app).get("/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_security_scopes_accumulate_and_cache_per_scopes() -> None:
    app = CovetPy()
    scheme = OAuth2PasswordBearer("token", scopes={"a": "A", "b": "B"})
    calls: list[list[str]] = []

    async def principal(scopes: SecurityScopes, token: Annotated[str, Depends(scheme)]) -> str:
        calls.append(scopes.scopes)
        return scopes.scope_str

    async def reader(who: Annotated[str, Security(principal, scopes=["a"])]) -> str:
        return who

    @app.get("/x", dependencies=[Security(principal, scopes=["b"])])
    async def x(
        first: Annotated[str, Security(reader, scopes=["b"])],
        again: Annotated[str, Security(principal, scopes=["b", "a"])],
        plain: Annotated[str, Depends(principal)],
    ) -> list[str]:
        return [first, again, plain]

    client = TestClient(app)
    response = client.get("/x", headers={"Authorization": "Bearer t"})
    assert response.json() == ["b a", "b a", ""]
    # One call per distinct set of scopes: [b], [b, a] (shared by two paths), and none.
    assert calls == [["b"], ["b", "a"], []]
    security = client.get("/openapi.json").json()["paths"]["/x"]["get"]["security"]
    assert security == [
        {"OAuth2PasswordBearer": ["b"]},
        {"OAuth2PasswordBearer": ["b", "a"]},
        {"OAuth2PasswordBearer": []},
    ]


def test_security_scopes_must_be_strings() -> None:
    with pytest.raises(ConfigurationError, match="list of strings"):
        Security(lambda: None, scopes="items")  # type: ignore[arg-type]


def test_two_schemes_of_one_name_declared_differently_are_refused() -> None:
    app = CovetPy()

    @app.get("/a")
    async def a(t: Annotated[str, Depends(OAuth2PasswordBearer("token"))]) -> str:
        return t

    @app.get("/b")
    async def b(t: Annotated[str, Depends(OAuth2PasswordBearer("other"))]) -> str:
        return t

    with pytest.raises(ConfigurationError, match="OAuth2PasswordBearer"):
        app.openapi()


def test_credentials_are_plain_data() -> None:
    assert HTTPAuthorizationCredentials("Bearer", "t").credentials == "t"
    assert HTTPBasicCredentials("u", "p").password == "p"
