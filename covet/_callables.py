"""What kind of callable something is: its name for messages, and how it must be run.

The one sync/async detector of the code base: handlers, dependencies, exception handlers
and background tasks are all classified here, seeing through ``functools.partial`` and
objects with an ``async def __call__``.
"""

from __future__ import annotations

import enum
import functools
import inspect
from typing import Any


class CallKind(enum.Enum):
    """How a callable must be run."""

    SYNC = "sync"
    """A plain call (in the thread pool where blocking matters)."""
    ASYNC = "async"
    """Awaited: an ``async def`` function, method, or object's ``__call__``."""
    GENERATOR = "generator"
    """A ``yield`` function: entered and, later, torn down."""
    ASYNC_GENERATOR = "async_generator"
    """An ``async def`` with ``yield``: entered and torn down asynchronously."""

    @property
    def is_generator(self) -> bool:
        """Whether calling it gives a generator to enter and tear down."""
        return self is CallKind.GENERATOR or self is CallKind.ASYNC_GENERATOR


def call_target(func: Any) -> Any:
    """The function that runs when ``func`` is called: through partials and ``__call__``.

    A class is its own target (calling it builds an instance, whatever its ``__call__``).
    """
    while isinstance(func, functools.partial):
        func = func.func
    if isinstance(func, type) or inspect.isroutine(func):
        return func
    return getattr(func, "__call__", func)  # noqa: B004 - callable objects


def call_kind(func: Any) -> CallKind:
    """Classify ``func`` by how it must be run (see :class:`CallKind`)."""
    target = call_target(func)
    if isinstance(target, type):
        return CallKind.SYNC
    if inspect.isasyncgenfunction(target):
        return CallKind.ASYNC_GENERATOR
    if inspect.isgeneratorfunction(target):
        return CallKind.GENERATOR
    if inspect.iscoroutinefunction(target):
        return CallKind.ASYNC
    return CallKind.SYNC


def is_async_callable(func: Any) -> bool:
    """Whether calling ``func`` returns an awaitable to await (``async def``, at any layer)."""
    return call_kind(func) is CallKind.ASYNC


def callable_name(func: Any) -> str:
    """``module.qualname`` of a function, class or callable object, for error messages."""
    while isinstance(func, functools.partial):
        func = func.func
    module = getattr(func, "__module__", "?")
    return f"{module}.{getattr(func, '__qualname__', repr(func))}"
