"""Structured logs through real requests: every line parsed as JSON, secrets absent."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from covet import CovetPy, HTTPException, Request, Secret
from covet.middleware import ProxyHeadersMiddleware
from covet.observability import Observability
from covet.testing import TestClient

log = logging.getLogger("shop.orders")


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each parsed as one JSON object (a broken line fails here)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _shop(obs: Observability) -> CovetPy:
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/orders/{order_id}")
    async def order(order_id: int) -> dict[str, int]:
        log.info("order looked up", extra={"order_id": order_id})
        return {"order_id": order_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the handler broke")

    @app.get("/gone")
    async def gone() -> None:
        raise HTTPException(410)

    obs.instrument(app)
    return app


def test_records_of_a_request_carry_its_id_and_the_access_line_its_route() -> None:
    stream = io.StringIO()
    with TestClient(_shop(Observability(service_name="shop", log_stream=stream))) as client:
        response = client.get("/orders/42")
    assert response.status_code == 200
    rid = response.headers["x-request-id"]
    lines = _lines(stream)
    handler = next(line for line in lines if line["logger"] == "shop.orders")
    assert handler["message"] == "order looked up"
    assert handler["order_id"] == 42
    assert handler["request_id"] == rid
    assert handler["level"] == "INFO"
    assert handler["service"] == "shop"
    assert handler["timestamp"].endswith("Z")
    access = next(line for line in lines if line["logger"] == "covet.access")
    assert access["request_id"] == rid
    assert access["method"] == "GET"
    assert access["path"] == "/orders/42"
    assert access["route"] == "/orders/{order_id}"  # the template, never the raw path alone
    assert access["status"] == 200
    assert isinstance(access["duration_ms"], float)
    assert access["client"] == "testclient:50000"


def test_a_client_sent_request_id_is_kept() -> None:
    stream = io.StringIO()
    with TestClient(_shop(Observability(log_stream=stream))) as client:
        client.get("/orders/1", headers={"X-Request-ID": "abc-123"})
    assert {line.get("request_id") for line in _lines(stream) if "status" in line} == {"abc-123"}


def test_errors_are_logged_with_their_traceback_and_request_id() -> None:
    stream = io.StringIO()
    app = _shop(Observability(log_stream=stream))
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/boom")
        missing = client.get("/nowhere/at/all")
        gone = client.get("/gone")
    assert failed.status_code == 500
    lines = _lines(stream)
    error = next(line for line in lines if "exception" in line)
    assert error["level"] == "ERROR"
    assert "RuntimeError: the handler broke" in error["exception"]
    assert error["request_id"] == failed.headers["x-request-id"]
    statuses = {line["path"]: line for line in lines if line["logger"] == "covet.access"}
    assert statuses["/boom"]["status"] == 500
    assert statuses["/boom"]["level"] == "ERROR"
    assert statuses["/nowhere/at/all"]["status"] == missing.status_code == 404
    assert statuses["/nowhere/at/all"]["route"] is None
    assert statuses["/gone"]["status"] == gone.status_code == 410


def test_secrets_are_never_logged() -> None:
    stream = io.StringIO()
    obs = Observability(log_stream=stream)
    app = CovetPy(lifespan=obs.lifespan)
    password = Secret("hunter2-settings")

    @app.get("/login")
    async def login(request: Request) -> dict[str, bool]:
        log.info("request headers", extra={"headers": dict(request.headers)})
        log.info("raw headers", extra={"raw": request.scope["headers"]})
        log.info("connecting to %s", "postgresql://shop:hunter2-url@db:5432/shop")
        log.info("settings loaded: %s %r", password, password)
        log.info("login", extra={"password": "hunter2-extra", "user": "ann"})
        log.warning("upstream said Authorization: Bearer hunter2-message")
        return {"ok": True}

    obs.instrument(app)
    with TestClient(app) as client:
        response = client.get(
            "/login",
            headers={"Authorization": "Bearer hunter2-header", "Cookie": "session=hunter2-cookie"},
        )
    assert response.status_code == 200
    text = stream.getvalue()
    assert "hunter2" not in text
    lines = _lines(stream)
    headers = next(line for line in lines if line["message"] == "request headers")["headers"]
    assert headers["authorization"] == headers["cookie"] == "[redacted]"
    assert headers["host"] == "testserver"  # the rest is kept
    url = next(line for line in lines if line["message"].startswith("connecting"))
    assert url["message"] == "connecting to postgresql://shop:[redacted]@db:5432/shop"
    logged_in = next(line for line in lines if line["message"] == "login")
    assert logged_in["password"] == "[redacted]"
    assert logged_in["user"] == "ann"


@pytest.mark.parametrize(
    "path",
    ["/orders/1%0A%7B%22level%22%3A%22CRITICAL%22%7D", "/x%1B%5B31mred", "/a%E2%80%A8b%00c"],
    ids=["newline", "escape", "line-separator-and-nul"],
)
def test_control_characters_cannot_forge_a_line(path: str) -> None:
    stream = io.StringIO()
    obs = Observability(log_stream=stream)
    app = CovetPy(lifespan=obs.lifespan)

    @app.get("/echo")
    async def echo(text: str) -> None:
        log.info("client said %s", text)

    obs.instrument(app)
    with TestClient(app) as client:
        client.get(path)
        client.get("/echo", params={"text": 'x\n{"level":"CRITICAL"}\x1b[31m'})
    raw = stream.getvalue()
    assert raw.isascii()
    assert "\x1b" not in raw
    lines = _lines(stream)
    assert [line["level"] for line in lines if line["logger"] != "covet.lifespan"] == [
        "INFO"
    ] * len([line for line in lines if line["logger"] != "covet.lifespan"])
    said = next(line for line in lines if line["message"].startswith("client said"))
    assert said["message"] == 'client said x\n{"level":"CRITICAL"}\x1b[31m'  # as data, escaped


def test_readable_format_for_development() -> None:
    stream = io.StringIO()
    obs = Observability(json_logs=False, log_stream=stream)
    app = _shop(obs)
    with TestClient(app) as client:
        rid = client.get("/orders/7").headers["x-request-id"]
        client.get("/x%1B%5B31m")
    lines = stream.getvalue().splitlines()
    handler = next(line for line in lines if "shop.orders" in line)
    assert handler.endswith(f"shop.orders: order looked up [{rid}]")
    assert " INFO    " in handler
    access = next(line for line in lines if "covet.access" in line and "/orders/7" in line)
    assert "GET /orders/7 200" in access
    assert "\x1b" not in stream.getvalue()


def test_the_switch_leaves_logging_as_it_found_it() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    uvicorn_access = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    obs = Observability(log_stream=stream, log_level="DEBUG")
    with TestClient(_shop(obs)):
        assert obs.handler in root.handlers
        assert root.level == logging.DEBUG
        assert uvicorn_access.disabled  # covet's access line replaces uvicorn's
    assert (list(root.handlers), root.level) == before
    assert not uvicorn_access.disabled


def test_existing_middleware_is_not_added_twice() -> None:
    stream = io.StringIO()
    obs = Observability(log_stream=stream)
    app = CovetPy(lifespan=obs.lifespan)
    from covet.middleware import RequestIDMiddleware

    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["*"])
    app.add_middleware(RequestIDMiddleware, header="X-Trace")

    @app.get("/")
    async def home() -> None:
        log.info("home")

    obs.instrument(app)
    obs.instrument(app)  # twice is the same as once
    assert [factory.__name__ for factory, _ in app.user_middleware] == [
        "AccessLogMiddleware",
        "RequestIDMiddleware",
        "ProxyHeadersMiddleware",
    ]
    assert app.router.lifespans.count(obs.lifespan) == 1
    with TestClient(app) as client:
        response = client.get("/", headers={"X-Forwarded-For": "203.0.113.9"})
    rid = response.headers["x-trace"]
    access = next(line for line in _lines(stream) if line["logger"] == "covet.access")
    assert access["request_id"] == rid
    assert access["client"].startswith("203.0.113.9:")  # after proxy handling


def test_bad_level_is_refused() -> None:
    from covet.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="log_level"):
        Observability(log_level="LOUD")
