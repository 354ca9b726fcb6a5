"""Lifespan: hooks, context managers, state in requests, composition across routers and apps."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends, Request, Router
from covet.testing import TestClient
from tests.support.optional import require
from tests.support.servers import answers_http, free_port, running_server


@dataclass
class AppState:
    db: str
    counter: list[int]


def test_lifespan_state_reaches_requests_typed_and_untyped() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[AppState]:
        events.append("start")
        yield AppState(db="sqlite://", counter=[])
        events.append("stop")

    app = CovetPy(lifespan=lifespan)

    @app.get("/")
    async def index(request: Request) -> dict[str, Any]:
        state = request.state_of(AppState)
        state.counter.append(1)
        return {"db": request.state.db, "typed": state.db, "count": len(state.counter)}

    with TestClient(app) as client:
        assert events == ["start"]
        assert client.get("/").json() == {"db": "sqlite://", "typed": "sqlite://", "count": 1}
        assert client.get("/").json()["count"] == 2
    assert events == ["start", "stop"]


def test_request_state_is_per_request() -> None:
    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[dict[str, Any]]:
        yield {"shared": "yes"}

    app = CovetPy(lifespan=lifespan)

    @app.get("/set")
    async def set_value(request: Request) -> str:
        request.state.user = "ann"
        return "set"

    @app.get("/get")
    async def get_value(request: Request) -> bool:
        return "user" in request.state

    with TestClient(app) as client:
        client.get("/set")
        assert client.get("/get").json() is False


def test_missing_typed_state_is_a_lookup_error() -> None:
    app = CovetPy()

    @app.get("/")
    async def index(request: Request) -> None:
        request.state_of(AppState)

    with TestClient(app) as client, pytest.raises(LookupError, match="AppState"):
        client.get("/")


def test_lifespans_compose_across_routers_and_mounted_apps() -> None:
    events: list[str] = []

    def tracking(name: str, value: dict[str, str]):  # type: ignore[no-untyped-def]
        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
            events.append(f"{name} up")
            yield value
            events.append(f"{name} down")

        return lifespan

    router = Router(lifespan=tracking("router", {"from_router": "r"}))

    @router.get("/r")
    async def from_router(request: Request) -> str:
        return str(request.state.from_router)

    sub = CovetPy(lifespan=tracking("sub", {"from_sub": "s"}))

    @sub.get("/s")
    async def from_sub(request: Request) -> list[str]:
        return [request.state.from_sub, request.state.from_app]

    app = CovetPy(
        lifespan=tracking("app", {"from_app": "a"}),
        on_startup=[lambda: events.append("hook up")],
        on_shutdown=[lambda: events.append("hook down")],
    )
    app.include_router(router)
    app.mount("/sub", sub)

    with TestClient(app) as client:
        assert events == ["hook up", "app up", "router up", "sub up"]
        assert client.get("/r").json() == "r"
        assert client.get("/sub/s").json() == ["s", "a"]
    assert events[4:] == ["sub down", "router down", "app down", "hook down"]


def test_app_scoped_values_close_before_the_lifespans_and_hooks_reverse_of_start_up() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def app_lifespan(app: Any) -> AsyncIterator[None]:
        events.append("lifespan up")
        yield
        events.append("lifespan down")

    @asynccontextmanager
    async def router_lifespan(app: Any) -> AsyncIterator[None]:
        events.append("router up")
        yield
        events.append("router down")

    async def pool() -> AsyncIterator[str]:
        events.append("pool up")
        yield "pool"
        events.append("pool down")

    router = Router(lifespan=router_lifespan)

    @router.get("/")
    async def index(db: Annotated[str, Depends(pool, scope="app")]) -> str:
        return db

    app = CovetPy(
        lifespan=app_lifespan,
        on_startup=[lambda: events.append("hook up")],
        on_shutdown=[lambda: events.append("hook down")],
    )
    app.include_router(router)

    with TestClient(app) as client:
        assert client.get("/").json() == "pool"
        assert events == ["hook up", "lifespan up", "router up", "pool up"]
    assert events[4:] == ["pool down", "router down", "lifespan down", "hook down"]


def test_async_hooks_and_startup_failure() -> None:
    async def fail() -> None:
        raise RuntimeError("database unreachable")

    app = CovetPy(on_startup=[fail])
    with pytest.raises(Exception, match="database unreachable"), TestClient(app):
        pass


def test_shutdown_runs_even_if_handler_failed() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[None]:
        yield
        events.append("closed")

    app = CovetPy(lifespan=lifespan)

    @app.get("/")
    async def index() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/").status_code == 500
    assert events == ["closed"]


# -- the shutdown signal ----------------------------------------------------------------------


def test_shutting_down_is_set_before_the_lifespans_exit() -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def lifespan(app: CovetPy) -> AsyncIterator[None]:
        async def worker() -> None:
            await app.shutting_down  # a background job draining on shutdown
            seen.append("worker drained")

        task = asyncio.ensure_future(worker())
        yield
        seen.append(f"lifespan exits, signal set: {bool(app.shutting_down)}")
        await asyncio.wait_for(task, 2)
        seen.append("lifespan done")

    app = CovetPy(lifespan=lifespan)

    @app.get("/")
    async def home(request: Request) -> bool:
        return bool(request.app.shutting_down)

    for _ in range(2):  # a second serving period starts with the signal cleared
        seen.clear()
        with TestClient(app) as client:
            assert client.get("/").json() is False
        assert seen == ["lifespan exits, signal set: True", "worker drained", "lifespan done"]


def test_an_in_flight_long_poll_is_woken_by_the_shutdown() -> None:
    from covet.testing import AsyncTestClient

    sub = CovetPy()

    @sub.get("/poll")
    async def sub_poll(request: Request) -> str:
        await request.app.shutting_down
        return "sub drained"

    app = CovetPy()
    app.mount("/sub", sub)

    @app.get("/poll")
    async def poll(request: Request) -> str:
        await request.app.shutting_down
        return "drained"

    async def main() -> list[Any]:
        # Drive the lifespan as a server does, and send requests while it runs.
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: list[str] = []
        started = asyncio.Event()

        async def send(message: dict[str, Any]) -> None:
            outbox.append(message["type"])
            if message["type"] == "lifespan.startup.complete":
                started.set()

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        lifespan = asyncio.ensure_future(app(scope, inbox.get, send))
        await inbox.put({"type": "lifespan.startup"})
        await asyncio.wait_for(started.wait(), 2)
        client = AsyncTestClient(app)
        polls = [asyncio.ensure_future(client.get(path)) for path in ("/poll", "/sub/poll")]
        await asyncio.sleep(0.05)
        assert not any(poll.done() for poll in polls)
        await inbox.put({"type": "lifespan.shutdown"})
        responses = await asyncio.wait_for(asyncio.gather(*polls), 2)
        await lifespan
        await client.aclose()
        return [*(r.json() for r in responses), outbox[-1]]

    assert asyncio.run(main()) == ["drained", "sub drained", "lifespan.shutdown.complete"]


SHUTDOWN_APP = """
import asyncio, pathlib
from contextlib import asynccontextmanager
from covet import CovetPy

log = pathlib.Path(__file__).with_name("events.log")

@asynccontextmanager
async def lifespan(app):
    async def worker():
        await app.shutting_down
        log.write_text(log.read_text() + "worker drained\\n")

    task = asyncio.ensure_future(worker())
    yield
    await task
    log.write_text(log.read_text() + "lifespan exited\\n")

app = CovetPy(lifespan=lifespan)

@app.get("/")
async def home():
    return "up"
"""


@pytest.mark.e2e
def test_uvicorn_shutdown_sets_the_signal_before_the_lifespan_exits(tmp_path: Path) -> None:
    require("uvicorn")
    log = tmp_path / "events.log"
    log.write_text("")
    (tmp_path / "shutdown_app.py").write_text(SHUTDOWN_APP)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "shutdown_app:app", "--app-dir", str(tmp_path)]
    with running_server(
        [*argv, "--port", str(port)],
        port=port,
        log_path=tmp_path / "server.log",
        ready=answers_http,
    ) as server:
        server.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert server.wait(timeout=10) in (0, -signal.SIGTERM)
    assert log.read_text() == "worker drained\nlifespan exited\n"


def test_a_list_of_lifespans_enters_in_order_and_exits_in_reverse() -> None:
    events: list[str] = []

    def tracked(name: str) -> Any:
        @asynccontextmanager
        async def lifespan(app: CovetPy) -> AsyncIterator[dict[str, str]]:
            events.append(f"enter {name}")
            yield {name: name}
            events.append(f"exit {name}")

        return lifespan

    app = CovetPy(lifespan=[tracked("db"), tracked("store")])
    router = Router(lifespan=(tracked("router"),))
    app.include_router(router)

    @app.get("/")
    async def home(request: Request) -> dict[str, str]:
        return {"db": request.state.db, "store": request.state.store}

    with TestClient(app) as client:
        assert client.get("/").json() == {"db": "db", "store": "store"}
    assert events == [
        "enter db",
        "enter store",
        "enter router",
        "exit router",
        "exit store",
        "exit db",
    ]


def test_a_lifespan_list_holding_something_else_is_refused() -> None:
    from covet.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="is not a lifespan factory"):
        CovetPy(lifespan=["db.lifespan"])  # type: ignore[list-item]
