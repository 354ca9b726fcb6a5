"""Routing behaviour through real requests: matching, priorities, methods, redirects."""

from __future__ import annotations

import uuid

import pytest

from covet import CovetPy, PlainTextResponse, Request, RouteConflictError, Router
from covet.exceptions import ConfigurationError, NoMatchFoundError
from covet.routing import Convertor, UnreachableRouteWarning, register_convertor
from covet.testing import TestClient


def make_client(app: CovetPy) -> TestClient:
    return TestClient(app, follow_redirects=False)


def test_quick_start() -> None:
    app = CovetPy()

    @app.get("/")
    async def hello_world() -> dict[str, str]:
        return {"message": "Hello from CovetPy!"}

    @app.get("/hello/{name}")
    async def greet_user(name: str) -> dict[str, str]:
        return {"greeting": f"Hello, {name}!"}

    client = make_client(app)
    assert client.get("/").json() == {"message": "Hello from CovetPy!"}
    assert client.get("/hello/Ann").json() == {"greeting": "Hello, Ann!"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/items/42", {"kind": "int", "value": 42}),
        ("/items/4.5", {"kind": "float", "value": 4.5}),
        ("/items/7b1ed2d6-5e38-4c8d-9d85-1f0a8a1d2c33", {"kind": "uuid"}),
        ("/items/report.json", {"kind": "mixed", "name": "report", "ext": "json"}),
        ("/items/hello", {"kind": "str", "value": "hello"}),
        ("/items/static", {"kind": "static"}),
        ("/items/a/b/c", {"kind": "path", "value": "a/b/c"}),
    ],
    ids=["int", "float", "uuid", "mixed", "str", "static", "path"],
)
def test_priority_static_then_typed_then_str_then_path(
    path: str, expected: dict[str, object]
) -> None:
    app = CovetPy()

    @app.get("/items/{rest:path}")
    async def as_path(rest: str) -> dict[str, object]:
        return {"kind": "path", "value": rest}

    @app.get("/items/{name}")
    async def as_str(name: str) -> dict[str, object]:
        return {"kind": "str", "value": name}

    @app.get("/items/{name}.{ext}")
    async def as_mixed(name: str, ext: str) -> dict[str, object]:
        return {"kind": "mixed", "name": name, "ext": ext}

    @app.get("/items/{u:uuid}")
    async def as_uuid(u: uuid.UUID) -> dict[str, object]:
        assert isinstance(u, uuid.UUID)
        return {"kind": "uuid"}

    @app.get("/items/{x:float}")
    async def as_float(x: float) -> dict[str, object]:
        return {"kind": "float", "value": x}

    @app.get("/items/{n:int}")
    async def as_int(n: int) -> dict[str, object]:
        assert type(n) is int
        return {"kind": "int", "value": n}

    @app.get("/items/static")
    async def static() -> dict[str, object]:
        return {"kind": "static"}

    assert make_client(app).get(path).json() == expected


def test_typed_branch_backtracks_to_string_branch() -> None:
    app = CovetPy()

    @app.get("/a/{n:int}/x")
    async def typed(n: int) -> str:
        return "typed"

    @app.get("/a/{s}/y")
    async def text(s: str) -> str:
        return f"text:{s}"

    client = make_client(app)
    assert client.get("/a/1/x").json() == "typed"
    assert client.get("/a/1/y").json() == "text:1"


def test_plain_param_is_converted_by_annotation_and_422_when_invalid() -> None:
    app = CovetPy()

    @app.get("/users/{user_id}")
    async def user(user_id: int) -> dict[str, int]:
        return {"user_id": user_id}

    client = make_client(app)
    assert client.get("/users/12").json() == {"user_id": 12}
    response = client.get("/users/abc")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [["path", "user_id"]]


def test_custom_convertor() -> None:
    class SlugConvertor(Convertor):
        regex = "[a-z0-9]+(?:-[a-z0-9]+)*"
        priority = 15

        def convert(self, value: str) -> str:
            return value.upper()

    register_convertor("slug", SlugConvertor)
    app = CovetPy()

    @app.get("/posts/{s:slug}", name="post")
    async def post(s: str) -> str:
        return s

    client = make_client(app)
    assert client.get("/posts/hello-world").json() == "HELLO-WORLD"
    assert client.get("/posts/Not_A_Slug").status_code == 404
    assert app.url_path_for("post", s="my-post") == "/posts/my-post"


def test_conflicting_routes_raise_naming_both_handlers() -> None:
    app = CovetPy()

    @app.get("/users/{id:int}")
    async def first(id: int) -> None:
        return None

    with pytest.raises(RouteConflictError) as info:

        @app.get("/users/{user_id:int}")
        async def second(user_id: int) -> None:
            return None

    assert "first" in str(info.value)
    assert "second" in str(info.value)


def test_same_path_different_methods_do_not_conflict() -> None:
    app = CovetPy()

    @app.get("/things")
    async def read() -> str:
        return "read"

    @app.post("/things")
    async def write() -> str:
        return "write"

    client = make_client(app)
    assert client.get("/things").json() == "read"
    assert client.post("/things").json() == "write"


def test_unreachable_route_is_reported() -> None:
    class Digits(Convertor):
        regex = "[0-9]+"
        priority = 10

    register_convertor("digits", Digits)
    app = CovetPy()

    @app.get("/n/{a:int}")
    async def by_int(a: int) -> int:
        return a

    with pytest.warns(UnreachableRouteWarning, match="never"):

        @app.get("/n/{b:digits}")
        async def by_digits(b: str) -> str:
            return b


def test_path_convertor_must_be_last() -> None:
    app = CovetPy()
    with pytest.raises(ConfigurationError, match="last"):

        @app.get("/files/{p:path}/download")
        async def download(p: str) -> str:
            return p


def test_unknown_convertor_and_unbindable_parameter_fail_at_registration_or_startup() -> None:
    app = CovetPy()
    with pytest.raises(ConfigurationError, match="Unknown path convertor"):

        @app.get("/x/{a:nope}")
        async def bad(a: str) -> str:
            return a

    class Opaque:
        pass

    @app.get("/y")
    async def needs_something(thing: Opaque) -> str:
        return str(thing)

    with pytest.raises(ConfigurationError, match="thing"):
        make_client(app).get("/y")


def test_method_not_allowed_has_allow_header_and_options() -> None:
    app = CovetPy()

    @app.get("/r")
    async def read() -> str:
        return "ok"

    @app.delete("/r")
    async def remove() -> str:
        return "deleted"

    client = make_client(app)
    response = client.post("/r")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
    response = client.request("FOO", "/r")
    assert response.status_code == 405
    options = client.options("/r")
    assert options.status_code == 204
    assert options.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"


def test_allow_merges_every_pattern_the_path_matches() -> None:
    app = CovetPy()

    @app.get("/items/me")
    async def me() -> str:
        return "me"

    @app.delete("/items/{item_id}")
    async def remove(item_id: str) -> str:
        return item_id

    @app.put("/items/{item_id:int}")
    async def replace(item_id: int) -> int:
        return item_id

    client = make_client(app)
    # "me" matches the static route and {item_id}, not {item_id:int}.
    response = client.patch("/items/me")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
    assert client.options("/items/me").headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
    # "5" matches both parameter routes, not the static one.
    response = client.patch("/items/5")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, OPTIONS, PUT"
    assert client.options("/items/5").headers["allow"] == "DELETE, OPTIONS, PUT"


def test_method_fallback_between_static_and_param_routes() -> None:
    app = CovetPy()

    @app.get("/users/me")
    async def me() -> str:
        return "me"

    @app.delete("/users/{name}")
    async def delete_user(name: str) -> str:
        return f"deleted {name}"

    client = make_client(app)
    assert client.get("/users/me").json() == "me"
    assert client.delete("/users/me").json() == "deleted me"


def test_get_answers_head_without_body() -> None:
    app = CovetPy()

    @app.get("/data")
    async def data() -> dict[str, str]:
        return {"a": "b"}

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("hello")

    client = make_client(app)
    for path, length in [("/data", "9"), ("/text", "5")]:
        response = client.head(path)
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-length"] == length


def test_redirect_slashes_keeps_method_and_query() -> None:
    app = CovetPy()

    @app.post("/submit")
    async def submit() -> str:
        return "ok"

    @app.get("/dir/")
    async def directory() -> str:
        return "dir"

    client = make_client(app)
    response = client.post("/submit/?a=1")
    assert response.status_code == 307
    assert response.headers["location"] == "/submit?a=1"
    response = client.get("/dir")
    assert response.status_code == 307
    assert response.headers["location"] == "/dir/"
    assert TestClient(app).post("/submit/").json() == "ok"


def test_redirect_slashes_can_be_disabled_or_permanent() -> None:
    app = CovetPy(redirect_slashes=False)

    @app.get("/a")
    async def a() -> str:
        return "a"

    assert make_client(app).get("/a/").status_code == 404

    router = Router(redirect_status=308)

    @router.get("/b")
    async def b() -> str:
        return "b"

    exact = Router(redirect_slashes=False)

    @exact.get("/c")
    async def c() -> str:
        return "c"

    app2 = CovetPy()

    @app2.get("/d")
    async def d() -> str:
        return "d"

    app2.include_router(router, prefix="/v1")
    app2.include_router(exact)
    client = make_client(app2)
    # Each included router's setting stays with its routes.
    assert client.get("/v1/b/").status_code == 308
    assert client.get("/c/").status_code == 404
    assert client.get("/d/").status_code == 307


@pytest.mark.parametrize(
    "path",
    ["//evil.com/", "/\\evil.com/", "/%2F%2Fevil.com/", "/%5Cevil.com/"],
    ids=["double-slash", "backslash", "encoded-slashes", "encoded-backslash"],
)
def test_redirect_slashes_is_never_an_open_redirect(path: str) -> None:
    app = CovetPy()

    @app.get("/evil.com")
    async def evil() -> str:
        return "evil"

    # A route whose path starts with "//" (e.g. from a prefix ending in "/") is exactly
    # what a naive slash redirect would turn into a protocol-relative Location.
    @app.get("//evil.com")
    async def protocol_relative() -> str:
        return "reachable only without the slash"

    @app.get("/\\evil.com")
    async def backslash() -> str:
        return "backslash"

    response = make_client(app).get("http://testserver" + path)
    assert response.status_code in (400, 404)
    assert "location" not in response.headers


def test_url_path_for_percent_encodes_and_checks_params() -> None:
    app = CovetPy()

    @app.get("/files/{name}", name="file")
    async def file(name: str) -> str:
        return name

    @app.get("/raw/{p:path}", name="raw")
    async def raw(p: str) -> str:
        return p

    assert app.url_path_for("file", name="a b/c?") == "/files/a%20b%2Fc%3F"
    assert app.url_path_for("raw", p="x/y z") == "/raw/x/y%20z"
    with pytest.raises(NoMatchFoundError):
        app.url_path_for("file")
    with pytest.raises(NoMatchFoundError):
        app.url_path_for("missing")


def test_request_url_for_builds_absolute_urls() -> None:
    app = CovetPy()

    @app.get("/users/{id:int}", name="user")
    async def user(id: int, request: Request) -> str:
        return str(request.url_for("user", id=id + 1))

    assert make_client(app).get("/users/1").json() == "http://testserver/users/2"


def test_include_router_with_prefixes_and_tags() -> None:
    router = Router(prefix="/v1", tags=["v1"])

    @router.get("/items/{id:int}", tags=["items"])
    async def item(id: int) -> dict[str, int]:
        return {"id": id}

    app = CovetPy()
    app.include_router(router, prefix="/api", tags=["public"])
    assert make_client(app).get("/api/v1/items/3").json() == {"id": 3}
    (route,) = app.routes
    assert route.path == "/api/v1/items/{id:int}"
    assert route.tags == ["public", "v1", "items"]


def test_include_router_conflict_is_detected() -> None:
    router = Router()

    @router.get("/x")
    async def from_router() -> None:
        return None

    app = CovetPy()

    @app.get("/x")
    async def from_app() -> None:
        return None

    with pytest.raises(RouteConflictError, match="from_router"):
        app.include_router(router)


def test_mount_plain_asgi_app_sees_root_path() -> None:
    seen: dict[str, object] = {}

    async def sub(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        seen["root_path"] = scope["root_path"]
        seen["path"] = scope["path"]
        await PlainTextResponse("sub")(scope, receive, send)

    app = CovetPy()
    app.mount("/static", sub)

    @app.get("/static/special")
    async def special() -> str:
        return "route wins"

    client = make_client(app)
    assert client.get("/static/css/site.css").text == "sub"
    assert seen == {"root_path": "/static", "path": "/static/css/site.css"}
    assert client.get("/static/special").json() == "route wins"
    assert client.get("/staticfoo").status_code == 404


def test_mount_covet_sub_app_routes_and_url_for() -> None:
    sub = CovetPy()

    @sub.get("/ping", name="ping")
    async def ping(request: Request) -> str:
        return str(request.url_for("ping"))

    app = CovetPy()
    app.mount("/sub", sub)
    assert make_client(app).get("/sub/ping").json() == "http://testserver/sub/ping"


def test_non_ascii_and_percent_encoded_paths() -> None:
    app = CovetPy()

    @app.get("/café/{name}")
    async def cafe(name: str) -> str:
        return name

    client = make_client(app)
    assert client.get("/caf%C3%A9/cr%C3%A8me%20br%C3%BBl%C3%A9e").json() == "crème brûlée"


def test_many_routes_lookup_is_correct() -> None:
    app = CovetPy()
    for i in range(1000):

        async def handler(item_id: int, i: int = i) -> list[int]:
            return [i, item_id]

        app.get(f"/r{i}/items/{{item_id:int}}", name=f"r{i}")(handler)
    client = make_client(app)
    assert client.get("/r999/items/5").json() == [999, 5]
    assert client.get("/r0/items/1").json() == [0, 1]
    assert client.get("/r1000/items/1").status_code == 404
