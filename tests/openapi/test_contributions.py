"""Dependencies adding security schemes, requirements and responses to the document."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate

from covet import CovetPy, Depends, HTTPException, Request
from covet.exceptions import ConfigurationError
from covet.openapi import ContributesToOpenAPI, OpenAPIContribution
from covet.testing import TestClient


class APIKeyHeader:
    """A small API-key dependency, as the auth subsystem will ship one."""

    def __init__(self, name: str, scheme_name: str = "ApiKeyAuth") -> None:
        self.name = name
        self.scheme_name = scheme_name

    def openapi_contribution(self) -> OpenAPIContribution:
        scheme = {"type": "apiKey", "in": "header", "name": self.name}
        return OpenAPIContribution(
            security_schemes={self.scheme_name: scheme},
            security=[{self.scheme_name: []}],
            responses={401: {"description": "Missing or wrong API key"}},
        )

    def __call__(self, request: Request) -> str:
        key = request.headers.get(self.name)
        if key != "secret":
            raise HTTPException(401, "Missing or wrong API key")
        return key


api_key = APIKeyHeader("X-API-Key")


def current_user(key: Annotated[str, Depends(api_key)]) -> dict[str, str]:
    return {"name": "ada", "key": key}


def make_app() -> CovetPy:
    app = CovetPy()

    @app.get("/me")
    async def me(user: Annotated[dict[str, str], Depends(current_user)]) -> dict[str, str]:
        return user

    @app.get("/admin", dependencies=[Depends(api_key)], responses={401: {"description": "No"}})
    async def admin() -> dict[str, bool]:
        return {"admin": True}

    @app.get("/public")
    async def public() -> dict[str, bool]:
        return {"public": True}

    return app


def test_a_dependency_at_any_depth_adds_its_scheme_and_requirement() -> None:
    app = make_app()
    document = app.openapi()
    validate(document)
    assert document["components"]["securitySchemes"] == {
        "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    }
    me = document["paths"]["/me"]["get"]
    assert me["security"] == [{"ApiKeyAuth": []}]
    assert me["responses"]["401"] == {"description": "Missing or wrong API key"}
    admin = document["paths"]["/admin"]["get"]
    assert admin["security"] == [{"ApiKeyAuth": []}]
    assert admin["responses"]["401"] == {"description": "No"}  # the route's own wins
    assert "security" not in document["paths"]["/public"]["get"]
    assert isinstance(api_key, ContributesToOpenAPI)


def test_the_documented_dependency_still_guards_the_route() -> None:
    client = TestClient(make_app())
    assert client.get("/me").status_code == 401
    assert client.get("/me", headers={"X-API-Key": "secret"}).json() == {
        "name": "ada",
        "key": "secret",
    }


def test_two_schemes_of_one_name_must_be_identical() -> None:
    app = CovetPy()
    other = APIKeyHeader("X-Other-Key")

    @app.get("/a")
    async def a(key: str = Depends(api_key)) -> None:
        return None

    @app.get("/b")
    async def b(key: str = Depends(other)) -> None:
        return None

    with pytest.raises(ConfigurationError, match="Security scheme 'ApiKeyAuth' is declared"):
        app.openapi()


def test_a_contribution_of_the_wrong_type_is_refused() -> None:
    class Broken:
        def openapi_contribution(self) -> Any:
            return {"securitySchemes": {}}

        def __call__(self) -> None:
            return None

    app = CovetPy()

    @app.get("/")
    async def index(value: None = Depends(Broken())) -> None:
        return None

    with pytest.raises(ConfigurationError, match="not an OpenAPIContribution"):
        app.openapi()
