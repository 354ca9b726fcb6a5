"""CSRFMiddleware: session-bound and double-submit tokens, Origin checks, exemptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.limits import Limits
from covet.middleware import CSRFMiddleware, SessionMiddleware, csrf_token
from covet.requests import Request
from covet.responses import HTMLResponse
from covet.testing import TestClient
from covet.testing.exceptions import LifespanError

KEY = "csrf-" + "k" * 40
HTTPS = "https://testserver"
ORIGIN = {"origin": HTTPS}


def make_app(with_session: bool, **options: Any) -> CovetPy:
    app = CovetPy()
    if not with_session:
        options.setdefault("secret_keys", [KEY])
    app.add_middleware(CSRFMiddleware, **options)
    if with_session:
        app.add_middleware(SessionMiddleware, secret_keys=[KEY])

    @app.get("/form")
    async def form(request: Request) -> HTMLResponse:
        token = csrf_token(request)
        return HTMLResponse(f'<input name="csrf_token" value="{token}">')

    @app.get("/token")
    async def token(request: Request) -> dict[str, str]:
        return {"token": csrf_token(request)}

    @app.post("/transfer")
    async def transfer(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {"done": True, "amount": form.get("amount")}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {"amount": form.get("amount"), "size": len(await form["f"].read())}

    @app.delete("/item")
    async def delete() -> dict[str, bool]:
        return {"deleted": True}

    @app.post("/webhook", opt={"csrf": False})
    async def webhook() -> dict[str, bool]:
        return {"hooked": True}

    @app.post("/hooks/github")
    async def github() -> dict[str, bool]:
        return {"hooked": True}

    return app


@pytest.fixture(params=["session", "cookie"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    app = make_app(request.param == "session", exempt_paths=["/hooks/"])
    with TestClient(app, base_url=HTTPS, headers=ORIGIN) as client:
        yield client


def token(client: TestClient) -> str:
    return str(client.get("/token").json()["token"])


def test_a_valid_header_token_passes(client: TestClient) -> None:
    value = token(client)
    response = client.delete("/item", headers={"x-csrf-token": value})
    assert response.json() == {"deleted": True}


def test_a_valid_form_field_passes_and_the_handler_still_reads_the_form(
    client: TestClient,
) -> None:
    value = token(client)
    response = client.post("/transfer", data={"amount": "10", "csrf_token": value})
    assert response.json() == {"done": True, "amount": "10"}


def test_tokens_are_masked_differently_each_time_and_all_valid(client: TestClient) -> None:
    first, second = token(client), token(client)
    assert first != second
    for value in (first, second):
        assert client.delete("/item", headers={"x-csrf-token": value}).status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"x-csrf-token": "nonsense"}, "invalid"),
        ({"x-csrf-token": "A" * 86}, "invalid"),
        ({"x-csrf-token": "A" * 5000}, "invalid"),
    ],
    ids=["missing", "garbage", "wrong", "huge"],
)
def test_bad_tokens_are_403_problems(
    client: TestClient, headers: dict[str, str], reason: str
) -> None:
    token(client)  # the client has a secret
    response = client.post("/transfer", headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert reason in response.json()["detail"]


BOUNDARY = "csrf-boundary-7f3a"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def multipart(*parts: tuple[str, str | bytes]) -> bytes:
    """A multipart body with ``parts`` in this order; ``bytes`` values are file parts."""
    out = b""
    for name, value in parts:
        out += f"--{BOUNDARY}\r\n".encode()
        if isinstance(value, bytes):
            out += f'Content-Disposition: form-data; name="{name}"; filename="a.bin"\r\n'.encode()
            out += b"Content-Type: application/octet-stream\r\n\r\n" + value + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    return out + f"--{BOUNDARY}--\r\n".encode()


def test_a_multipart_token_field_passes_and_the_handler_reads_the_whole_form(
    client: TestClient,
) -> None:
    value = token(client)
    data = b"\x00\xff" * 300_000  # a file of 600 kB after the token, streamed on to the app
    body = multipart(("csrf_token", value), ("amount", "7"), ("f", data))
    response = client.post("/upload", content=body, headers=MULTIPART)
    assert response.json() == {"amount": "7", "size": len(data)}


def test_a_multipart_token_after_a_file_is_found(client: TestClient) -> None:
    value = token(client)
    body = multipart(("f", b"abc"), ("amount", "2"), ("csrf_token", value))
    response = client.post("/upload", content=body, headers=MULTIPART)
    assert response.json() == {"amount": "2", "size": 3}


def test_httpx_multipart_forms_pass_with_the_field(client: TestClient) -> None:
    value = token(client)
    response = client.post("/upload", data={"csrf_token": value, "amount": "3"}, files={"f": b"xy"})
    assert response.json() == {"amount": "3", "size": 2}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (multipart(("amount", "1"), ("f", b"x")), "missing"),
        (multipart(("csrf_token", "A" * 86), ("f", b"x")), "invalid"),
        (b"--not-the-boundary\r\ngarbage", "missing"),
        (multipart(("f", b"x")).replace(f"--{BOUNDARY}--".encode(), b""), "missing"),
    ],
    ids=["no-field", "wrong-token", "garbage", "truncated"],
)
def test_bad_multipart_forms_are_403_problems(client: TestClient, body: bytes, reason: str) -> None:
    token(client)
    response = client.post("/upload", content=body, headers=MULTIPART)
    assert response.status_code == 403
    assert reason in response.json()["detail"]


def test_a_multipart_body_over_the_limit_before_the_token_is_a_413() -> None:
    app = make_app(True)
    app.limits = Limits(max_body_size=10_000)
    with TestClient(app, base_url=HTTPS, headers=ORIGIN) as client:
        value = token(client)
        body = multipart(("f", b"x" * 20_000), ("csrf_token", value))
        response = client.post("/upload", content=body, headers=MULTIPART)
    assert response.status_code == 413


@pytest.mark.parametrize("with_session", [True, False], ids=["session", "cookie"])
def test_without_python_multipart_a_multipart_form_is_told_to_send_the_header(
    with_session: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import covet.middleware.csrf as csrf_module

    monkeypatch.setattr(csrf_module, "_python_multipart_installed", lambda: False)
    with TestClient(make_app(with_session), base_url=HTTPS, headers=ORIGIN) as client:
        refused_then_passed(client)


def refused_then_passed(client: TestClient) -> None:
    value = token(client)
    response = client.post("/transfer", content=multipart(("csrf_token", value)), headers=MULTIPART)
    assert response.status_code == 403
    assert "covetpy[multipart]" in response.json()["detail"]
    with_header = client.post(
        "/upload", data={"amount": "3"}, files={"f": b"x"}, headers={"x-csrf-token": value}
    )
    assert with_header.json() == {"amount": "3", "size": 1}


def test_no_secret_yet_is_a_403(client: TestClient) -> None:
    response = client.post("/transfer", headers={"x-csrf-token": "A" * 86})
    assert response.status_code == 403


def test_safe_methods_are_never_checked(client: TestClient) -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        response = client.request(method, "/form", headers={"origin": "https://evil.com"})
        assert response.status_code in (200, 204), method


def test_exempt_routes_and_paths(client: TestClient) -> None:
    assert client.post("/webhook").json() == {"hooked": True}
    assert client.post("/hooks/github").json() == {"hooked": True}


@pytest.mark.parametrize(
    "origin",
    ["https://evil.com", "null", "http://testserver", "https://testserver.evil.com"],
    ids=["other-site", "null", "downgraded-scheme", "suffix"],
)
def test_a_foreign_origin_is_refused_even_with_a_token(client: TestClient, origin: str) -> None:
    value = token(client)
    response = client.delete("/item", headers={"x-csrf-token": value, "origin": origin})
    assert response.status_code == 403
    assert "Origin" in response.json()["detail"]


def test_trusted_origins_pass() -> None:
    app = make_app(True, trusted_origins=["https://app.example.org"])
    with TestClient(app, base_url=HTTPS, headers={"origin": "https://app.example.org"}) as client:
        value = token(client)
        assert client.delete("/item", headers={"x-csrf-token": value}).status_code == 200


def test_https_without_origin_needs_a_same_origin_referer(client: TestClient) -> None:
    value = token(client)
    del client.headers["origin"]
    assert client.delete("/item", headers={"x-csrf-token": value}).status_code == 403
    bad = client.delete("/item", headers={"x-csrf-token": value, "referer": "https://evil.com/x"})
    assert bad.status_code == 403
    good = client.delete(
        "/item", headers={"x-csrf-token": value, "referer": "https://testserver/form"}
    )
    assert good.status_code == 200


def test_a_token_from_another_session_is_refused() -> None:
    app = make_app(True)
    with (
        TestClient(app, base_url=HTTPS, headers=ORIGIN) as mallory,
        TestClient(app, base_url=HTTPS, headers=ORIGIN) as victim,
    ):
        stolen = token(mallory)
        token(victim)
        response = victim.delete("/item", headers={"x-csrf-token": stolen})
        assert response.status_code == 403
        assert "invalid" in response.json()["detail"]


def test_a_double_submit_cookie_from_another_key_is_refused() -> None:
    with TestClient(
        make_app(False, secret_keys=["o" * 40]), base_url=HTTPS, headers=ORIGIN
    ) as other:
        value = token(other)
        forged = other.cookies["__Host-csrf"]
    with TestClient(make_app(False), base_url=HTTPS, headers=ORIGIN) as client:
        response = client.delete(
            "/item", headers={"x-csrf-token": value, "cookie": f"__Host-csrf={forged}"}
        )
        assert response.status_code == 403


def test_an_oversized_form_is_a_413_not_buffered() -> None:
    app = make_app(True)
    app.limits = Limits(max_body_size=1000)
    with TestClient(app, base_url=HTTPS, headers=ORIGIN) as client:
        token(client)
        response = client.post("/transfer", data={"x": "y" * 5000})
        assert response.status_code == 413


def test_settings_are_checked_when_built() -> None:
    with pytest.raises(ConfigurationError, match="trusted origin"):
        CSRFMiddleware(make_app(True), trusted_origins=["app.example.org"])
    with pytest.raises(ConfigurationError, match="32"):
        CSRFMiddleware(make_app(True), secret_keys=["short"])


@pytest.mark.parametrize("order", ["none", "session-inside"])
def test_without_a_session_around_it_or_keys_the_app_does_not_start(order: str) -> None:
    app = CovetPy()
    if order == "session-inside":
        app.add_middleware(SessionMiddleware, secret_keys=[KEY])
    app.add_middleware(CSRFMiddleware)
    with pytest.raises(LifespanError, match="SessionMiddleware around it"), TestClient(app):
        pass


def test_without_the_lifespan_a_missing_secret_store_names_both() -> None:
    app = CovetPy()
    app.add_middleware(CSRFMiddleware)

    @app.get("/token")
    async def get_token(request: Request) -> dict[str, str]:
        return {"token": csrf_token(request)}

    client = TestClient(app)
    with pytest.raises(ConfigurationError, match="SessionMiddleware"):
        client.get("/token")


def test_csrf_token_without_the_middleware_names_it() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(request: Request) -> dict[str, str]:
        return {"token": csrf_token(request)}

    with TestClient(app) as client, pytest.raises(ConfigurationError, match="CSRFMiddleware"):
        client.get("/")
