"""Route options: the accepted ones are kept, an unknown one (a typo) fails at registration."""

from __future__ import annotations

from typing import Any

import pytest

from covet import ConfigurationError, CovetPy, Depends, Router
from covet.routing.controller import Controller
from covet.testing import TestClient


async def handler() -> dict[str, str]:
    return {"ok": "yes"}


async def token() -> str:
    return "t"


KNOWN_OPTIONS: dict[str, Any] = {
    "operation_id": "read_it",
    "response_description": "The answer",
    "response_model": dict[str, str],
    "responses": {404: {"description": "Missing"}},
    "summary": "Read",
    "description": "Reads it.",
    "deprecated": True,
    "dependencies": [Depends(token)],
}


def test_every_accepted_option_is_kept_on_the_route() -> None:
    app = CovetPy()
    app.get("/x", **KNOWN_OPTIONS)(handler)
    (route,) = app.routes
    assert route.options == KNOWN_OPTIONS
    assert TestClient(app).get("/x").json() == {"ok": "yes"}


@pytest.mark.parametrize(
    "register",
    [
        lambda app: app.get("/x", respone_model=dict),
        lambda app: app.post("/x", respone_model=dict),
        lambda app: app.route("/x", methods=["PUT"], respone_model=dict),
        lambda app: Router(prefix="/r").get("/x", respone_model=dict),
    ],
    ids=["app.get", "app.post", "app.route", "router.get"],
)
def test_an_unknown_option_is_a_type_error_at_registration(register: Any) -> None:
    app = CovetPy()
    with pytest.raises(ConfigurationError) as caught:
        register(app)
    message = str(caught.value)
    assert "'respone_model'" in message
    assert "did you mean 'response_model'?" in message
    assert "'/x'" in message
    for accepted in ("response_model", "operation_id", "response_description", "status_code"):
        assert accepted in message
    assert app.routes == []


def test_every_unknown_option_is_named() -> None:
    with pytest.raises(ConfigurationError, match="'colour', 'zzz'"):
        CovetPy().get("/x", zzz=1, colour="red")


def test_an_unknown_option_of_a_controller_fails_when_its_router_is_built() -> None:
    class Things(Controller, prefix="/things"):
        @Controller.get("", stauts_code=201)
        async def list_things(self) -> list[str]:
            return []

    with pytest.raises(
        ConfigurationError, match="'stauts_code' \\(did you mean 'status_code'\\?\\)"
    ):
        Things.as_router()
