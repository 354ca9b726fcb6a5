"""Dependencies written as FastAPI users write them: partials, callable objects, yield."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest

from covet import BackgroundTasks, CovetPy, Depends, HTTPException, Query, Request
from covet.exceptions import ConfigurationError
from covet.responses import JSONResponse
from covet.testing import TestClient


async def async_value(prefix: str, q: str = "x") -> str:
    return f"{prefix}:{q}"


async def async_session(name: str, events: list[str]) -> AsyncIterator[str]:
    events.append(f"open {name}")
    yield name
    events.append(f"close {name}")


def sync_session(name: str, events: list[str]) -> Iterator[str]:
    events.append(f"open {name}")
    yield name
    events.append(f"close {name}")


class AsyncChecker:
    """FastAPI's "parameterized dependencies": an instance whose ``__call__`` is async."""

    def __init__(self, fixed: str) -> None:
        self.fixed = fixed

    async def __call__(self, q: str = "") -> bool:
        return self.fixed in q


def test_partial_of_an_async_function_is_awaited() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(value: Annotated[str, Depends(functools.partial(async_value, "p"))]) -> Any:
        return {"value": value}

    response = TestClient(app).get("/?q=1")
    assert response.status_code == 200
    assert response.json() == {"value": "p:1"}


def test_partial_of_an_async_generator_is_entered_and_torn_down() -> None:
    app = CovetPy()
    events: list[str] = []
    session = functools.partial(async_session, "db", events)

    @app.get("/")
    async def index(db: Annotated[str, Depends(session)]) -> Any:
        return {"db": db}

    response = TestClient(app).get("/")
    assert response.status_code == 200
    assert response.json() == {"db": "db"}
    assert events == ["open db", "close db"]


def test_partial_of_a_sync_generator_is_entered_and_torn_down() -> None:
    app = CovetPy()
    events: list[str] = []

    @app.get("/")
    def index(db: str = Depends(functools.partial(sync_session, "file", events))) -> Any:
        return {"db": db}

    response = TestClient(app).get("/")
    assert response.status_code == 200
    assert response.json() == {"db": "file"}
    assert events == ["open file", "close file"]


def test_async_callable_objects_directly_and_through_a_partial() -> None:
    app = CovetPy()
    checker = AsyncChecker("bar")

    @app.get("/direct")
    async def direct(found: bool = Depends(checker)) -> Any:
        return {"found": found}

    @app.get("/partial")
    async def partial(found: bool = Depends(functools.partial(checker))) -> Any:
        return {"found": found}

    client = TestClient(app)
    assert client.get("/direct?q=foobar").json() == {"found": True}
    assert client.get("/partial?q=foo").json() == {"found": False}


def test_a_class_with_an_async_call_is_constructed_not_awaited() -> None:
    app = CovetPy()

    class Pagination:
        def __init__(self, skip: int = 0, limit: int = 10) -> None:
            self.skip, self.limit = skip, limit

        async def __call__(self) -> None:
            raise AssertionError("Depends(Pagination) builds an instance; it does not call it")

    @app.get("/items")
    async def items(page: Annotated[Pagination, Depends()]) -> Any:
        return {"skip": page.skip, "limit": page.limit}

    assert TestClient(app).get("/items?skip=5").json() == {"skip": 5, "limit": 10}


def test_an_exception_handler_object_with_async_call_is_awaited() -> None:
    class Teapot(Exception):
        pass

    class TeapotHandler:
        async def __call__(self, request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": "short and stout"}, status_code=418)

    app = CovetPy(exception_handlers={Teapot: TeapotHandler()})

    @app.get("/")
    async def index() -> None:
        raise Teapot

    response = TestClient(app).get("/")
    assert response.status_code == 418
    assert response.json() == {"detail": "short and stout"}


def test_background_task_partial_of_an_async_callable_object_is_awaited() -> None:
    app = CovetPy()
    done: list[str] = []

    class Notify:
        async def __call__(self, who: str) -> None:
            done.append(who)

    @app.post("/send")
    async def send(tasks: BackgroundTasks) -> Any:
        tasks.add_task(functools.partial(Notify(), "ada"))
        return {"queued": True}

    assert TestClient(app).post("/send").json() == {"queued": True}
    assert done == ["ada"]


def swallowing_sync() -> Iterator[str]:
    try:
        yield "db"
    except Exception:
        pass  # the bug under test: handled, not re-raised


async def swallowing_async() -> AsyncIterator[str]:
    try:
        yield "db"
    except HTTPException:
        pass


@pytest.mark.parametrize(
    ("dependency", "error"),
    [(swallowing_sync, RuntimeError("boom")), (swallowing_async, HTTPException(404))],
    ids=["sync-generator", "async-generator"],
)
def test_a_yield_dependency_swallowing_the_handlers_exception_ends_in_a_500(
    dependency: Any, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    app = CovetPy()

    @app.get("/")
    async def index(db: str = Depends(dependency)) -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    logged = "\n".join(
        str(record.exc_info[1]) for record in caplog.records if record.exc_info is not None
    )
    assert f"Dependency {dependency.__module__}.{dependency.__qualname__} caught" in logged
    assert "did not re-raise it" in logged


def test_a_misspelt_path_parameter_is_refused_at_start_up() -> None:
    app = CovetPy()

    @app.get("/items/{item_id}")
    async def read_item(id: int) -> Any:
        return {"id": id}

    with pytest.raises(ConfigurationError) as info:
        app.build()
    message = str(info.value)
    assert "Path parameter 'item_id' of route '/items/{item_id}'" in message
    assert "read_item" in message
    assert "parameter 'id'" in message


def test_a_path_parameter_taken_by_a_dependency_is_taken() -> None:
    app = CovetPy()

    def get_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/items/{item_id}")
    async def read_item(item: dict[str, int] = Depends(get_item), q: str = "") -> Any:
        return {**item, "q": q}

    assert TestClient(app).get("/items/3?q=x").json() == {"item_id": 3, "q": "x"}


def test_an_explicit_query_parameter_beside_an_unread_path_parameter_is_allowed() -> None:
    app = CovetPy()

    @app.get("/users/{user_id}/items")
    async def items(request: Request, q: Annotated[str, Query()] = "") -> Any:
        return {"user": request.path_params["user_id"], "q": q}

    assert TestClient(app).get("/users/u1/items?q=a").json() == {"user": "u1", "q": "a"}
