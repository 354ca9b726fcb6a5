"""Dependency injection and binding edge cases: container teardown, parameters that can never
bind, dependency chains in errors, ``Depends()`` without argument, inferred uploads, empty
forms and unsupported return annotations.

Annotations are evaluated eagerly here (no ``from __future__ import annotations``): the
handlers refer to providers local to each test.
"""

import asyncio
import datetime
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import pydantic
import pytest

from covet import (
    Body,
    Cookie,
    CovetPy,
    Depends,
    File,
    Form,
    Header,
    JSONResponse,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)
from covet.exceptions import ConfigurationError
from covet.testing import LifespanError, TestClient

# -- container: who owns app-scoped values ------------------------------------------------


def providers(log: list[str]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """An app-scoped engine and a client that needs it, both logging setup and teardown."""
    count = 0

    async def engine() -> AsyncIterator[str]:
        nonlocal count
        count += 1
        log.append("engine-up")
        yield f"engine-{count}"
        log.append("engine-down")

    async def client(e: Annotated[str, Depends(engine, scope="app")]) -> AsyncIterator[str]:
        log.append("client-up")
        yield f"client({e})"
        log.append("client-down")

    return engine, client


def test_container_outside_a_lifespan_tears_down_app_scoped_values_at_exit() -> None:
    log: list[str] = []
    engine, client = providers(log)
    app = CovetPy()

    async def job() -> tuple[str, str]:
        async with app.container() as container:
            made = await container.resolve(client)
            shared = await container.resolve(engine)  # the app-scoped value, not a second one
        return made, shared

    assert asyncio.run(job()) == ("client(engine-1)", "engine-1")
    assert log == ["engine-up", "client-up", "client-down", "engine-down"]
    log.clear()
    assert asyncio.run(job()) == ("client(engine-2)", "engine-2")
    assert log == ["engine-up", "client-up", "client-down", "engine-down"]


def test_container_gives_an_app_scoped_provider_of_the_routes_its_shared_value() -> None:
    log: list[str] = []
    engine, client = providers(log)
    app = CovetPy()

    @app.get("/")
    async def index(e: Annotated[str, Depends(engine, scope="app")]) -> str:
        return e

    async def job() -> list[str]:
        async with app.container() as container:
            # engine first: it is already the app-scoped one that client then shares.
            return [await container.resolve(engine), await container.resolve(client)]

    app.build()
    assert asyncio.run(job()) == ["engine-1", "client(engine-1)"]
    assert log == ["engine-up", "client-up", "client-down", "engine-down"]


def test_container_inside_a_running_lifespan_shares_the_apps_values() -> None:
    log: list[str] = []
    engine, client = providers(log)
    app = CovetPy()

    @app.get("/engine")
    async def use_engine(e: Annotated[str, Depends(engine, scope="app")]) -> str:
        return e

    @app.get("/job")
    async def job(request: Request) -> list[str]:
        async with request.app.container() as container:
            values = [await container.resolve(engine), await container.resolve(client)]
        return [*values, *log]

    with TestClient(app) as http:
        assert http.get("/engine").json() == "engine-1"
        assert http.get("/job").json() == [
            "engine-1",
            "client(engine-1)",
            "engine-up",
            "client-up",
            "client-down",
        ]
        assert http.get("/engine").json() == "engine-1"
        assert "engine-down" not in log
    assert log[-1] == "engine-down"
    assert log.count("engine-up") == 1


# -- text sources take scalars or lists of scalars ------------------------------------------


@dataclass
class Filters:
    limit: int = 10
    q: str | None = None


class PydanticFilters(pydantic.BaseModel):
    limit: int = 10


class DictFilters(TypedDict):
    limit: int


def handler_with(annotation: Any, marker: Any) -> CovetPy:
    app = CovetPy()

    async def search(filters: Any = marker) -> Any:
        return filters

    search.__annotations__["filters"] = annotation
    app.post("/search")(search)
    return app


@pytest.mark.parametrize(
    ("annotation", "marker", "advice"),
    [
        # A model class itself reads its fields (tests/routing/test_param_models.py).
        (Filters | None, Query(), "annotate the class itself"),
        (list[PydanticFilters], Query(), "annotate the class itself"),
        (DictFilters | None, Header(), "Annotated[Model, Header()]"),
        (Filters | None, Form(), "Annotated[Model, Form()]"),
        (dict[str, int], Query(), "JSON body (Body())"),
        (dict[str, int], Header(), "JSON body"),
        (Filters | None, Cookie(), "Annotated[Model, Cookie()]"),
        (list[str], Cookie(), "a cookie holds one value"),
        (UploadFile, Form(), "use File()"),
    ],
    ids=[
        "optional-dataclass-query",
        "list-of-pydantic-query",
        "optional-typeddict-header",
        "optional-dataclass-form",
        "dict-query",
        "dict-header",
        "optional-dataclass-cookie",
        "list-cookie",
        "upload-form",
    ],
)
def test_parameters_that_can_never_bind_fail_at_startup(
    annotation: Any, marker: Any, advice: str
) -> None:
    app = handler_with(annotation, marker)
    failure = pytest.raises(LifespanError, match=r"'filters' of .*search: .* value is text")
    with failure as info, TestClient(app):
        pass
    assert advice in str(info.value)


def test_a_list_path_parameter_fails_at_startup() -> None:
    app = CovetPy()

    @app.get("/items/{ids}")
    async def items(ids: Annotated[list[int], Path()]) -> list[int]:
        return ids

    with pytest.raises(ConfigurationError, match=r"'ids' of .*items: a path value is text"):
        app.build()


def test_scalars_and_lists_of_scalars_still_bind_from_text() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(
        ids: Annotated[list[int], Query()],
        tags: Annotated[list[str] | None, Header()] = None,
        when: datetime.date | None = Query(None),
        sid: Annotated[int, Cookie()] = 0,
    ) -> dict[str, Any]:
        return {"ids": ids, "tags": tags, "when": when, "sid": sid}

    http = TestClient(app, cookies={"sid": "3"})
    response = http.get("/?ids=1&ids=2&when=2024-01-02", headers={"tags": "a"})
    assert response.json() == {"ids": [1, 2], "tags": ["a"], "when": "2024-01-02", "sid": 3}


# -- unresolvable dependency parameters name the chain ------------------------------------


class Opaque:
    pass


def test_an_unbindable_dependency_parameter_names_the_chain() -> None:
    def leaf(thing: Opaque) -> int:
        return 1

    def middle(v: Annotated[int, Depends(leaf)]) -> int:
        return v

    app = CovetPy()

    @app.get("/x")
    async def handler(v: Annotated[int, Depends(middle)]) -> int:
        return v

    chain = r"'thing' of .*leaf: .*\(route '/x', via .*handler -> .*middle -> .*leaf\)"
    with pytest.raises(LifespanError, match=chain), TestClient(app):
        pass


def test_handler_parameters_name_no_chain() -> None:
    app = CovetPy()

    @app.get("/x")
    async def handler(thing: Opaque) -> int:
        return 1

    with pytest.raises(ConfigurationError, match=r"'thing' of .*handler: .*\(route '/x'\)$"):
        app.build()


# -- Depends() without argument -------------------------------------------------------------


class CommonQueryParams:
    # A string annotation, as under ``from __future__ import annotations``: it is resolved in
    # the class's module.
    def __init__(
        self, q: str | None = None, skip: int = 0, limit: "Annotated[int, Query(le=100)]" = 10
    ) -> None:
        self.q, self.skip, self.limit = q, skip, limit


def test_depends_without_argument_calls_the_annotated_class() -> None:
    app = CovetPy()

    @app.get("/annotated")
    async def annotated(commons: Annotated[CommonQueryParams, Depends()]) -> dict[str, Any]:
        return vars(commons)

    @app.get("/default")
    async def default(commons: CommonQueryParams = Depends()) -> dict[str, Any]:
        return vars(commons)

    http = TestClient(app)
    for path in ("/annotated", "/default"):
        assert http.get(f"{path}?q=z&skip=2&limit=5").json() == {"q": "z", "skip": 2, "limit": 5}
        assert http.get(path).json() == {"q": None, "skip": 0, "limit": 10}
        too_many = http.get(f"{path}?limit=500")
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["loc"] == ["query", "limit"]


def test_depends_without_argument_needs_a_class_annotation() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(value: Annotated[int | None, Depends()]) -> Any:
        return value

    with pytest.raises(ConfigurationError, match=r"'value' of .*index .*Depends\(\) without"):
        app.build()


def test_depends_without_argument_is_refused_in_dependencies_lists() -> None:
    app = CovetPy(dependencies=[Depends()])

    @app.get("/")
    async def index() -> int:
        return 1

    with pytest.raises(ConfigurationError, match=r"Depends\(\) without a dependency"):
        app.build()


# -- uploads inferred without File() --------------------------------------------------------


def test_upload_annotations_are_files_without_a_marker() -> None:
    app = CovetPy()

    @app.post("/one")
    async def one(f: UploadFile, note: Annotated[str, Form()] = "") -> dict[str, Any]:
        return {"name": f.filename, "size": len(await f.read()), "note": note}

    @app.post("/many")
    async def many(fs: list[UploadFile]) -> list[str | None]:
        return [f.filename for f in fs]

    @app.post("/optional")
    async def optional(f: UploadFile | None = None, raw: bytes = File(b"")) -> str | None:
        return f.filename if f is not None else None

    http = TestClient(app)
    sent = http.post("/one", files={"f": ("a.txt", b"hello")}, data={"note": "n"})
    assert sent.json() == {"name": "a.txt", "size": 5, "note": "n"}
    missing = http.post("/one", data={"note": "n"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["file", "f"]
    files = [("fs", ("a", b"1")), ("fs", ("b", b"2"))]
    assert http.post("/many", files=files).json() == ["a", "b"]
    assert http.post("/optional", data={"x": "1"}).json() is None


# -- an empty POST to a form handler is an empty form ---------------------------------------


def form_app() -> CovetPy:
    app = CovetPy()

    @app.post("/form")
    async def form(name: Annotated[str, Form()], age: Annotated[int, Form()]) -> dict[str, Any]:
        return {"name": name, "age": age}

    @app.post("/optional")
    async def optional(name: Annotated[str, Form()] = "anon") -> str:
        return name

    return app


def test_an_empty_post_to_a_form_handler_lists_the_missing_fields() -> None:
    http = TestClient(form_app())
    response = http.post("/form", data={})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [
        ["form", "name"],
        ["form", "age"],
    ]
    assert http.post("/optional").json() == "anon"


@pytest.mark.parametrize(
    ("headers", "content"),
    [({"content-type": "application/json"}, b'{"name": "a"}'), ({}, b"name=a&age=1")],
    ids=["json", "no-content-type"],
)
def test_a_non_empty_body_that_is_not_a_form_still_gets_415(
    headers: dict[str, str], content: bytes
) -> None:
    http = TestClient(form_app())
    assert http.post("/form", content=content, headers=headers).status_code == 415


# -- return annotations the JSON layer cannot send fail at startup --------------------------


def test_an_unsupported_return_annotation_fails_at_startup() -> None:
    app = CovetPy()

    @app.get("/")
    async def weird() -> Opaque:
        return Opaque()

    failure = pytest.raises(LifespanError, match=r"Response model of .*weird \(route '/'\)")
    with failure, TestClient(app):
        pass


@dataclass
class Item:
    name: str


def test_supported_and_response_return_annotations_are_accepted() -> None:
    app = CovetPy()

    @app.get("/json-response")
    async def json_response() -> JSONResponse:
        return JSONResponse({"a": 1})

    @app.get("/response-or-dict")
    async def response_or_dict(raw: bool = False) -> Response | dict[str, int]:
        return Response(b"raw") if raw else {"a": 1}

    @app.get("/response-or-item")
    async def response_or_item(raw: bool = False) -> JSONResponse | Item:
        return JSONResponse({"raw": True}) if raw else {"name": "n", "secret": "s"}  # type: ignore[return-value]

    @app.get("/plain")
    async def plain() -> dict[str, object]:
        return {"when": datetime.date(2024, 1, 2)}

    @app.get("/any")
    async def anything() -> Any:
        return [1]

    @app.get("/opt-out", response_model=None)
    async def opt_out() -> Opaque:
        return "fine"  # type: ignore[return-value]

    with TestClient(app) as http:
        assert http.get("/json-response").json() == {"a": 1}
        assert http.get("/response-or-dict").json() == {"a": 1}
        assert http.get("/response-or-dict?raw=1").content == b"raw"
        assert http.get("/response-or-item").json() == {"name": "n"}
        assert http.get("/response-or-item?raw=1").json() == {"raw": True}
        assert http.get("/plain").json() == {"when": "2024-01-02"}
        assert http.get("/any").json() == [1]
        assert http.get("/opt-out").json() == "fine"


def test_body_marker_still_takes_models() -> None:
    app = CovetPy()

    @app.post("/")
    async def create(item: Annotated[Item, Body()]) -> Item:
        return item

    assert TestClient(app).post("/", json={"name": "n"}).json() == {"name": "n"}
