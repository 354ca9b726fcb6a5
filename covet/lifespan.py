"""Application lifespan: composing start-up/shutdown work and publishing its state."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import warnings
from collections.abc import AsyncIterator, Callable, Generator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

from covet._callables import callable_name
from covet.exceptions import ConfigurationError
from covet.types import Receive, Scope, Send

logger = logging.getLogger("covet.lifespan")

LifespanFactory = Callable[[Any], AbstractAsyncContextManager[Any]]
Hook = Callable[[], Any]
_F = TypeVar("_F", bound=Callable[..., Any])


class ShutdownSignal:
    """Whether the application is shutting down, for handlers that drain gracefully.

    ``app.shutting_down`` is set when the lifespan receives the server's shutdown event,
    before any lifespan exits, so a long poll, an SSE stream, a WebSocket loop or a worker
    started by a lifespan can finish its work::

        if request.app.shutting_down:       # a check in a loop
            ...
        await request.app.shutting_down     # or wait for it (e.g. raced with receive())

    uvicorn sends the shutdown event only once open connections have ended (or its
    ``--timeout-graceful-shutdown`` has passed); ``covet run`` (one worker, no reload) sets
    the signal as soon as the process is asked to stop instead, so connections that watch it
    end first. Under other uvicorn set-ups, bound open streams with that timeout.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def is_set(self) -> bool:
        """Whether shutdown has begun."""
        return self._event.is_set()

    async def wait(self) -> None:
        """Return once shutdown has begun (at once if it already has)."""
        await self._event.wait()

    def __await__(self) -> Generator[Any, None, None]:
        return self.wait().__await__()

    def set(self) -> None:
        """Mark shutdown as begun, waking every waiter (the app's lifespan does this)."""
        self._event.set()

    def reset(self) -> None:
        """Start a new serving period (at start-up): a fresh event for the running loop."""
        self._event = asyncio.Event()

    def __repr__(self) -> str:
        return f"ShutdownSignal(set={self.is_set()})"


def typed_state_key(kind: type) -> str:
    """The state key under which a typed lifespan value is stored."""
    return f"covet.typed:{kind.__module__}.{kind.__qualname__}"


def publish_state(state: dict[str, Any], value: Any, source: str) -> None:
    """Merge what a lifespan yielded into the shared state dict.

    Mappings are merged key by key. Dataclass instances (and other objects with
    attributes) are merged field by field *and* kept whole, so handlers can ask for them
    with ``request.state_of(AppState)`` and get a typed object.
    """
    if value is None:
        return
    if isinstance(value, Mapping):
        state.update(value)
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        state.update({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    elif hasattr(value, "__dict__"):
        state.update(vars(value))
    else:
        raise ConfigurationError(
            f"Lifespan {source} yielded {type(value).__name__}; yield None, a mapping, "
            "a dataclass or an object with attributes."
        )
    state[typed_state_key(type(value))] = value


def on_event_decorator(
    event: str, on_startup: list[Hook], on_shutdown: list[Hook]
) -> Callable[[_F], _F]:
    """What ``on_event(event)`` returns: a decorator adding to the start-up or shutdown hooks.

    Warns (``DeprecationWarning``, at the caller's ``on_event`` line) that a ``lifespan=``
    context manager replaces it.

    Raises:
        ConfigurationError: ``event`` is neither ``"startup"`` nor ``"shutdown"``.
    """
    if event not in ("startup", "shutdown"):
        raise ConfigurationError(f"on_event takes 'startup' or 'shutdown', not {event!r}.")
    warnings.warn(
        f'on_event("{event}") is deprecated: move the code into a lifespan, an async context '
        "manager passed as lifespan= (code before its yield runs at start-up, after it at "
        "shutdown).",
        DeprecationWarning,
        stacklevel=3,
    )
    hooks = on_startup if event == "startup" else on_shutdown

    def decorator(func: _F) -> _F:
        hooks.append(func)
        return func

    return decorator


@asynccontextmanager
async def hooks_context(
    on_startup: Sequence[Hook], on_shutdown: Sequence[Hook]
) -> AsyncIterator[None]:
    """Run plain start-up hooks on enter and shutdown hooks on exit."""
    for hook in on_startup:
        result = hook()
        if inspect.isawaitable(result):
            await result
    try:
        yield
    finally:
        for hook in on_shutdown:
            result = hook()
            if inspect.isawaitable(result):
                await result


@asynccontextmanager
async def run_all(
    app: Any, factories: Sequence[LifespanFactory], state: dict[str, Any]
) -> AsyncIterator[None]:
    """Enter every lifespan in order, publish their state, exit them in reverse order."""
    async with AsyncExitStack() as stack:
        for factory in factories:
            value = await stack.enter_async_context(factory(app))
            publish_state(state, value, callable_name(factory))
        yield


async def serve_lifespan(
    context: Callable[[dict[str, Any]], AbstractAsyncContextManager[None]],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Speak the ASGI lifespan protocol around ``context``."""
    shared = scope.get("state")
    state: dict[str, Any] = shared if isinstance(shared, dict) else {}
    message = await receive()
    if message["type"] != "lifespan.startup":  # pragma: no cover - protocol violation
        return
    manager = context(state)
    try:
        await manager.__aenter__()
    except BaseException as exc:
        logger.error("Application start-up failed", exc_info=exc)
        await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
        raise
    await send({"type": "lifespan.startup.complete"})
    message = await receive()
    try:
        await manager.__aexit__(None, None, None)
    except BaseException as exc:
        logger.error("Application shutdown failed", exc_info=exc)
        await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
        raise
    await send({"type": "lifespan.shutdown.complete"})
