"""Error handling: problem details, handlers by class and status, no leaks in production."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import pytest

from covet import CovetPy, Form, HTTPException, JSONResponse, PlainTextResponse, Request
from covet.middleware import AccessLogMiddleware
from covet.testing import TestClient

SECRET = "s3cret-database-password"


def failing_app(debug: bool = False) -> CovetPy:
    app = CovetPy(debug=debug)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(f"connection to postgres://admin:{SECRET}@db failed")

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "I refuse to brew coffee", headers={"X-Pot": "yes"})

    return app


def test_http_exception_is_a_problem_document() -> None:
    response = TestClient(failing_app()).get("/teapot")
    assert response.status_code == 418
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-pot"] == "yes"
    assert response.json() == {
        "type": "about:blank",
        "title": "I'm a Teapot",
        "status": 418,
        "detail": "I refuse to brew coffee",
        "instance": "/teapot",
    }


def test_not_found_is_a_problem_document() -> None:
    response = TestClient(CovetPy()).get("/missing")
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"


def test_unhandled_exception_gives_generic_500_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = TestClient(failing_app(), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="covet.error"):
        response = client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body["request_id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"
    assert any(SECRET in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_hostile_request_id_is_replaced() -> None:
    client = TestClient(failing_app(), raise_server_exceptions=False)
    response = client.get("/boom", headers={"X-Request-ID": "x" * 500})
    assert len(response.json()["request_id"]) == 32


def test_debug_shows_traceback() -> None:
    client = TestClient(failing_app(debug=True), raise_server_exceptions=False)
    body = client.get("/boom").json()
    assert SECRET in body["exception"]
    assert any("Traceback" in line for line in body["traceback"])


def test_handlers_by_class_and_by_status() -> None:
    class OutOfStockError(Exception):
        pass

    app = CovetPy()

    @app.exception_handler(OutOfStockError)
    async def out_of_stock(request: Request, exc: OutOfStockError) -> JSONResponse:
        return JSONResponse({"error": "out of stock", "path": request.url.path}, status_code=409)

    @app.exception_handler(404)
    def not_found(request: Request, exc: HTTPException) -> PlainTextResponse:
        return PlainTextResponse("nothing here", status_code=404)

    @app.get("/buy")
    async def buy() -> None:
        raise OutOfStockError

    client = TestClient(app)
    response = client.get("/buy")
    assert response.status_code == 409
    assert response.json() == {"error": "out of stock", "path": "/buy"}
    assert client.get("/nowhere").text == "nothing here"


def test_subclass_handler_is_found_through_the_mro() -> None:
    class DomainError(Exception):
        pass

    class NotAllowedError(DomainError):
        pass

    app = CovetPy(
        exception_handlers={
            DomainError: lambda request, exc: PlainTextResponse(type(exc).__name__, 400)
        }
    )

    @app.get("/")
    async def index() -> None:
        raise NotAllowedError

    assert TestClient(app).get("/").text == "NotAllowedError"


def test_user_middleware_sees_handled_http_errors_as_responses() -> None:
    seen: list[int] = []

    class Recorder:
        def __init__(self, app):  # type: ignore[no-untyped-def]
            self.app = app

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            async def record(message):  # type: ignore[no-untyped-def]
                if message["type"] == "http.response.start":
                    seen.append(message["status"])
                await send(message)

            await self.app(scope, receive, record)

    app = failing_app()
    app.add_middleware(Recorder)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/teapot").status_code == 418
    assert client.get("/boom").status_code == 500
    assert seen == [418]


def test_exception_after_response_started_is_not_answered_twice() -> None:
    from covet import StreamingResponse

    async def broken():  # type: ignore[no-untyped-def]
        yield b"partial"
        raise RuntimeError("mid-stream")

    app = CovetPy()

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(broken())

    with pytest.raises(RuntimeError, match="mid-stream"):
        TestClient(app).get("/stream")


def test_access_log_records_method_path_status_duration_and_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = failing_app()
    app.add_middleware(AccessLogMiddleware)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.INFO, logger="covet.access"):
        ok = client.get("/teapot", headers={"X-Request-ID": "abc"})
        client.get("/boom")
        client.get("/evil%0Aline")
    assert ok.headers["x-request-id"] == "abc"
    records = [r for r in caplog.records if r.name == "covet.access"]
    assert [r.status for r in records] == [418, 500, 404]  # type: ignore[attr-defined]
    assert records[0].request_id == "abc"  # type: ignore[attr-defined]
    assert records[0].method == "GET"  # type: ignore[attr-defined]
    assert records[0].duration_ms >= 0  # type: ignore[attr-defined]
    assert records[1].levelno == logging.ERROR
    assert "\n" not in records[2].getMessage()


def test_access_log_records_the_path_and_the_time_the_request_took(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = CovetPy()

    @app.get("/slow/{name}")
    async def slow(name: str) -> str:
        await asyncio.sleep(0.05)
        return name

    app.add_middleware(AccessLogMiddleware)
    client = TestClient(app)
    with caplog.at_level(logging.INFO, logger="covet.access"):
        assert client.get("/slow/x?q=1").status_code == 200
        client.get("/slow/a%0Ab")
    first, escaped = [r for r in caplog.records if r.name == "covet.access"]
    assert first.path == "/slow/x"  # type: ignore[attr-defined]
    assert 50 <= first.duration_ms < 5000  # type: ignore[attr-defined]
    message = first.getMessage()
    assert message.startswith("GET /slow/x 200 ")
    assert f"{first.duration_ms:.2f}ms" in message  # type: ignore[attr-defined]
    assert escaped.path == "/slow/a\\nb"  # type: ignore[attr-defined]


# -- error_format="fastapi": FastAPI's bodies for every client error ---------------------------


def fastapi_app() -> CovetPy:
    app = CovetPy(error_format="fastapi")

    @app.get("/items/{item_id:int}")
    async def read_item(item_id: int) -> dict[str, int]:
        if item_id != 1:
            raise HTTPException(404, "Item not found", headers={"x-error": "missing"})
        return {"item_id": item_id}

    @app.post("/signup")
    async def signup(name: Annotated[str, Form(min_length=2)]) -> dict[str, str]:
        return {"name": name}

    @app.post("/json")
    async def take_json(request: Request) -> Any:
        return await request.json()

    return app


def test_fastapi_format_for_http_exceptions_and_routing_errors() -> None:
    client = TestClient(fastapi_app())
    missing = client.get("/items/2")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Item not found"})
    assert missing.headers["content-type"] == "application/json"
    assert missing.headers["x-error"] == "missing"
    assert client.get("/nowhere").json() == {"detail": "Not Found"}
    not_allowed = client.delete("/items/1")
    assert not_allowed.status_code == 405
    assert set(not_allowed.json()) == {"detail"}
    assert not_allowed.headers["allow"]
    # As FastAPI answers a malformed JSON body (tests/compat/test_json_errors.py has more).
    bad_json = client.post("/json", content=b"{", headers={"content-type": "application/json"})
    assert bad_json.status_code == 422
    assert bad_json.json()["detail"][0]["type"] == "json_invalid"


def test_fastapi_format_locates_form_fields_under_body() -> None:
    response = TestClient(fastapi_app()).post("/signup", data={"name": "a"})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "name"]]
