"""A static path whose raw bytes equal the route's own skips the careful check, same answer.

``Router.resolve`` takes ``scope["path"]`` as it is when ``raw_path`` equals a plain static
route's own bytes (no ``%``, NUL or non-ASCII byte), without the regex search over the raw
path. The reference below is the generic rule: any root_path, missing raw_path or raw byte
needing care goes through ``route_path``, then the trie's generic walk.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from covet import CovetPy, PlainTextResponse
from covet.exceptions import BadRequestError
from covet.routing.router import Router, route_path
from covet.testing import TestClient

_CAREFUL = re.compile(rb"[%\x00\x80-\xff]")


def make_router() -> Router:
    app = CovetPy()

    async def endpoint() -> PlainTextResponse:
        return PlainTextResponse("x")

    for path in ["/plaintext", "/", "/a/b", "/café", "/users/{user_id:int}", "/files/{rest:path}"]:
        app.get(path)(endpoint)
    app.build()
    return app.router


def reference(router: Router, scope: dict[str, Any]) -> Any:
    path = scope["path"]
    raw = scope.get("raw_path")
    if scope.get("root_path") or raw is None or _CAREFUL.search(raw):
        path = route_path(scope)
    found = router._trie.walk(path)
    if found is None:
        return "fallback", None
    table, params = found
    route = table.methods.get(scope["method"])
    if route is None:
        return "fallback", None
    return route.app, params


def outcome(router: Router, scope: dict[str, Any]) -> Any:
    try:
        app = router.resolve(scope)
    except BadRequestError as exc:
        return "400", str(exc)
    if app == router._dispatch_fallback:
        return "fallback", None
    return app, scope["path_params"]


def expected(router: Router, scope: dict[str, Any]) -> Any:
    try:
        return reference(router, scope)
    except BadRequestError as exc:
        return "400", str(exc)


PATHS = ["/plaintext", "/", "/a/b", "/café", "/users/42", "/nope", "/pl\x00", "/plaintext/"]
RAWS: list[bytes | None] = [
    None,
    b"/plaintext",
    b"/pl%61intext",
    b"/plaintext\x00",
    b"/plaintext?x=1",
    b"/",
    b"/a/b",
    b"/a%2Fb",
    b"/caf\xc3\xa9",
    b"/caf%C3%A9",
    b"/users/42",
    b"/other",
]


@pytest.mark.parametrize(
    ("path", "raw", "root", "method"),
    list(itertools.product(PATHS, RAWS, ["", "/plaintext", "/a"], ["GET", "POST"])),
)
def test_resolve_answers_as_the_generic_rule(
    path: str, raw: bytes | None, root: str, method: str
) -> None:
    router = make_router()
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": root}
    if raw is not None:
        scope["raw_path"] = raw
    assert outcome(router, dict(scope)) == expected(router, dict(scope))


def test_only_plain_static_paths_carry_their_raw_bytes() -> None:
    router = make_router()
    static = router._trie.static_paths
    assert static["/plaintext"].plain_raw == b"/plaintext"
    assert static["/a/b"].plain_raw == b"/a/b"
    assert not isinstance(static["/café"].plain_raw, bytes)


def test_over_http_escapes_and_nul_still_checked() -> None:
    app = CovetPy()

    @app.get("/plaintext")
    async def plaintext() -> PlainTextResponse:
        return PlainTextResponse("Hello")

    client = TestClient(app)
    assert client.get("/plaintext").text == "Hello"
    assert client.get("/pl%61intext").text == "Hello"
    assert client.get("/plaintext%00").status_code == 400
