"""FastAPI-shaped application code: the app object, as FastAPI's docs use it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest

from covet import CovetPy as FastAPI
from covet import Depends, Header, HTTPException
from covet.testing import TestClient

# -- dependency overrides, as FastAPI's "Testing Dependencies with Overrides" page shows -----


async def common_parameters(
    q: str | None = None, skip: int = 0, limit: int = 100
) -> dict[str, Any]:
    return {"q": q, "skip": skip, "limit": limit}


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/")
    async def read_items(commons: Annotated[dict[str, Any], Depends(common_parameters)]) -> Any:
        return {"message": "Hello Items!", "params": commons}

    return app


async def override_dependency(q: str | None = None) -> dict[str, Any]:
    return {"q": q, "skip": 5, "limit": 10}


ORIGINAL = {"q": None, "skip": 0, "limit": 100}
OVERRIDDEN = {"q": None, "skip": 5, "limit": 10}


def params(client: TestClient) -> Any:
    response = client.get("/items/")
    assert response.status_code == 200
    return response.json()["params"]


def test_override_then_reset_by_assigning_an_empty_dict() -> None:
    app = make_app()
    client = TestClient(app)
    app.dependency_overrides[common_parameters] = override_dependency
    assert params(client) == OVERRIDDEN
    app.dependency_overrides = {}
    assert params(client) == ORIGINAL


def test_assigning_a_new_dict_after_the_first_request_takes_effect() -> None:
    app = make_app()
    client = TestClient(app)
    assert params(client) == ORIGINAL
    app.dependency_overrides = {common_parameters: override_dependency}
    assert params(client) == OVERRIDDEN


def test_assigning_a_dict_before_the_first_request_takes_effect() -> None:
    app = make_app()
    app.dependency_overrides = {common_parameters: override_dependency}
    client = TestClient(app)
    assert params(client) == OVERRIDDEN


Mutation = Callable[[Any], Any]
ADDS: list[tuple[str, Mutation]] = [
    ("setitem", lambda o: o.__setitem__(common_parameters, override_dependency)),
    ("update", lambda o: o.update({common_parameters: override_dependency})),
    ("update-pairs", lambda o: o.update([(common_parameters, override_dependency)])),
    ("setdefault", lambda o: o.setdefault(common_parameters, override_dependency)),
]
REMOVES: list[tuple[str, Mutation]] = [
    ("delitem", lambda o: o.__delitem__(common_parameters)),
    ("pop", lambda o: o.pop(common_parameters)),
    ("popitem", lambda o: o.popitem()),
    ("clear", lambda o: o.clear()),
]


@pytest.mark.parametrize(("name", "add"), ADDS, ids=[name for name, _ in ADDS])
def test_every_way_of_adding_an_override_takes_effect(name: str, add: Mutation) -> None:
    app = make_app()
    client = TestClient(app)
    assert params(client) == ORIGINAL
    add(app.dependency_overrides)
    assert params(client) == OVERRIDDEN


@pytest.mark.parametrize(("name", "remove"), REMOVES, ids=[name for name, _ in REMOVES])
def test_every_way_of_removing_an_override_takes_effect(name: str, remove: Mutation) -> None:
    app = make_app()
    client = TestClient(app)
    app.dependency_overrides[common_parameters] = override_dependency
    assert params(client) == OVERRIDDEN
    remove(app.dependency_overrides)
    assert params(client) == ORIGINAL


# The pytest-fixture form: override for the test, reset afterwards.
shared_app = make_app()


@pytest.fixture
def overridden_client() -> Iterator[TestClient]:
    shared_app.dependency_overrides[common_parameters] = override_dependency
    yield TestClient(shared_app)
    shared_app.dependency_overrides = {}


def test_fixture_override_applies(overridden_client: TestClient) -> None:
    assert params(overridden_client) == OVERRIDDEN


def test_after_the_fixture_the_original_answers() -> None:
    # Runs after the test above: its fixture's ``= {}`` reset must have taken effect.
    assert params(TestClient(shared_app)) == ORIGINAL


def test_overrides_read_like_a_dict() -> None:
    app = make_app()
    app.dependency_overrides = {common_parameters: override_dependency}
    assert dict(app.dependency_overrides) == {common_parameters: override_dependency}
    assert common_parameters in app.dependency_overrides
    assert len(app.dependency_overrides) == 1
    assert app.dependency_overrides.get(override_dependency) is None


# -- @app.on_event, as FastAPI's "Lifespan Events" page (alternate events) shows ---------------


def test_on_event_startup_and_shutdown_run_with_a_deprecation_warning() -> None:
    app = FastAPI()
    items: dict[str, dict[str, str]] = {}
    log: list[str] = []

    # As users write it: decorated functions inside the block.
    with pytest.warns(DeprecationWarning, match="lifespan=") as warned:  # noqa: PT031

        @app.on_event("startup")
        async def startup_event() -> None:
            items["foo"] = {"name": "Fighters"}

        @app.on_event("shutdown")
        def shutdown_event() -> None:
            log.append("Application shutdown")

    # The warning points at the decorator line in the user's code, not inside covet.
    assert {record.filename for record in warned} == {__file__}

    @app.get("/items/{item_id}")
    async def read_items(item_id: str) -> Any:
        return items[item_id]

    with TestClient(app) as client:
        assert client.get("/items/foo").json() == {"name": "Fighters"}
        assert log == []
    assert log == ["Application shutdown"]


def test_router_on_event_runs_with_the_app_that_includes_it() -> None:
    from covet import Router as APIRouter

    router = APIRouter()
    log: list[str] = []
    with pytest.warns(DeprecationWarning, match="lifespan="):
        on_startup = router.on_event("startup")
    with pytest.warns(DeprecationWarning, match="lifespan="):
        on_shutdown = router.on_event("shutdown")
    on_startup(lambda: log.append("router up"))
    on_shutdown(lambda: log.append("router down"))
    app = FastAPI(on_startup=[lambda: log.append("app up")])
    app.include_router(router)
    with TestClient(app):
        assert log == ["app up", "router up"]
    assert log == ["app up", "router up", "router down"]


def test_on_event_with_an_unknown_event_is_a_configuration_error() -> None:
    from covet import ConfigurationError

    with pytest.raises(ConfigurationError, match="'startup' or 'shutdown'"):
        FastAPI().on_event("start")


# -- global dependencies, as FastAPI's "Global Dependencies" page shows -----------------------


async def verify_token(x_token: Annotated[str, Header()]) -> None:
    if x_token != "fake-super-secret-token":
        raise HTTPException(status_code=400, detail="X-Token header invalid")


async def verify_key(x_key: Annotated[str, Header()]) -> str:
    if x_key != "fake-super-secret-key":
        raise HTTPException(status_code=400, detail="X-Key header invalid")
    return x_key


def guarded_app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(verify_token), Depends(verify_key)])

    @app.get("/items/")
    async def read_items() -> Any:
        return [{"item": "Portal Gun"}, {"item": "Plumbus"}]

    return app


GOOD_HEADERS = {"x-token": "fake-super-secret-token", "x-key": "fake-super-secret-key"}


def test_global_dependencies_guard_the_app_routes() -> None:
    client = TestClient(guarded_app())
    assert client.get("/items/").status_code == 422
    assert client.get("/items/", headers={**GOOD_HEADERS, "x-key": "no"}).status_code == 400
    assert client.get("/items/", headers=GOOD_HEADERS).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/openapi.json", "/docs", "/redoc", "/docs-assets/swagger-ui.css"],
    ids=["openapi", "swagger-ui", "redoc", "asset"],
)
def test_a_browser_opens_the_docs_of_an_app_with_header_dependencies(path: str) -> None:
    response = TestClient(guarded_app()).get(path)
    assert response.status_code == 200


def test_the_guarded_document_still_lists_the_dependency_headers() -> None:
    document = TestClient(guarded_app()).get("/openapi.json").json()
    names = {p["name"] for p in document["paths"]["/items/"]["get"]["parameters"]}
    assert names == {"x-token", "x-key"}
    assert set(document["paths"]) == {"/items/"}


# -- the matched route from middleware, as FastAPI metrics middleware read it ----------------


def test_function_middleware_reads_the_route_template_after_call_next() -> None:
    from covet import Request

    app = FastAPI()

    @app.middleware("http")
    async def route_label(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        route = request.scope.get("route")
        response.headers["x-route"] = route.path if route is not None else "unmatched"
        return response

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> Any:
        return {"item_id": item_id}

    client = TestClient(app)
    assert client.get("/items/5").headers["x-route"] == "/items/{item_id}"
    assert client.get("/nowhere").headers["x-route"] == "unmatched"


# -- routes added without a decorator (FastAPI's add_api_route) --------------------------------


def test_add_api_route_and_add_api_websocket_route_register_like_the_decorators() -> None:
    from covet import Router as APIRouter
    from covet import WebSocket

    async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    async def create_item(item: dict[str, Any]) -> dict[str, Any]:
        return item

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())

    router = APIRouter(prefix="/v1")
    router.add_api_route("/items/{item_id}", read_item)
    app = FastAPI()
    app.add_api_route("/items", create_item, methods=["POST"], status_code=201, tags=["items"])
    app.add_api_websocket_route("/ws", echo)
    app.include_router(router)

    with TestClient(app) as client:
        assert client.get("/v1/items/3?q=x").json() == {"item_id": 3, "q": "x"}
        assert client.get("/v1/items/x").status_code == 422
        created = client.post("/items", json={"name": "a"})
        assert (created.status_code, created.json()) == (201, {"name": "a"})
        assert client.get("/items").status_code == 405
        with client.websocket_connect("/ws") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "hi"
        operation = client.get("/openapi.json").json()["paths"]["/items"]["post"]
    assert operation["tags"] == ["items"]
