"""Hostile HTTP input through the TestClient: every bad request is a 4xx problem, never a 500.

Requests go through httpx, so they are well-formed HTTP; the malice is in paths, bodies,
headers and query strings. Bytes httpx cannot send are in ``test_hostile_wire.py`` (raw
sockets) and ``test_hostile_asgi.py`` (raw ASGI messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from covet import CovetPy, Limits, RedirectResponse, Request, Response
from covet.forms import UploadFile
from covet.testing import TestClient

SECRET = "hunter2-hostile-9c4e"
BODY_LIMIT = 4096
JSON_LIMIT = 256 * 1024  # the JSON route's own max_body_size: room for deep documents
LIMITS = Limits(
    max_body_size=BODY_LIMIT,
    max_form_fields=5,
    max_form_files=2,
    max_part_size=1024,
    max_part_header_size=1024,
)
SAFE_LOCATION = re.compile(r"^/[^/\\]")
BOUNDARY = "hostile-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def build_app() -> tuple[CovetPy, list[str]]:
    """An app with one route per kind of input, and a log of the handlers that ran."""
    app = CovetPy(limits=LIMITS)
    calls: list[str] = []

    @app.get("/")
    async def index() -> dict[str, str]:
        calls.append("index")
        return {"hello": "world"}

    @app.post("/json", max_body_size=JSON_LIMIT)
    async def echo_json(request: Request) -> Any:
        calls.append("json")
        return {"received": await request.json()}

    @app.post("/body")
    async def body_size(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/form")
    async def form(request: Request) -> dict[str, Any]:
        parsed = await request.form()
        summary = {
            name: value.size if isinstance(value, UploadFile) else value
            for name, value in parsed.multi_items()
        }
        await request.close()
        return summary

    @app.get("/query")
    async def query(request: Request) -> dict[str, int]:
        return {"count": len(request.query_params.multi_items())}

    @app.get("/header/dict")
    async def header_dict(request: Request) -> Response:
        return Response("ok", headers={"X-Echo": request.query_params["v"]})

    @app.get("/header/mutable")
    async def header_mutable(request: Request) -> Response:
        response = Response("ok")
        response.headers["X-Echo"] = request.query_params["v"]
        return response

    @app.get("/header/cookie")
    async def header_cookie(request: Request) -> Response:
        response = Response("ok")
        response.set_cookie("echo", request.query_params["v"])
        return response

    @app.get("/header/redirect")
    async def header_redirect(request: Request) -> Response:
        return RedirectResponse("/landing?next=" + request.query_params["v"])

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        peer = request.client
        return {"client": None if peer is None else list(peer), "host": request.url.hostname}

    @app.get("/boom/runtime")
    async def boom_runtime() -> None:
        raise RuntimeError(f"connecting with password {SECRET}")

    @app.get("/boom/sync")
    def boom_sync() -> None:
        raise ValueError(SECRET)

    @app.get("/boom/key")
    async def boom_key(request: Request) -> None:
        raise KeyError({"token": SECRET})

    @app.get("/boom/header")
    async def boom_header() -> Response:
        return Response("ok", headers={"X-Token": f"{SECRET}\r\nX-Leak: 1"})

    @app.get("/dashboard")
    async def dashboard() -> dict[str, str]:
        return {"page": "dashboard"}

    @app.get("/{name}")
    async def page(name: str) -> dict[str, str]:
        return {"name": name}

    @app.get("/files/{path:path}")
    async def files(path: str) -> dict[str, str]:
        return {"path": path}

    return app, calls


@pytest.fixture
def app_and_calls() -> tuple[CovetPy, list[str]]:
    return build_app()


@pytest.fixture
def client(app_and_calls: tuple[CovetPy, list[str]]) -> Iterator[TestClient]:
    with TestClient(app_and_calls[0], raise_server_exceptions=False) as test_client:
        yield test_client


def assert_problem(response: httpx.Response, status: int) -> None:
    """The response is an RFC 9457 problem with ``status`` and no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert "Traceback" not in response.text


def multipart(*parts: str, closed: bool = True) -> bytes:
    """A multipart body made of ``parts``; lone surrogates stand for raw (invalid) bytes."""
    end = f"--{BOUNDARY}--\r\n" if closed else ""
    return ("".join(parts) + end).encode("utf-8", "surrogateescape")


def part(name: str, value: str, filename: str | None = None, extra: str = "") -> str:
    """One multipart part; ``extra`` is added to its header block."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{extra}\r\n{value}\r\n"


# -- paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/%zz", "/%ff%fe", "/%00", "/a%00b", "/caf%C3", "/%C0%AF", "/%ED%A0%80", "/a%2", "/a%"],
    ids=[
        "bad-escape",
        "invalid-utf8",
        "nul",
        "nul-inside",
        "truncated-utf8",
        "overlong-utf8",
        "utf8-surrogate",
        "short-escape",
        "lone-percent",
    ],
)
def test_malformed_path_is_400(client: TestClient, path: str) -> None:
    response = client.get("http://testserver" + path)

    assert_problem(response, 400)


def test_valid_percent_encoded_path_is_routed(client: TestClient) -> None:
    response = client.get("/caf%C3%A9")

    assert response.json() == {"name": "café"}


@pytest.mark.parametrize(
    ("path", "root_path"),
    [
        ("//evil.com/", ""),
        ("/\\evil.com/", ""),
        ("/%5Cevil.com/", ""),
        ("/%2F%2Fevil.com/", ""),
        ("/%2Fevil.com/", ""),
        ("/%09/evil.com/", ""),
        ("/files//evil.com/", ""),
        ("/evil.com/", "/"),
        ("/dashboard/", "/"),
    ],
    ids=[
        "double-slash",
        "backslash",
        "encoded-backslash",
        "encoded-double-slash",
        "encoded-slash",
        "tab",
        "path-convertor",
        "root-path-slash",
        "root-path-slash-static",
    ],
)
def test_slash_redirect_never_leaves_the_site(
    app_and_calls: tuple[CovetPy, list[str]], path: str, root_path: str
) -> None:
    app, _ = app_and_calls
    with TestClient(app, root_path=root_path, follow_redirects=False) as client:
        response = client.get("http://testserver" + path)

    assert response.status_code < 500
    assert "Traceback" not in response.text
    location = response.headers.get("location")
    if location is not None:
        assert SAFE_LOCATION.match(location), location


def test_slash_redirect_still_works(client: TestClient) -> None:
    response = client.get("/dashboard/?tab=1", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == "/dashboard?tab=1"


# -- JSON ---------------------------------------------------------------------------------

DEEP = 100
DEEPER = 10_000


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1',
        b'{"a": 1} trailing',
        b"{'a': 1}",
        b"",
        b'"\xff\xfe"',
        b"\xef\xbb\xbf{}",
        b"[" * DEEP + b"]" * DEEP,
        b"[" * DEEPER + b"]" * DEEPER,
        b'{"a":' * DEEPER + b"1" + b"}" * DEEPER,
        b"[" * 100_000,
        b"1" * 5000,
        b"0." + b"1" * 5000,
        b"1" * 101,
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b'{"x": [1, NaN]}',
        b"1e999",
        b"-1e999",
        b'"\\ud800"',
        b'{"\\udc00": 1}',
    ],
    ids=[
        "truncated",
        "trailing-garbage",
        "single-quotes",
        "empty",
        "invalid-utf8",
        "utf8-bom",
        "nested-100",
        "nested-10000",
        "objects-nested-10000",
        "unclosed-100000",
        "int-5000-digits",
        "float-5000-digits",
        "int-101-digits",
        "nan",
        "infinity",
        "minus-infinity",
        "nested-nan",
        "overflow-to-infinity",
        "overflow-to-minus-infinity",
        "lone-high-surrogate",
        "lone-low-surrogate-key",
    ],
)
def test_bad_json_is_400(client: TestClient, body: bytes) -> None:
    response = client.post("/json", content=body, headers={"content-type": "application/json"})

    assert_problem(response, 400)
    assert "RecursionError" not in response.text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[" * 64 + b"]" * 64, "nested"),
        (b'["' + b"[" * 1000 + b'"]', ["[" * 1000]),
        (b"1" * 100, int("1" * 100)),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b"1e308", 1e308),
    ],
    ids=["nested-64", "brackets-in-string", "int-100-digits", "surrogate-pair", "big-float"],
)
def test_json_at_the_limits_is_accepted(client: TestClient, body: bytes, expected: Any) -> None:
    response = client.post("/json", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 200
    if expected != "nested":
        assert response.json() == {"received": expected}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        None,
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "text/json",
        "multipart/form-data; boundary=x",
    ],
    ids=["text-plain", "missing", "form", "jsonx", "text-json", "multipart"],
)
def test_json_with_another_content_type_is_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}

    response = client.post("/json", content=b'{"a": 1}', headers=headers)

    assert_problem(response, 415)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "APPLICATION/JSON; charset=utf-8", "application/problem+json"],
    ids=["plain", "upper-case-with-charset", "plus-json"],
)
def test_json_content_types_are_accepted(client: TestClient, content_type: str) -> None:
    response = client.post("/json", content=b'{"a": 1}', headers={"content-type": content_type})

    assert response.json() == {"received": {"a": 1}}


# -- body size ----------------------------------------------------------------------------


def chunked(data: bytes, size: int = 1000) -> Iterator[bytes]:
    """``data`` as a generator, so httpx sends it without Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_body_just_over_the_limit_is_413(client: TestClient, declared: bool) -> None:
    data = b"x" * (BODY_LIMIT + 1)

    response = client.post("/body", content=data if declared else chunked(data))

    assert_problem(response, 413)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_body_at_the_limit_is_accepted(client: TestClient, declared: bool) -> None:
    data = b"x" * BODY_LIMIT

    response = client.post("/body", content=data if declared else chunked(data))

    assert response.json() == {"size": BODY_LIMIT}


def test_json_body_over_the_limit_is_413_not_parsed(client: TestClient) -> None:
    data = b"[" + b"1," * (JSON_LIMIT // 2) + b"1]"

    response = client.post("/json", content=data, headers={"content-type": "application/json"})

    assert_problem(response, 413)


# -- query string -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["&".join(f"p{i}=v" for i in range(2000)), "a=1&" * 1001, "a&" * 5000],
    ids=["2000-params", "1001-repeated", "5000-bare-names"],
)
def test_too_many_query_params_is_400(client: TestClient, query: str) -> None:
    response = client.get("/query?" + query)

    assert_problem(response, 400)


def test_query_params_at_the_limit_are_accepted(client: TestClient) -> None:
    response = client.get("/query?" + "&".join(f"p{i}=v" for i in range(1000)))

    assert response.json() == {"count": 1000}


# -- header injection ---------------------------------------------------------------------

INJECTION = "a\r\nX-Injected: yes\r\n\r\n<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("route", "status"),
    [
        ("/header/dict", 500),
        ("/header/mutable", 500),
        ("/header/cookie", 200),
        ("/header/redirect", 307),
    ],
    ids=["headers-argument", "mutable-headers", "set-cookie", "redirect-location"],
)
def test_crlf_from_user_input_never_splits_the_response(
    client: TestClient, route: str, status: int
) -> None:
    response = client.get(route, params={"v": INJECTION}, follow_redirects=False)

    assert response.status_code == status
    assert "x-injected" not in response.headers
    assert "x-echo" not in response.headers
    for name, value in response.headers.raw:
        assert b"\r" not in name + value
        assert b"\n" not in name + value
    assert "<script>" not in response.text
    assert "Traceback" not in response.text


# -- multipart ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (multipart(*(part(f"f{i}", "v") for i in range(6))), None, 400),
        (multipart(*(part(f"u{i}", "v", f"{i}.txt") for i in range(3))), None, 400),
        (multipart(part("big", "x" * 1025)), None, 413),
        (multipart(part("f", "x" * (BODY_LIMIT + 1), "big.bin")), None, 413),
        (multipart(part("a", "1", extra="X-Pad: " + "p" * 2000 + "\r\n")), None, 400),
        (multipart(part("a", "1", extra="X-A: b\r\n" * 300)), None, 400),
        (multipart(part("a", "1"), closed=False), None, 400),
        (b"", None, 400),
        (b"not multipart at all", None, 400),
        (f"--{BOUNDARY}\r\nX-No-Disposition: y\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(), None, 400),
        (multipart(part("a", "1")), "multipart/form-data", 400),
        (multipart(part("a", "1")), "multipart/form-data; boundary=", 400),
        (multipart(part("a", "1")), f'multipart/form-data; boundary="{"b" * 300}"', 400),
        (multipart(part("a", "1")), "text/plain", 415),
        (multipart(part("a", "\udcff")), None, 400),
    ],
    ids=[
        "too-many-fields",
        "too-many-files",
        "part-over-max-part-size",
        "file-over-body-limit",
        "huge-part-headers",
        "many-part-headers",
        "missing-closing-boundary",
        "empty-body",
        "garbage",
        "no-content-disposition",
        "no-boundary",
        "empty-boundary",
        "boundary-too-long",
        "not-a-form",
        "invalid-utf8-field",
    ],
)
def test_multipart_abuse_is_4xx(
    client: TestClient, body: bytes, content_type: str | None, status: int
) -> None:
    headers = MULTIPART if content_type is None else {"content-type": content_type}

    response = client.post("/form", content=body, headers=headers)

    assert_problem(response, status)


def test_multipart_at_the_limits_is_accepted(client: TestClient) -> None:
    body = multipart(
        *(part(f"f{i}", "v") for i in range(4)),
        part("edge", "y" * 1024),
        part("u0", "x" * 1500, "a.bin"),
        part("u1", "", "empty.bin"),
    )
    assert len(body) <= BODY_LIMIT

    response = client.post("/form", content=body, headers=MULTIPART)

    assert response.status_code == 200
    assert response.json() == {
        **{f"f{i}": "v" for i in range(4)},
        "edge": "y" * 1024,
        "u0": 1500,
        "u1": 0,
    }


# -- who is asking ------------------------------------------------------------------------


def test_spoofed_forwarding_and_host_headers_do_not_change_the_client(
    client: TestClient,
) -> None:
    response = client.get(
        "/whoami",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Host": "evil.com",
            "X-Real-IP": "203.0.113.9",
            "Forwarded": "for=203.0.113.9;host=evil.com;proto=https",
            "Host": "evil.com",
        },
    )

    assert response.json() == {"client": ["testclient", 50000], "host": "evil.com"}


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    ["/boom/runtime", "/boom/sync", "/boom/key", "/boom/header"],
    ids=["async-handler", "sync-handler", "key-error-repr", "bad-header-value"],
)
def test_exception_text_never_reaches_the_client(client: TestClient, route: str) -> None:
    response = client.get(route)

    assert_problem(response, 500)
    exposed = response.text + repr(response.headers.raw)
    for leak in (SECRET, "password", "RuntimeError", "ValueError", "KeyError", "X-Leak"):
        assert leak not in exposed
    assert "Traceback" not in exposed
    assert set(response.json()) == {"type", "title", "status", "detail", "instance", "request_id"}


@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "TRACE", "DELETE"], ids=str)
def test_unrouted_method_is_405_and_never_dispatches(
    client: TestClient, app_and_calls: tuple[CovetPy, list[str]], method: str
) -> None:
    _, calls = app_and_calls

    response = client.request(method, "/")

    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert calls == []


def test_options_answers_allow_and_never_dispatches(
    client: TestClient, app_and_calls: tuple[CovetPy, list[str]]
) -> None:
    response = client.options("/")

    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert app_and_calls[1] == []
