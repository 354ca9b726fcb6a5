"""One 422 for the whole request: issues of every dependency and of the handler, merged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from covet import CovetPy, Depends, Header, HTTPException, Query
from covet.testing import TestClient
from covet.validation import RequestValidationError, ValidationIssue


def issues(response: Any, member: str = "errors") -> list[tuple[tuple[Any, ...], str]]:
    assert response.status_code == 422
    return [(tuple(error["loc"]), error["type"]) for error in response.json()[member]]


async def token(x_token: Annotated[str, Header()]) -> str:
    return x_token


def test_header_of_a_dependency_and_query_of_the_handler_are_both_reported() -> None:
    called: list[str] = []
    app = CovetPy()

    @app.get("/items")
    async def items(user: Annotated[str, Depends(token)], limit: int = Query()) -> Any:
        called.append("handler")
        return [user, limit]

    client = TestClient(app)
    assert issues(client.get("/items?limit=many")) == [
        (("header", "x-token"), "missing"),
        (("query", "limit"), "int_parsing"),
    ]
    assert issues(client.get("/items?limit=3")) == [(("header", "x-token"), "missing")]
    assert issues(client.get("/items", headers={"X-Token": "t"})) == [
        (("query", "limit"), "missing")
    ]
    assert called == []
    assert client.get("/items?limit=3", headers={"X-Token": "t"}).json() == ["t", 3]
    assert called == ["handler"]


def test_nested_dependencies_report_issues_in_plan_order() -> None:
    called: list[str] = []

    def page(page: int = Query(ge=1)) -> int:
        called.append("page")
        return page

    def paging(number: int = Depends(page), size: int = Query(10, le=50)) -> dict[str, int]:
        called.append("paging")
        return {"page": number, "size": size}

    app = CovetPy()

    @app.get("/list")
    async def listing(
        window: dict[str, int] = Depends(paging), user: str = Depends(token), q: str = Query()
    ) -> Any:
        called.append("handler")
        return window

    response = TestClient(app).get("/list?page=0&size=99")
    assert issues(response) == [
        (("query", "page"), "greater_than_equal"),
        (("query", "size"), "less_than_equal"),
        (("header", "x-token"), "missing"),
        (("query", "q"), "missing"),
    ]
    assert called == []


def test_a_shared_cached_sub_dependency_is_reported_once() -> None:
    async def first(value: str = Depends(token)) -> str:
        return value

    async def second(value: str = Depends(token)) -> str:
        return value

    app = CovetPy()

    @app.get("/")
    async def index(
        a: str = Depends(first), b: str = Depends(second), c: str = Depends(token), n: int = 1
    ) -> Any:
        return [a, b, c, n]

    client = TestClient(app)
    assert issues(client.get("/?n=x")) == [
        (("header", "x-token"), "missing"),
        (("query", "n"), "int_parsing"),
    ]
    assert client.get("/", headers={"X-Token": "t"}).json() == ["t", "t", "t", 1]


def test_issues_of_side_effect_dependencies_are_merged() -> None:
    def version(x_api_version: Annotated[int, Header()]) -> None:
        pass

    app = CovetPy(dependencies=[Depends(version)])

    @app.get("/", dependencies=[Depends(token)])
    async def index(q: int) -> int:
        return q

    client = TestClient(app)
    assert issues(client.get("/?q=x", headers={"X-Api-Version": "v1"})) == [
        (("header", "x-api-version"), "int_parsing"),
        (("header", "x-token"), "missing"),
        (("query", "q"), "int_parsing"),
    ]
    assert client.get("/?q=4", headers={"X-Api-Version": "1", "X-Token": "t"}).json() == 4


async def authorised(x_token: Annotated[str, Header()]) -> str:
    if x_token != "secret":
        raise HTTPException(401, "bad token")
    return "ann"


def test_http_exception_of_a_dependency_with_valid_parameters_still_wins() -> None:
    app = CovetPy()

    @app.get("/me")
    async def me(user: str = Depends(authorised), q: int = Query()) -> str:
        return user

    client = TestClient(app)
    assert client.get("/me?q=x", headers={"X-Token": "nope"}).status_code == 401
    assert issues(client.get("/me?q=x", headers={"X-Token": "secret"})) == [
        (("query", "q"), "int_parsing")
    ]
    assert issues(client.get("/me?q=x")) == [
        (("header", "x-token"), "missing"),
        (("query", "q"), "int_parsing"),
    ]


def test_validation_error_raised_by_a_dependency_itself_is_not_merged() -> None:
    def checked(code: str = Query()) -> str:
        if not code.isdigit():
            raise RequestValidationError(
                [ValidationIssue(("query", "code"), "Digits only", "digits")]
            )
        return code

    app = CovetPy()

    @app.get("/")
    async def index(code: str = Depends(checked), n: int = Query()) -> Any:
        return [code, n]

    client = TestClient(app)
    # The dependency ran (its parameters were fine) and refused the request itself.
    assert issues(client.get("/?code=ab&n=x")) == [(("query", "code"), "digits")]
    assert issues(client.get("/?code=12&n=x")) == [(("query", "n"), "int_parsing")]


def test_no_dependency_is_called_after_the_first_issue() -> None:
    called: list[str] = []

    def later() -> None:
        called.append("later")

    app = CovetPy()

    @app.get("/", dependencies=[Depends(token), Depends(later)])
    async def index() -> None:
        called.append("handler")

    assert issues(TestClient(app).get("/")) == [(("header", "x-token"), "missing")]
    assert called == []


def test_generator_dependencies_are_torn_down_when_a_later_sibling_fails() -> None:
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        events.append("open")
        try:
            yield "db"
        finally:
            events.append("close")

    def resource() -> Iterator[str]:
        events.append("acquire")
        yield "res"
        events.append("release")

    app = CovetPy()

    @app.get("/")
    async def index(
        db: str = Depends(session), res: str = Depends(resource), user: str = Depends(token)
    ) -> Any:
        events.append("handler")
        return [db, res, user]

    client = TestClient(app)
    assert issues(client.get("/")) == [(("header", "x-token"), "missing")]
    assert events == ["open", "acquire", "close"]
    events.clear()
    assert client.get("/", headers={"X-Token": "t"}).json() == ["db", "res", "t"]
    assert events == ["open", "acquire", "handler", "release", "close"]


def test_fastapi_error_format_lists_every_issue_under_detail() -> None:
    app = CovetPy(error_format="fastapi")

    @app.get("/items")
    async def items(user: str = Depends(token), limit: int = Query(ge=1)) -> Any:
        return [user, limit]

    response = TestClient(app).get("/items?limit=0")
    assert issues(response, "detail") == [
        (("header", "x-token"), "missing"),
        (("query", "limit"), "greater_than_equal"),
    ]
    assert all({"loc", "msg", "type"} <= set(error) for error in response.json()["detail"])


def test_app_scoped_dependencies_are_not_created_for_a_refused_request() -> None:
    created: list[str] = []

    def engine() -> str:
        created.append("engine")
        return "engine"

    app = CovetPy()

    @app.get("/")
    async def index(user: str = Depends(token), db: str = Depends(engine, scope="app")) -> Any:
        return [user, db]

    client = TestClient(app)
    assert issues(client.get("/")) == [(("header", "x-token"), "missing")]
    assert created == []
    assert client.get("/", headers={"X-Token": "t"}).json() == ["t", "engine"]
    assert created == ["engine"]


def test_a_path_value_its_annotation_cannot_take_is_merged_with_other_issues() -> None:
    app = CovetPy()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: Annotated[int, Query()]) -> int:
        return item_id

    client = TestClient(app)
    response = client.get("/items/abc?q=x")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [["path", "item_id"], ["query", "q"]]
    assert errors[0]["type"] == "int_parsing"
    assert client.get("/items/5?q=1").json() == 5
