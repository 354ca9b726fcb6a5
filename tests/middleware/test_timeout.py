"""TimeoutMiddleware: app-wide and per-route deadlines, 504, cleanup, streaming and threads."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator

import pytest

from covet import BackgroundTasks, CovetPy, Depends, Router, StreamingResponse
from covet.exceptions import ConfigurationError
from covet.middleware import AccessLogMiddleware, TimeoutConfig, TimeoutMiddleware
from covet.testing import TestClient
from covet.testing.exceptions import LifespanError

SHORT = 0.1


def make_app(**options: object) -> tuple[CovetPy, list[str]]:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, **({"timeout": SHORT} | options))
    events: list[str] = []

    @app.get("/fast")
    async def fast() -> str:
        return "fast"

    @app.get("/slow")
    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            events.append("handler cancelled")
            raise
        events.append("handler finished")
        return "slow"

    @app.get("/report", opt={"timeout": 1.0})
    async def report() -> str:
        await asyncio.sleep(0.3)  # over the app-wide deadline, within its own
        return "report"

    @app.get("/export", opt={"timeout": None})
    async def export() -> str:
        await asyncio.sleep(0.3)
        return "export"

    @app.get("/ping", opt={"timeout": 0.05})
    async def ping() -> str:
        await asyncio.sleep(0.3)
        return "pong"

    return app, events


def test_an_overrunning_handler_is_cancelled_with_a_504_problem() -> None:
    app, events = make_app()
    with TestClient(app) as client:
        started = time.perf_counter()
        response = client.get("/slow")
        elapsed = time.perf_counter() - started
        assert client.get("/fast").json() == "fast"
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 504
    assert body["title"] == "Gateway Timeout"
    assert "0.1 s" in body["detail"]
    assert elapsed < 2
    assert events == ["handler cancelled"]


def test_per_route_deadlines_replace_the_app_wide_one() -> None:
    app, _ = make_app()
    with TestClient(app) as client:
        assert client.get("/report").json() == "report"  # 1 s of its own
        assert client.get("/export").json() == "export"  # no deadline
        assert client.get("/ping").status_code == 504  # shorter than the app's
        assert client.get("/missing").status_code == 404


def test_no_app_wide_deadline_only_routes() -> None:
    app, _ = make_app(timeout=None)

    @app.get("/napping")
    async def napping() -> str:
        await asyncio.sleep(0.2)
        return "rested"

    with TestClient(app) as client:
        assert client.get("/napping").json() == "rested"
        assert client.get("/ping").status_code == 504


def test_router_opt_sets_the_deadline_of_its_routes() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=5)
    reports = Router(prefix="/reports")

    @reports.get("/daily")
    async def daily() -> str:
        await asyncio.sleep(0.3)
        return "daily"

    app.include_router(reports, opt={"timeout": SHORT})
    with TestClient(app) as client:
        assert client.get("/reports/daily").status_code == 504


def test_yield_dependencies_see_the_cancellation_and_clean_up() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=SHORT)
    seen: list[str] = []

    async def database() -> AsyncIterator[str]:
        seen.append("opened")
        try:
            yield "connection"
        except asyncio.CancelledError:
            seen.append("saw the cancellation")
            raise
        finally:
            await asyncio.sleep(0)  # cleanup may await
            seen.append("closed")

    @app.get("/query")
    async def query(db: str = Depends(database)) -> str:
        await asyncio.sleep(5)
        return db

    with TestClient(app) as client:
        assert client.get("/query").status_code == 504
    assert seen == ["opened", "saw the cancellation", "closed"]


def test_background_tasks_are_not_cut() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=SHORT)
    done: list[str] = []

    async def send_email() -> None:
        await asyncio.sleep(0.3)
        done.append("email sent")

    @app.post("/signup")
    async def signup(tasks: BackgroundTasks) -> str:
        tasks.add_task(send_email)
        return "welcome"

    with TestClient(app) as client:
        response = client.post("/signup")
    assert response.json() == "welcome"
    assert done == ["email sent"]


def test_a_streaming_response_is_not_cut_once_started() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=SHORT)

    async def chunks() -> AsyncIterator[bytes]:
        for number in range(5):
            await asyncio.sleep(0.06)  # 0.3 s in all: three deadlines
            yield f"chunk {number}\n".encode()

    @app.get("/feed")
    async def feed() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="text/plain")

    with TestClient(app) as client:
        response = client.get("/feed")
    assert response.status_code == 200
    assert response.text == "".join(f"chunk {n}\n" for n in range(5))


def test_a_sync_handler_gets_a_504_on_time_and_its_thread_finishes() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=SHORT)
    finished = threading.Event()

    @app.get("/blocking")
    def blocking() -> str:
        time.sleep(0.5)
        finished.set()
        return "late"

    with TestClient(app) as client:
        started = time.perf_counter()
        response = client.get("/blocking")
        elapsed = time.perf_counter() - started
        assert response.status_code == 504
        assert elapsed < 0.45  # answered before the thread is done
        assert finished.wait(5)  # the work itself is not stopped


def test_the_504_goes_through_the_app_middleware_not_a_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app()
    app.add_middleware(AccessLogMiddleware)  # outermost: sees what the client gets
    with TestClient(app) as client, caplog.at_level(logging.INFO):
        response = client.get("/slow", headers={"X-Request-ID": "slow-1"})
    assert response.status_code == 504
    access = [r for r in caplog.records if r.name == "covet.access"]
    assert [r.status for r in access] == [504]  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.name == "covet.error"]
    (warning,) = [r for r in caplog.records if r.name == "covet.timeout"]
    assert "GET /slow overran its 0.1s deadline" in warning.getMessage()


def test_the_apps_own_timeout_error_is_not_taken_for_the_deadline() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=5)

    @app.get("/upstream")
    async def upstream() -> str:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
        return "never"

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/upstream").status_code == 500


def test_websockets_have_no_deadline() -> None:
    from covet import WebSocket

    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=SHORT)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await asyncio.sleep(0.3)
        await websocket.send_text("still here")
        await websocket.close()

    with TestClient(app) as client, client.websocket_connect("/ws") as session:
        assert session.receive_text() == "still here"


def test_config_object() -> None:
    app, _ = make_app(config=TimeoutConfig(timeout=SHORT), timeout=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not both"):
        app.build()
    app, _ = make_app()
    app.user_middleware[0] = (TimeoutMiddleware, {"config": TimeoutConfig(timeout=SHORT)})
    app.invalidate()
    with TestClient(app) as client:
        assert client.get("/slow").status_code == 504


@pytest.mark.parametrize(
    "value",
    [0, -1, "30", True, float("inf"), float("nan")],
    ids=["zero", "negative", "text", "bool", "inf", "nan"],
)
def test_bad_timeouts_fail_at_start_up(value: object) -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=value)
    with pytest.raises(ConfigurationError, match="positive number of seconds"):
        app.build()


def test_a_bad_route_timeout_stops_the_app_at_start_up() -> None:
    app = CovetPy()
    app.add_middleware(TimeoutMiddleware, timeout=5)

    @app.get("/x", opt={"timeout": "60"})
    async def x() -> str:
        return "x"

    with (
        pytest.raises(LifespanError, match=r"opt\['timeout'\] of route '/x'"),
        TestClient(app),
    ):
        pass
