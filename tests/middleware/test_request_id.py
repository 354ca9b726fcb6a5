"""RequestIDMiddleware: one id per request in the state, the response, the 500 page and the logs."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Iterator

import httpx
import pytest

from covet import BackgroundTasks, CovetPy, Depends, Request, Response, WebSocket
from covet.exceptions import ConfigurationError
from covet.middleware import (
    AccessLogMiddleware,
    RequestIDConfig,
    RequestIDLogFilter,
    RequestIDMiddleware,
    current_request_id,
)
from covet.testing import AsyncTestClient, TestClient

HEX32 = re.compile(r"[0-9a-f]{32}")
log = logging.getLogger("shop")


@pytest.fixture
def id_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog with the filter on its handler, as a user attaches it to theirs."""
    log_filter = RequestIDLogFilter()
    caplog.handler.addFilter(log_filter)
    with caplog.at_level(logging.INFO):
        yield caplog
    caplog.handler.removeFilter(log_filter)


def echo_app(**options: object) -> CovetPy:
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware, **options)

    @app.get("/")
    async def home(request: Request) -> dict[str, str | None]:
        return {"state": request.state.request_id, "var": current_request_id()}

    return app


def test_each_request_gets_a_fresh_id_in_state_header_and_contextvar() -> None:
    with TestClient(echo_app()) as client:
        first, second = client.get("/"), client.get("/")
    for response in (first, second):
        rid = response.headers["x-request-id"]
        assert HEX32.fullmatch(rid)
        assert response.json() == {"state": rid, "var": rid}
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert current_request_id() is None  # reset once the request is over


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", True),
        ("trace:1.2_3", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("has space", False),
        ("<script>", False),
        ("a\\nb", False),
        ("", False),
    ],
    ids=[
        "simple",
        "punctuation",
        "max-length",
        "too-long",
        "space",
        "markup",
        "backslash",
        "empty",
    ],
)
def test_an_incoming_id_is_kept_only_when_well_formed(sent: str, kept: bool) -> None:
    with TestClient(echo_app()) as client:
        response = client.get("/", headers={"X-Request-ID": sent})
    rid = response.headers["x-request-id"]
    assert (rid == sent) is kept
    if not kept:
        assert HEX32.fullmatch(rid)
    assert response.json()["state"] == rid


def test_untrusted_incoming_ids_are_always_replaced() -> None:
    with TestClient(echo_app(trust_incoming=False)) as client:
        response = client.get("/", headers={"X-Request-ID": "client-chosen"})
    assert HEX32.fullmatch(response.headers["x-request-id"])


def test_a_custom_header_and_generator() -> None:
    counter = iter(range(1, 1000))
    app = echo_app(header="X-Correlation-ID", generator=lambda: f"req-{next(counter)}")
    with TestClient(app) as client:
        generated = client.get("/")
        forwarded = client.get("/", headers={"X-Correlation-ID": "from-proxy"})
        other_header = client.get("/", headers={"X-Request-ID": "ignored"})
    assert generated.headers["x-correlation-id"].startswith("req-")
    assert "x-request-id" not in generated.headers
    assert forwarded.headers["x-correlation-id"] == "from-proxy"
    assert other_header.headers["x-correlation-id"].startswith("req-")


def test_config_object_is_accepted() -> None:
    config = RequestIDConfig(header="X-Trace", trust_incoming=False)
    with TestClient(echo_app(config=config)) as client:
        response = client.get("/", headers={"X-Trace": "mine"})
    assert HEX32.fullmatch(response.headers["x-trace"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"header": "X Request"}, "header="),
        ({"header": ""}, "header="),
        ({"trust_incoming": "yes"}, "trust_incoming"),
        ({"generator": "uuid"}, "generator must be a callable"),
        ({"headr": "X-Id"}, "unknown option"),
        ({"config": RequestIDConfig(), "header": "X-Id"}, "not both"),
        ({"config": {"header": "X-Id"}}, "must be a RequestIDConfig"),
    ],
    ids=[
        "space-in-header",
        "empty-header",
        "trust-not-bool",
        "generator-not-callable",
        "unknown-option",
        "config-and-options",
        "config-wrong-type",
    ],
)
def test_bad_settings_fail_at_start_up(options: dict[str, object], message: str) -> None:
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware, **options)
    with pytest.raises(ConfigurationError, match=message):
        app.build()


def test_a_header_the_app_sets_itself_is_kept() -> None:
    app = echo_app()

    @app.get("/own")
    async def own() -> Response:
        return Response("x", headers={"X-Request-ID": "set-by-handler"})

    with TestClient(app) as client:
        response = client.get("/own")
    assert response.headers.get_list("x-request-id") == ["set-by-handler"]


def test_a_shared_response_object_is_not_changed() -> None:
    shared = Response("same for everyone")
    app = echo_app()

    @app.get("/shared")
    async def shared_route() -> Response:
        return shared

    with TestClient(app) as client:
        ids = [client.get("/shared").headers.get_list("x-request-id") for _ in range(3)]
    assert all(len(found) == 1 for found in ids)
    assert len({found[0] for found in ids}) == 3
    assert all(name != b"x-request-id" for name, _ in shared.raw_headers)


def test_every_log_line_of_a_request_carries_its_id(id_logs: pytest.LogCaptureFixture) -> None:
    """Handler, dependency, background task after the response, sync handler in a thread."""
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware)
    threads: list[str] = []

    def audit() -> Iterator[None]:
        log.info("dependency before")
        yield
        log.info("dependency cleanup")

    def after_response(order: int) -> None:
        log.info("background task %d", order)

    @app.post("/orders", dependencies=[Depends(audit)])
    async def create_order(tasks: BackgroundTasks) -> dict[str, bool]:
        log.info("async handler")
        tasks.add_task(after_response, 1)
        return {"ok": True}

    @app.get("/report")
    def report() -> dict[str, bool]:  # sync: runs in the thread pool
        threads.append(threading.current_thread().name)
        log.info("sync handler")
        return {"ok": True}

    with TestClient(app) as client:
        order = client.post("/orders", headers={"X-Request-ID": "order-1"})
        report_response = client.get("/report")
    log.info("outside any request")

    by_message = {record.getMessage(): record.request_id for record in id_logs.records}  # type: ignore[attr-defined]
    assert order.headers["x-request-id"] == "order-1"
    for message in ("dependency before", "async handler", "dependency cleanup"):
        assert by_message[message] == "order-1", message
    assert by_message["background task 1"] == "order-1"
    assert threads
    assert threads[0] != threading.main_thread().name
    assert by_message["sync handler"] == report_response.headers["x-request-id"]
    assert by_message["outside any request"] == "-"


def test_a_sync_background_task_in_the_thread_pool_carries_the_id(
    id_logs: pytest.LogCaptureFixture,
) -> None:
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware)
    seen: list[str | None] = []

    def in_thread() -> None:
        seen.append(current_request_id())
        log.info("thread pool background")

    @app.get("/")
    async def home(tasks: BackgroundTasks) -> str:
        tasks.add_task(in_thread)
        return "ok"

    with TestClient(app) as client:
        rid = client.get("/").headers["x-request-id"]
    assert seen == [rid]
    (record,) = [r for r in id_logs.records if r.getMessage() == "thread pool background"]
    assert record.request_id == rid  # type: ignore[attr-defined]


def test_concurrent_requests_keep_their_own_ids() -> None:
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware)

    @app.get("/{n}")
    async def slow(n: int) -> dict[str, str | None]:
        before = current_request_id()
        await asyncio.sleep(0.01 * (5 - n))
        return {"before": before, "after": current_request_id()}

    async def main() -> list[httpx.Response]:
        async with AsyncTestClient(app) as client:
            return await asyncio.gather(
                *(client.get(f"/{n}", headers={"X-Request-ID": f"r{n}"}) for n in range(5))
            )

    for n, response in enumerate(asyncio.run(main())):
        assert response.json() == {"before": f"r{n}", "after": f"r{n}"}


@pytest.mark.parametrize("access_log_outside", [True, False], ids=["log-outer", "log-inner"])
@pytest.mark.parametrize("header", ["X-Request-ID", "X-Correlation-ID"])
def test_the_500_body_the_access_log_and_the_header_show_one_id(
    caplog: pytest.LogCaptureFixture, access_log_outside: bool, header: str
) -> None:
    app = CovetPy()
    pair = [
        (RequestIDMiddleware, {"header": header, "trust_incoming": False}),
        (AccessLogMiddleware, {}),
    ]
    for middleware, options in pair if access_log_outside else reversed(pair):
        app.add_middleware(middleware, **options)

    @app.get("/boom")
    async def boom() -> None:
        log.error("about to fail")
        raise RuntimeError("database down")

    @app.get("/ok")
    async def ok() -> str:
        return "fine"

    caplog.handler.addFilter(RequestIDLogFilter())
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        failed = client.get("/boom", headers={header: "client-sent"})
        fine = client.get("/ok")

    rid = failed.headers[header]
    assert rid != "client-sent"
    assert HEX32.fullmatch(rid)
    assert failed.status_code == 500
    assert failed.json()["request_id"] == rid
    assert fine.headers.get_list(header) == [fine.headers[header]]  # exactly once
    records = {(r.name, r.getMessage().split(" ")[0]): r for r in caplog.records}
    access = [r for r in caplog.records if r.name == "covet.access"]
    assert [r.request_id for r in access] == [rid, fine.headers[header]]  # type: ignore[attr-defined]
    assert records[("shop", "about")].request_id == rid  # type: ignore[attr-defined]
    error = next(r for r in caplog.records if r.name == "covet.error")
    assert error.request_id == rid  # type: ignore[attr-defined]
    if header != "X-Request-ID":
        assert "x-request-id" not in failed.headers
        assert "x-request-id" not in fine.headers


def test_websocket_connections_get_an_id_in_state() -> None:
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {"state": websocket.state.request_id, "var": current_request_id()}
        )
        await websocket.close()

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", headers={"X-Request-ID": "ws-1"}) as session,
    ):
        assert session.receive_json() == {"state": "ws-1", "var": "ws-1"}


def test_lifespan_scope_passes_through_untouched() -> None:
    started: list[bool] = []

    async def start() -> None:
        started.append(current_request_id() is None)

    app = CovetPy(on_startup=[start])
    app.add_middleware(RequestIDMiddleware)
    with TestClient(app) as client:
        assert client.get("/missing").status_code == 404
    assert started == [True]


def test_the_log_filter_keeps_an_existing_request_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    record.request_id = "given"
    assert RequestIDLogFilter().filter(record)
    assert record.request_id == "given"
    bare = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    RequestIDLogFilter(default="none").filter(bare)
    assert bare.request_id == "none"  # type: ignore[attr-defined]


def test_a_user_shaped_logging_setup_formats_the_id(capsys: pytest.CaptureFixture[str]) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIDLogFilter())
    handler.setFormatter(logging.Formatter("%(request_id)s %(levelname)s %(message)s"))
    orders = logging.getLogger("orders-app")
    orders.addHandler(handler)
    orders.setLevel(logging.INFO)
    orders.propagate = False
    app = CovetPy()
    app.add_middleware(RequestIDMiddleware)

    @app.get("/")
    async def home() -> str:
        orders.info("listing orders")
        return "ok"

    try:
        with TestClient(app) as client:
            client.get("/", headers={"X-Request-ID": "abc-1"})
        orders.info("idle")
    finally:
        orders.removeHandler(handler)
    assert capsys.readouterr().err.splitlines() == ["abc-1 INFO listing orders", "- INFO idle"]
