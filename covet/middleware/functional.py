"""Function middleware: ``async def mw(request, call_next)``, run in the request's own task.

Why a trampoline
----------------
Starlette's ``BaseHTTPMiddleware`` runs the downstream app in a second task and pipes its
output through a memory stream. That breaks context variables set by the handler (the
middleware never sees them), buffers or delays streaming, and cancels background tasks and
``http.disconnect`` listeners when the middleware returns.

Here the middleware function and the downstream app run in the **same** task, so they share
one context and the downstream's messages go straight to the server. Two coroutines cannot
both be awaited by one task at once, so :class:`_Exchange` drives them by hand, with
``send()`` and ``throw()``, inside one generator-based awaitable, exactly as ``yield from``
would (futures they yield go up to the task; results, exceptions and cancellation come back
down to whichever coroutine is suspended). Control moves between them at two points:

* ``await call_next(request)`` yields a private token instead of a future: the trampoline
  then starts the downstream app and steps it until it sends ``http.response.start``.
* ``http.response.start`` is recorded as a :class:`_PassthroughResponse` and the sender waits
  for a decision; the trampoline resumes the middleware function with that response.

If the middleware function returns the passthrough response, the (possibly edited) start
message is sent and the downstream app resumes, streaming its body to the client and
running its background tasks. If it returns another response, the downstream app is
cancelled (its ``finally`` blocks run) and its output is discarded.

A downstream app may send from a task of its own (``StreamingResponse`` does): its
``http.response.start`` then wakes the trampoline through a future, and its later messages
go to the server directly once the decision is made.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from covet._callables import callable_name
from covet.exceptions import CovetError
from covet.requests import Request
from covet.responses.base import Response
from covet.types import ASGIApp, Message, Receive, Scope, Send

CallNext = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, CallNext], Awaitable[Response]]

# How to resume a driven coroutine: a value to send into it, or an exception to throw.
_Resume = tuple[Any, BaseException | None]
_Driven = Generator[Any, Any, Any]


class ResponseDiscardedError(CovetError, OSError):
    """The middleware function replaced the downstream response, so this message was dropped.

    Raised by ``send()`` in a task of the downstream app that is still sending after the
    middleware chose another response. It is an ``OSError``, like a send to a closed
    connection (ASGI 2.4), so streaming responses stop quietly.
    """


class FunctionMiddleware:
    """Run ``async def dispatch(request, call_next)`` around every HTTP request.

    ``call_next(request)`` runs the rest of the application and returns its response with
    status and headers editable; its body streams to the client afterwards, unbuffered.
    Context variables flow both ways, background tasks run, ``receive()`` downstream sees
    the real messages (a body read by the middleware is replayed), and exceptions from the
    downstream app come out of ``call_next``.

    ``call_next`` must be awaited directly by the middleware function (or a coroutine it
    awaits), never in another task: not through ``asyncio.gather()``, ``create_task()``,
    ``ensure_future()`` or, before Python 3.12, ``asyncio.wait_for()``.

    Args:
        app: The wrapped application.
        dispatch: The middleware function.
    """

    def __init__(self, app: ASGIApp, *, dispatch: DispatchFunction) -> None:
        self.app = app
        self.dispatch = dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Exchange(self.app, self.dispatch, scope, receive, send)


class _PassthroughResponse(Response):
    """The downstream response as the middleware function sees it.

    Status and headers come from the downstream ``http.response.start`` and may be changed;
    the body is not held here (``body`` is empty): it streams from the downstream app to the
    client untouched, so a ``Content-Length`` set downstream stays correct. A ``background``
    task set by the middleware runs after the downstream app has finished.
    """

    def __init__(self, start: Message) -> None:
        self.status_code = int(start["status"])
        self.background = None
        self.body = b""
        self.raw_headers = [
            (bytes(name).lower(), bytes(value)) for name, value in start.get("headers", ())
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError(
            "The response from call_next() cannot be called: return it from the middleware "
            "function and its body will stream from the downstream app."
        )


class _CallNext:
    """What ``call_next(request)`` returns: awaiting it hands control to the trampoline."""

    __slots__ = ("_exchange",)

    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange

    def __await__(self) -> Generator[Any, Any, Response]:
        token = self._exchange.claim_call_next()
        response: Response = yield token
        return response


class _Exchange:
    """One HTTP request through a :class:`FunctionMiddleware`: the trampoline and its state."""

    def __init__(
        self, app: ASGIApp, dispatch: DispatchFunction, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self.app = app
        self.dispatch = dispatch
        self.scope = scope
        self.receive = receive
        self.send = send
        self.token = object()
        self.task = asyncio.current_task()
        self.replay: deque[Message] = deque()
        self.in_dispatch = False
        self.called = False
        self.dispatch_steps: _Driven | None = None
        self.downstream: _Driven | None = None
        self.downstream_done = False
        self.pending: Any = None  # what the suspended downstream app last yielded
        self.response: _PassthroughResponse | None = None
        self.decided: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.forwarding = False
        self.wakeup: asyncio.Future[None] | None = None

    def __await__(self) -> Generator[Any, Any, None]:
        try:
            yield from self._run()
        except GeneratorExit:
            self._close()
            raise

    # -- the trampoline -------------------------------------------------------------------

    def _run(self) -> Generator[Any, Any, None]:
        request = Request(self.scope, self._receive_for_middleware)
        awaitable = self.dispatch(request, self._call_next)
        if not hasattr(awaitable, "__await__"):
            raise TypeError(
                f"Middleware function {callable_name(self.dispatch)} must be 'async def', "
                f"but it returned {type(awaitable).__name__}."
            )
        self.dispatch_steps = awaitable.__await__()
        try:
            result = yield from self._drive_dispatch(self.dispatch_steps)
        except GeneratorExit:
            raise
        except BaseException:
            yield from self._discard()
            raise
        accepted = self.response
        if accepted is not None and result is accepted:
            self.forwarding = True
            self.decided.set_result(None)
            yield from self._finish_downstream()
            if accepted.background is not None:
                yield from accepted.background().__await__()
            return
        yield from self._discard()
        if not isinstance(result, Response):
            raise TypeError(
                f"Middleware function {callable_name(self.dispatch)} returned "
                f"{type(result).__name__}; return the response from call_next() or a Response."
            )
        yield from result(self.scope, self._receive_for_app, self.send).__await__()

    def _drive_dispatch(self, steps: _Driven) -> Generator[Any, Any, object]:
        value: Any = None
        exc: BaseException | None = None
        while True:
            self.in_dispatch = True
            try:
                yielded = steps.throw(exc) if exc is not None else steps.send(value)
            except StopIteration as stop:
                result: object = stop.value
                return result
            finally:
                self.in_dispatch = False
            if yielded is self.token:
                value, exc = yield from self._call_downstream()
            else:
                value, exc = yield from _forward(yielded)

    def _call_downstream(self) -> Generator[Any, Any, _Resume]:
        try:
            response = yield from self._run_until_start()
        except GeneratorExit:
            raise
        except BaseException as exc:
            return None, exc
        return response, None

    def _run_until_start(self) -> Generator[Any, Any, Response]:
        """Step the downstream app until it sends ``http.response.start`` (or fails)."""
        self.downstream = self.app(
            self.scope, self._receive_for_app, self._send_from_app
        ).__await__()
        value: Any = None
        exc: BaseException | None = None
        while True:
            try:
                yielded = self._step_downstream(value, exc)
            except StopIteration:
                if self.response is None:
                    raise RuntimeError(
                        "No response returned: the app behind the middleware finished without "
                        "sending 'http.response.start'."
                    ) from None
                return self.response
            self.pending = yielded
            if self._started():
                return self._downstream_response()
            value, exc = yield from self._wait_interruptibly(yielded)
            if self._started() and exc is None:
                return self._downstream_response()

    def _wait_interruptibly(self, yielded: Any) -> Generator[Any, Any, _Resume]:
        """Wait for what the downstream app yielded, or until another task of it sends start."""
        if not asyncio.isfuture(yielded):
            return (yield from _forward(yielded))
        wakeup: asyncio.Future[None] = yielded.get_loop().create_future()

        def wake(_: object) -> None:
            if not wakeup.done():
                wakeup.set_result(None)

        yielded.add_done_callback(wake)
        self.wakeup = wakeup
        try:
            yield from wakeup
        except GeneratorExit:
            raise
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError) and not yielded.done():
                yielded.cancel()  # what the task would have done had it seen this future
            return None, exc
        finally:
            self.wakeup = None
            yielded.remove_done_callback(wake)
        return None, None

    def _finish_downstream(self) -> Generator[Any, Any, None]:
        """Resume the downstream app after its response was accepted and run it to the end."""
        if self.downstream is None or self.downstream_done:
            return
        value: Any = None
        exc: BaseException | None = None
        pending = self.pending
        if asyncio.isfuture(pending) and not pending.done():
            value, exc = yield from _forward(pending)
        while True:
            try:
                yielded = self._step_downstream(value, exc)
            except StopIteration:
                return
            value, exc = yield from _forward(yielded)

    def _discard(self) -> Generator[Any, Any, None]:
        """Cancel the downstream app (its ``finally`` blocks run) and drop what it sends."""
        if not self.decided.done():
            self.decided.set_result(None)  # wakes senders in other tasks with forwarding off
        if self.downstream is None or self.downstream_done:
            return
        pending = self.pending
        if asyncio.isfuture(pending) and not pending.done():
            pending.cancel()
        value: Any = None
        exc: BaseException | None = asyncio.CancelledError()
        while True:
            try:
                yielded = self._step_downstream(value, exc)
            except (StopIteration, asyncio.CancelledError, ResponseDiscardedError):
                return
            value, exc = yield from _forward(yielded)

    def _started(self) -> bool:
        # A method, so that mypy does not narrow ``self.response`` across a yield.
        return self.response is not None

    def _downstream_response(self) -> Response:
        assert self.response is not None
        return self.response

    def _step_downstream(self, value: Any, exc: BaseException | None) -> Any:
        assert self.downstream is not None
        try:
            return self.downstream.throw(exc) if exc is not None else self.downstream.send(value)
        except BaseException:
            self.downstream_done = True
            raise

    def _close(self) -> None:
        for steps in (self.downstream, self.dispatch_steps):
            if steps is not None:
                steps.close()

    # -- what the two sides are given -----------------------------------------------------

    def _call_next(self, request: Request) -> Awaitable[Response]:
        return _CallNext(self)

    def claim_call_next(self) -> object:
        """Check that ``call_next`` is awaited once, by the middleware function, in our task."""
        if self.called:
            raise RuntimeError(
                "call_next() was awaited twice in middleware function "
                f"{callable_name(self.dispatch)}; the downstream app runs once per request."
            )
        if not self.in_dispatch or asyncio.current_task() is not self.task:
            raise RuntimeError(
                "call_next() must be awaited directly in middleware function "
                f"{callable_name(self.dispatch)}, in the "
                "request's task: not through asyncio.gather(), create_task(), ensure_future() "
                "or (before Python 3.12) asyncio.wait_for()."
            )
        self.called = True
        return self.token

    async def _receive_for_middleware(self) -> Message:
        message = await self.receive()
        self.replay.append(message)  # the downstream app gets it too
        return message

    async def _receive_for_app(self) -> Message:
        if self.replay:
            return self.replay.popleft()
        return await self.receive()

    async def _send_from_app(self, message: Message) -> None:
        if self.response is None:
            if message["type"] != "http.response.start":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.start', got {message['type']!r}."
                )
            response = self.response = _PassthroughResponse(message)
            if self.wakeup is not None and not self.wakeup.done():
                self.wakeup.set_result(None)  # the start came from another task
            await self._decision()
            message = {**message, "status": response.status_code, "headers": response.raw_headers}
        elif not self.decided.done():
            await self._decision()
        if not self.forwarding:
            raise ResponseDiscardedError(
                f"Middleware function {callable_name(self.dispatch)} returned another response; "
                f"this {message['type']!r} message was dropped."
            )
        await self.send(message)

    async def _decision(self) -> None:
        if asyncio.current_task() is self.task:
            # PERF: only the trampoline sees this wait (it switches to the middleware function
            # instead of passing the future to the task), so no shield is needed, and the
            # downstream app resumes without a round trip through the event loop.
            await self.decided
        else:
            # Shielded: cancelling this sender's task must not cancel the decision.
            await asyncio.shield(self.decided)


def _forward(yielded: Any) -> Generator[Any, Any, _Resume]:
    """Pass one yield of a driven coroutine up to the task; return how to resume it."""
    try:
        value = yield yielded
    except GeneratorExit:
        raise
    except BaseException as exc:
        return None, exc
    return value, None
