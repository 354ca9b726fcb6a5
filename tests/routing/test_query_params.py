"""The query-parameter runner answers exactly as the generic path does, for good and bad input.

``fast`` takes only a path value and query parameters, so it gets the dedicated runner;
``generic`` takes the same parameters plus the Request, which sends it through the generic
resolution. Every request below, the listed ones and a few hundred random ones, is sent to both
and must get the same status, headers and body.
"""

from __future__ import annotations

import asyncio
import enum
import json
import random
from typing import Annotated, Any

import pytest

from covet import CovetPy, Limits, Query, Request
from covet.testing import TestClient
from tests.support.asgi import serve


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def echo(**values: Any) -> dict[str, Any]:
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in values.items()}


def build_app() -> CovetPy:
    app = CovetPy(limits=Limits(max_query_params=8))

    @app.get("/fast/{item_id}")
    async def fast(
        item_id: int,
        q: str,
        limit: Annotated[int, Query(ge=1, le=50)] = 20,
        tags: Annotated[list[int] | None, Query()] = None,
        color: Color | None = None,
        flag: bool = False,
        short: Annotated[str | None, Query(alias="x-y", max_length=3)] = None,
    ) -> dict[str, Any]:
        return echo(item_id=item_id, q=q, limit=limit, tags=tags, color=color, flag=flag, x=short)

    @app.get("/generic/{item_id}")
    async def generic(
        item_id: int,
        request: Request,
        q: str,
        limit: Annotated[int, Query(ge=1, le=50)] = 20,
        tags: Annotated[list[int] | None, Query()] = None,
        color: Color | None = None,
        flag: bool = False,
        short: Annotated[str | None, Query(alias="x-y", max_length=3)] = None,
    ) -> dict[str, Any]:
        return echo(item_id=item_id, q=q, limit=limit, tags=tags, color=color, flag=flag, x=short)

    @app.get("/converted/{item_id:int}")
    def converted(item_id: int, page: int = 1) -> dict[str, int]:
        return {"item_id": item_id, "page": page}

    @app.get("/converted-generic/{item_id:int}")
    def converted_generic(item_id: int, request: Request, page: int = 1) -> dict[str, int]:
        return {"item_id": item_id, "page": page}

    @app.get("/alias")
    async def alias(key: Annotated[str, Query(alias="api-key")], n: list[int]) -> dict[str, Any]:
        return {"key": key, "n": n}

    @app.get("/alias-generic")
    async def alias_generic(
        request: Request, key: Annotated[str, Query(alias="api-key")], n: list[int]
    ) -> dict[str, Any]:
        return {"key": key, "n": n}

    return app


def answers(app: CovetPy, fast: str, generic: str, query: bytes) -> tuple[Any, Any]:
    async def both() -> tuple[Any, Any]:
        one = await serve(app, "GET", fast, query=query)
        other = await serve(app, "GET", generic, query=query)
        return one, other

    one, other = asyncio.run(both())
    return comparable(*one), comparable(*other)


def comparable(status: int, headers: list[Any], body: bytes) -> tuple[Any, ...]:
    """The response with the one part that must differ removed: a problem document names the
    request's own path (``instance``), which also changes the Content-Length."""
    document = json.loads(body)
    if isinstance(document, dict) and "instance" in document:
        document["instance"] = "(this request's path)"
        headers = [h for h in headers if h[0] != b"content-length"]
        return status, headers, document
    return status, headers, body


def runner_of(app: CovetPy, path: str) -> str:
    """The name of the function that runs the route (routes compile on the first request)."""
    asyncio.run(serve(app, "GET", "/"))
    found = app.router.match("GET", path)
    assert found is not None
    return str(found[0].app.__name__)


CASES: list[tuple[str, str, bytes]] = [
    ("valid", "1", b"q=abc&limit=10"),
    ("defaults", "1", b"q=abc"),
    ("every parameter", "7", b"q=a&limit=50&tags=1&tags=2&color=blue&flag=yes&x-y=abc"),
    ("missing required", "1", b""),
    ("bad int and bound", "1", b"q=a&limit=0&tags=x&tags=2"),
    ("above the bound", "1", b"q=a&limit=51"),
    ("not an int", "1", b"q=a&limit=ten"),
    ("bad enum and bool", "1", b"q=a&color=green&flag=maybe"),
    ("alias too long", "1", b"q=a&x-y=abcd"),
    ("field name, not alias", "1", b"q=a&short=zz"),
    ("repeated: last wins", "1", b"q=first&q=second&limit=3&limit=4"),
    ("percent and plus", "1", b"q=a%20b+c%26d&x-y=%E2%82%AC"),
    ("bad escapes", "1", b"q=%ff%fe&limit=%3"),
    ("raw non-UTF-8", "1", b"q=\xff\xfe"),
    ("empty values", "1", b"q=&limit=&tags="),
    ("separators only", "1", b"&&&q=x&&"),
    ("no equals sign", "1", b"q&limit"),
    ("too many fields", "1", b"q=1&a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1"),
    ("bad path and bad query", "x", b"limit=zero"),
    ("bad path only", "-", b"q=a"),
    ("non-ASCII digits", "\u0661", b"q=a&limit=\xd9\xa1"),
]


@pytest.mark.parametrize(("item", "query"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_runner_answers_like_the_generic_path(item: str, query: bytes) -> None:
    app = build_app()
    assert runner_of(app, "/fast/1") == "run_query"
    assert runner_of(app, "/generic/1") == "run_planned"
    fast, generic = answers(app, f"/fast/{item}", f"/generic/{item}", query)
    assert fast == generic


def test_random_queries_get_the_generic_answers() -> None:
    app = build_app()
    keys = ["q", "limit", "tags", "color", "flag", "x-y", "short", "zz", "", "q%00", "li+mit"]
    values = ["", "1", "0", "-3", "50", "51", "abc", "red", "BLUE", "%ff", "%2", "+", "a+b"]
    values += ["%E2%82%AC", "true", "off", "1e3", "1.0", "\u0662".encode().decode("latin-1")]
    values += ["x" * 40, "%26", "=", "9" * 30]
    rng = random.Random(7)
    for _ in range(300):
        fields = []
        for _ in range(rng.randint(0, 10)):
            key, value = rng.choice(keys), rng.choice(values)
            fields.append(key if rng.random() < 0.1 else f"{key}={value}")
        query = rng.choice(["&", "&&"]).join(fields).encode("latin-1")
        item = rng.choice(["1", "42", "x", "-7", "01"])
        fast, generic = answers(app, f"/fast/{item}", f"/generic/{item}", query)
        assert fast == generic, query


def test_converted_path_values_and_a_sync_handler() -> None:
    app = build_app()
    assert runner_of(app, "/converted/1") == "run_query"
    for query in (b"", b"page=3", b"page=x", b"page=1&page=2"):
        fast, generic = answers(app, "/converted/5", "/converted-generic/5", query)
        assert fast == generic
    with TestClient(app) as client:
        assert client.get("/converted/5?page=3").json() == {"item_id": 5, "page": 3}


@pytest.mark.parametrize("query", [b"", b"key=a", b"api-key=a", b"api-key=a&n=1&n=x&n=2", b"n=1"])
def test_required_aliases_and_lists(query: bytes) -> None:
    app = build_app()
    assert runner_of(app, "/alias") == "run_query"
    fast, generic = answers(app, "/alias", "/alias-generic", query)
    assert fast == generic


def test_fastapi_style_search_endpoint() -> None:
    app = CovetPy()

    @app.get("/search")
    async def search(q: str, limit: Annotated[int, Query()] = 20) -> dict[str, Any]:
        return {"q": q, "limit": limit}

    with TestClient(app) as client:
        assert client.get("/search", params={"q": "abc", "limit": 10}).json() == {
            "q": "abc",
            "limit": 10,
        }
        assert client.get("/search?q=x").json() == {"q": "x", "limit": 20}
        missing = client.get("/search")
        assert missing.status_code == 422
        assert client.get("/search?q=x&limit=many").status_code == 422
