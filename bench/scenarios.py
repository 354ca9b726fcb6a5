"""Scenarios and frameworks shared by every benchmark script."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

FRAMEWORKS: dict[str, str] = {
    "raw": "apps.raw",
    "covet": "apps.covet_app",
    "starlette": "apps.starlette_app",
    "fastapi": "apps.fastapi_app",
    "falcon": "apps.falcon_app",
    "blacksheep": "apps.blacksheep_app",
    "litestar": "apps.litestar_app",
}
"""Framework name -> module (importable with ``bench/`` on ``sys.path``). ``raw`` comes first:
it is the baseline the others are compared with."""

BASELINE = "raw"


@dataclass(frozen=True)
class Scenario:
    """One request shape, the app that serves it and the response it must get.

    Attributes:
        name: Short label used in tables and on the command line.
        target: Path plus query string, e.g. ``/query?page=3``.
        app_attr: Attribute of the framework module to serve: ``app`` or ``app_200``.
        content_type: Expected media type (the part before any ``;``).
        expected: Exact body for text responses, or the decoded object for JSON ones.
        method: The request method.
        body: The JSON request body (sent with ``content-type: application/json``), or empty.
        wrk_script: Lua script (in ``bench/``) that makes wrk send ``method`` and ``body``;
            ``None`` for plain GETs, which wrk sends by default.
        headers: More request headers (an ``authorization`` header, say; wrk does not send them).
    """

    name: str
    target: str
    app_attr: str
    content_type: str
    expected: bytes | dict[str, Any]
    method: str = "GET"
    body: bytes = b""
    wrk_script: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def path(self) -> str:
        """Return the path without the query string."""
        return self.target.partition("?")[0]

    @property
    def query_string(self) -> bytes:
        """Return the raw query string, as an ASGI scope carries it."""
        return self.target.partition("?")[2].encode("latin-1")

    @property
    def request_headers(self) -> list[tuple[bytes, bytes]]:
        """Return the body's headers (content type and length) and :attr:`headers`."""
        if not self.body:
            return list(self.headers)
        return [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode("latin-1")),
            *self.headers,
        ]

    def check(self, status: int, content_type: str, body: bytes) -> str | None:
        """Return what is wrong with a response, or ``None`` when it is the expected one."""
        if status != 200:
            return f"status {status}, expected 200 (body {body[:200]!r})"
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type != self.content_type:
            return f"content-type {content_type!r}, expected {self.content_type!r}"
        if isinstance(self.expected, bytes):
            if body != self.expected:
                return f"body {body[:200]!r}, expected {self.expected!r}"
            return None
        try:
            decoded = json.loads(body)
        except ValueError:
            return f"body {body[:200]!r} is not JSON"
        # Compare canonical dumps so 42.0 or "42" never passes for 42.
        if _canonical(decoded) != _canonical(self.expected):
            return f"JSON {decoded!r}, expected {self.expected!r}"
        return None


def _canonical(value: Any) -> str:
    """Return a JSON text that is equal for equal values of equal types."""
    return json.dumps(value, sort_keys=True)


ITEM: dict[str, Any] = {
    "name": "Widget",
    "price": 9.99,
    "tags": ["a", "b"],
    "in_stock": True,
    "quantity": 3,
}
"""The post-validate request body; every app must echo it back after validating it."""

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("plaintext", "/plaintext", "app", "text/plain", b"Hello, World!"),
    Scenario("json", "/json", "app", "application/json", {"message": "Hello, World!"}),
    Scenario("path-param", "/users/42", "app", "application/json", {"user_id": 42}),
    Scenario("query-param", "/query?page=3", "app", "application/json", {"page": 3}),
    Scenario(
        "search", "/search?q=abc&limit=10", "app", "application/json", {"q": "abc", "limit": 10}
    ),
    Scenario("last-of-5", "/last/items/7", "app", "application/json", {"item_id": 7}),
    Scenario("last-of-200", "/last/items/7", "app_200", "application/json", {"item_id": 7}),
    Scenario(
        "post-validate",
        "/items",
        "app",
        "application/json",
        ITEM,
        method="POST",
        body=json.dumps(ITEM).encode(),
        wrk_script="post_items.lua",
    ),
)


def pick(names: str | None, known: list[str], what: str) -> list[str]:
    """Parse a comma-separated selection, keeping the canonical order of ``known``.

    Raises:
        SystemExit: When a name is unknown, listing the valid ones.
    """
    if not names:
        return list(known)
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {', '.join(unknown)}; choose from {', '.join(known)}")
    return [name for name in known if name in wanted]
