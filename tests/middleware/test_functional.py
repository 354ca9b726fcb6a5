"""FunctionMiddleware driven directly as an ASGI app, with hand-written downstream apps."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from covet.background import BackgroundTask
from covet.middleware.functional import FunctionMiddleware, ResponseDiscardedError
from covet.requests import Request
from covet.responses import PlainTextResponse, Response, StreamingResponse
from covet.types import ASGIApp as App
from covet.types import Message, Receive, Scope, Send

CallNext = Callable[[Request], Awaitable[Response]]

TIMEOUT = 2.0
request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")
handler_var: contextvars.ContextVar[str] = contextvars.ContextVar("handler_var", default="unset")


def http_scope(method: str = "POST") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


@dataclass
class Client:
    """The server side of one request: scripted ``receive`` and a recording ``send``."""

    incoming: list[Message] = field(
        default_factory=lambda: [{"type": "http.request", "body": b"", "more_body": False}]
    )
    disconnect_after_body: bool = True
    sent: list[Message] = field(default_factory=list)
    on_send: Callable[[Message], None] | None = None

    async def receive(self) -> Message:
        if self.incoming:
            return self.incoming.pop(0)
        if self.disconnect_after_body:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if self.on_send is not None:
            self.on_send(message)

    @property
    def status(self) -> int:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        assert len(starts) == 1, self.sent
        status: int = starts[0]["status"]
        return status

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


Dispatch = Callable[[Request, CallNext], Awaitable[Response]]


async def handle(app: App, dispatch: Dispatch, client: Client) -> None:
    """Send one HTTP request through ``FunctionMiddleware(app, dispatch=...)``."""
    await FunctionMiddleware(app, dispatch=dispatch)(http_scope(), client.receive, client.send)


def serve(app: App, dispatch: Dispatch, client: Client) -> None:
    """Run :func:`handle` in a fresh event loop, failing instead of hanging."""

    async def main() -> None:
        async with asyncio.timeout(TIMEOUT):
            await handle(app, dispatch, client)

    asyncio.run(main())


async def passthrough(request: Request, call_next: CallNext) -> Response:
    return await call_next(request)


async def add_header(request: Request, call_next: CallNext) -> Response:
    response = await call_next(request)
    response.headers["X-Served-By"] = "covet"
    response.status_code = 201
    return response


def text_app(text: str = "hello") -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(text)(scope, receive, send)

    return app


# -- headers and status ----------------------------------------------------------------------


def test_middleware_edits_status_and_headers_and_content_length_stays_right() -> None:
    client = Client()
    serve(text_app("hello"), add_header, client)
    assert client.status == 201
    assert client.headers["x-served-by"] == "covet"
    assert client.headers["content-length"] == "5"
    assert client.body == b"hello"


def test_body_sent_in_several_messages_passes_through_unchanged() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"X-Up", b"1")]})
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await send({"type": "http.response.body", "body": b"cd", "more_body": False})

    client = Client()
    serve(app, add_header, client)
    assert [m["type"] for m in client.sent] == ["http.response.start"] + ["http.response.body"] * 2
    assert client.sent[1] == {"type": "http.response.body", "body": b"ab", "more_body": True}
    assert client.headers == {"x-up": "1", "x-served-by": "covet"}
    assert client.body == b"abcd"


# -- 1. streaming ----------------------------------------------------------------------------


def test_each_chunk_reaches_the_client_before_the_downstream_app_continues() -> None:
    first_chunk_seen = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await first_chunk_seen.wait()  # deadlocks if the middleware buffers the body
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    def on_send(message: Message) -> None:
        if message.get("body") == b"one":
            first_chunk_seen.set()

    client = Client(on_send=on_send)
    serve(app, add_header, client)
    assert client.body == b"onetwo"


def test_streaming_response_sending_from_its_own_task_streams_through() -> None:
    first_chunk_seen = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"one"
        await first_chunk_seen.wait()
        yield b"two"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(chunks(), media_type="text/plain")(scope, receive, send)

    def on_send(message: Message) -> None:
        if message.get("body") == b"one":
            first_chunk_seen.set()

    client = Client(disconnect_after_body=False, on_send=on_send)
    serve(app, add_header, client)
    assert client.status == 201
    assert client.headers["x-served-by"] == "covet"
    assert client.body == b"onetwo"


# -- 2. background tasks ---------------------------------------------------------------------


def test_downstream_background_task_runs_to_completion_after_the_body() -> None:
    events: list[str] = []
    client = Client(on_send=lambda message: events.append(message["type"]))

    async def work() -> None:
        events.append("background started")
        for _ in range(3):
            await asyncio.sleep(0.01)  # would be cut short by a cancelled task group
        events.append("background finished")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ok", background=BackgroundTask(work))(scope, receive, send)

    serve(app, add_header, client)
    assert events == [
        "http.response.start",
        "http.response.body",
        "background started",
        "background finished",
    ]


def test_background_task_set_by_the_middleware_runs_after_the_downstream_app() -> None:
    events: list[str] = []

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        response.background = BackgroundTask(events.append, "middleware background")
        return response

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ok")(scope, receive, send)
        events.append("downstream finished")

    serve(app, dispatch, Client())
    assert events == ["downstream finished", "middleware background"]


# -- 3. context variables --------------------------------------------------------------------


def test_context_variables_flow_both_ways() -> None:
    seen: dict[str, str] = {}

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        request_var.set("from middleware")
        response = await call_next(request)
        seen["middleware sees"] = handler_var.get()
        return response

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["handler sees"] = request_var.get()
        handler_var.set("from handler")
        await PlainTextResponse("ok")(scope, receive, send)

    serve(app, dispatch, Client())
    assert seen == {"handler sees": "from middleware", "middleware sees": "from handler"}


def test_context_variables_set_in_a_background_task_context_are_the_request_context() -> None:
    seen: list[str] = []

    async def work() -> None:
        seen.append(request_var.get())

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        request_var.set("from middleware")
        return await call_next(request)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ok", background=BackgroundTask(work))(scope, receive, send)

    serve(app, dispatch, Client())
    assert seen == ["from middleware"]


# -- 4. receive: real messages, body replay --------------------------------------------------


def test_downstream_receive_gets_the_body_then_the_disconnect() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        await PlainTextResponse("ok")(scope, receive, send)

    body = {"type": "http.request", "body": b"data", "more_body": False}
    serve(app, add_header, Client(incoming=[body]))
    assert received == [body, {"type": "http.disconnect"}]


def test_body_read_by_the_middleware_is_replayed_to_the_downstream_app() -> None:
    seen: dict[str, Any] = {}

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        seen["middleware body"] = await request.body()
        return await call_next(request)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["app body"] = await Request(scope, receive).body()
        seen["then"] = await receive()
        await PlainTextResponse("ok")(scope, receive, send)

    chunks: list[Message] = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
    ]
    serve(app, dispatch, Client(incoming=chunks))
    assert seen == {
        "middleware body": b"abcd",
        "app body": b"abcd",
        "then": {"type": "http.disconnect"},
    }


# -- 5. another response ---------------------------------------------------------------------


def test_middleware_can_answer_without_calling_the_downstream_app() -> None:
    calls: list[str] = []

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        return PlainTextResponse("forbidden", status_code=403)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append("app")

    client = Client()
    serve(app, dispatch, client)
    assert (client.status, client.body, calls) == (403, b"forbidden", [])


def test_replacing_the_response_discards_downstream_output_and_closes_it() -> None:
    events: list[str] = []

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced", status_code=502)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            events.append("start accepted")
            await send({"type": "http.response.body", "body": b"original"})
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        finally:
            await asyncio.sleep(0)  # async clean-up must be possible
            events.append("finally")

    client = Client()
    serve(app, dispatch, client)
    assert (client.status, client.body) == (502, b"replaced")
    assert events == ["cancelled", "finally"]


def test_replacing_a_streaming_response_stops_its_tasks() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"chunk"

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(chunks())(scope, receive, send)

    async def main() -> set[asyncio.Task[Any]]:
        async with asyncio.timeout(TIMEOUT):
            await handle(app, dispatch, client)
        return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}

    client = Client(disconnect_after_body=False)
    assert asyncio.run(main()) == set()
    assert (client.status, client.body) == (200, b"replaced")


def test_a_send_in_another_task_after_the_response_was_replaced_raises() -> None:
    errors: list[BaseException] = []
    tasks: list[asyncio.Task[None]] = []

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def sender() -> None:
            try:
                await send({"type": "http.response.start", "status": 200, "headers": []})
            except ResponseDiscardedError as exc:
                errors.append(exc)

        tasks.append(asyncio.ensure_future(sender()))
        await asyncio.shield(tasks[0])  # not cancelled with the app: it must learn by itself

    async def main() -> None:
        async with asyncio.timeout(TIMEOUT):
            await handle(app, dispatch, client)
            await tasks[0]

    client = Client()
    asyncio.run(main())
    assert client.body == b"replaced"
    assert len(errors) == 1


# -- 6. exceptions ---------------------------------------------------------------------------


def test_downstream_exception_comes_out_of_call_next() -> None:
    async def dispatch(request: Request, call_next: CallNext) -> Response:
        try:
            return await call_next(request)
        except ValueError as exc:
            return PlainTextResponse(f"caught {exc}", status_code=500)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    client = Client()
    serve(app, dispatch, client)
    assert (client.status, client.body) == (500, b"caught boom")


@pytest.mark.parametrize("after_start", [False, True], ids=["before start", "after start"])
def test_uncaught_downstream_exception_propagates(after_start: bool) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if after_start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        serve(app, add_header, Client())


def test_middleware_exception_after_call_next_closes_the_downstream_app() -> None:
    events: list[str] = []

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        raise KeyError("middleware failed")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        finally:
            events.append("finally")

    client = Client()
    with pytest.raises(KeyError, match="middleware failed"):
        serve(app, dispatch, client)
    assert (events, client.sent) == (["finally"], [])


def test_downstream_app_without_a_response_is_an_error() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return

    with pytest.raises(RuntimeError, match="No response returned"):
        serve(app, passthrough, Client())


def test_downstream_body_before_start_is_an_error() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.body", "body": b"x"})

    with pytest.raises(RuntimeError, match=r"Expected ASGI message 'http\.response\.start'"):
        serve(app, passthrough, Client())


def test_middleware_returning_something_else_than_a_response_is_an_error() -> None:
    async def dispatch(request: Request, call_next: CallNext) -> Any:
        await call_next(request)
        return None

    with pytest.raises(TypeError, match="returned NoneType"):
        serve(text_app(), dispatch, Client())


def test_sync_middleware_function_is_an_error() -> None:
    def dispatch(request: Request, call_next: CallNext) -> Any:
        return None

    with pytest.raises(TypeError, match="must be 'async def'"):
        serve(text_app(), dispatch, Client())


def test_call_next_awaited_in_another_task_is_a_clear_error() -> None:
    async def dispatch(request: Request, call_next: CallNext) -> Response:
        (response,) = await asyncio.gather(call_next(request))
        return response

    with pytest.raises(RuntimeError, match="must be awaited directly"):
        serve(text_app(), dispatch, Client())


def test_call_next_awaited_twice_is_an_error() -> None:
    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        return await call_next(request)

    with pytest.raises(RuntimeError, match="awaited twice"):
        serve(text_app(), dispatch, Client())


def test_the_response_from_call_next_cannot_be_called() -> None:
    async def dispatch(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        await response(request.scope, request.receive, Client().send)
        return response

    with pytest.raises(RuntimeError, match="cannot be called"):
        serve(text_app(), dispatch, Client())


# -- 7. other scopes -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["websocket", "lifespan"])
def test_non_http_scopes_pass_straight_through(kind: str) -> None:
    seen: list[tuple[Any, ...]] = []
    scope: Scope = {"type": kind}

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        raise AssertionError("dispatch must not run")

    async def app(inner_scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((inner_scope, receive, send))

    client = Client()
    asyncio.run(FunctionMiddleware(app, dispatch=dispatch)(scope, client.receive, client.send))
    assert seen == [(scope, client.receive, client.send)]


# -- cancellation ----------------------------------------------------------------------------


async def wait_forever() -> None:
    await asyncio.Event().wait()


async def spin_forever() -> None:
    for _ in range(100_000):
        await asyncio.sleep(0)  # cancelled by a throw: no future is cancelled
    raise AssertionError("spun 100000 times without being cancelled")


@pytest.mark.parametrize("wait", [wait_forever, spin_forever], ids=["on a future", "spinning"])
@pytest.mark.parametrize("phase", ["before start", "while streaming", "in middleware"])
def test_cancelling_the_request_task_cancels_the_downstream_app(
    phase: str, wait: Callable[[], Awaitable[None]]
) -> None:
    events: list[str] = []
    waiting = asyncio.Event()

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        if phase == "in middleware":
            events.append("waiting")
            waiting.set()
            await wait()
        return response

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if phase != "before start":
                await send({"type": "http.response.start", "status": 200, "headers": []})
            if phase != "in middleware":
                events.append("waiting")
                waiting.set()
            await wait()
        except asyncio.CancelledError:
            events.append("app cancelled")
            raise
        finally:
            await asyncio.sleep(0)
            events.append("app finally")

    async def main() -> None:
        client = Client()
        task = asyncio.ensure_future(handle(app, dispatch, client))
        async with asyncio.timeout(TIMEOUT):
            await waiting.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert task.cancelled()

    asyncio.run(main())
    assert events == ["waiting", "app cancelled", "app finally"]


# -- nesting ---------------------------------------------------------------------------------


def test_nested_function_middleware_keeps_streaming_and_context() -> None:
    first_chunk_seen = asyncio.Event()
    seen: list[str] = []

    async def outer(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        seen.append(handler_var.get())
        response.headers["X-Outer"] = "1"
        return response

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        handler_var.set("deep")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await first_chunk_seen.wait()
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    def on_send(message: Message) -> None:
        if message.get("body") == b"one":
            first_chunk_seen.set()

    inner = FunctionMiddleware(app, dispatch=add_header)
    client = Client(on_send=on_send)
    serve(inner, outer, client)
    assert (client.status, client.body, seen) == (201, b"onetwo", ["deep"])
    assert client.headers == {"x-served-by": "covet", "x-outer": "1"}
