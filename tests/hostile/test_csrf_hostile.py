"""Hostile CSRF attempts: foreign tokens, forged cookies, cross-site origins, huge tokens."""

from __future__ import annotations

import time
from typing import Any

from covet import CovetPy
from covet.middleware import CSRFMiddleware, SessionMiddleware, csrf_token
from covet.requests import Request
from covet.testing import TestClient

KEY = "hostile-csrf-" + "k" * 40
HTTPS = "https://testserver"


def bank() -> CovetPy:
    app = CovetPy()
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(SessionMiddleware, secret_keys=[KEY])

    @app.post("/login/{user}", opt={"csrf": False})
    async def login(request: Request, user: str) -> dict[str, str]:
        request.session.login(user)
        return {"token": csrf_token(request)}

    @app.post("/transfer")
    async def transfer(request: Request) -> dict[str, Any]:
        return {"from": request.session.user_id}

    return app


def timed(client: TestClient, **kwargs: Any) -> Any:
    start = time.perf_counter()
    response = client.post("/transfer", **kwargs)
    assert time.perf_counter() - start < 0.5
    return response


def test_a_token_from_another_session_is_refused_and_the_app_keeps_serving() -> None:
    app = bank()
    origin = {"origin": HTTPS}
    with (
        TestClient(app, base_url=HTTPS, headers=origin) as mallory,
        TestClient(app, base_url=HTTPS, headers=origin) as victim,
    ):
        mallorys = mallory.post("/login/mallory").json()["token"]
        victims = victim.post("/login/ann").json()["token"]
        assert timed(victim, headers={"x-csrf-token": mallorys}).status_code == 403
        assert timed(mallory, headers={"x-csrf-token": victims}).status_code == 403
        assert timed(victim, headers={"x-csrf-token": victims}).json() == {"from": "ann"}


def test_cross_site_form_posts_are_refused_before_the_handler() -> None:
    with TestClient(bank(), base_url=HTTPS) as victim:
        valid = victim.post("/login/ann", headers={"origin": HTTPS}).json()["token"]
        for origin in (
            "https://evil.com",
            "null",
            "https://testserver.evil.com",
            "http://testserver",
        ):
            response = timed(victim, data={"csrf_token": valid}, headers={"origin": origin})
            assert response.status_code == 403, origin


def test_pathological_tokens_answer_fast() -> None:
    with TestClient(bank(), base_url=HTTPS, headers={"origin": HTTPS}) as client:
        client.post("/login/ann")
        for token in ("=" * 100_000, "\\" * 100_000, "A" * 100_000, "%00" * 1000):
            assert timed(client, headers={"x-csrf-token": token}).status_code == 403
        form = "csrf_token=" + "A" * 500_000
        response = timed(
            client,
            content=form,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 403
