"""Work scheduled to run after the response has been sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec

from covet._callables import is_async_callable
from covet.concurrency import run_in_threadpool

_P = ParamSpec("_P")


class BackgroundTask:
    """One call to make after the response is sent; sync callables run in the thread pool."""

    __slots__ = ("args", "func", "is_async", "kwargs")

    def __init__(self, func: Callable[_P, Any], *args: _P.args, **kwargs: _P.kwargs) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.is_async = is_async_callable(func)

    async def __call__(self) -> None:
        if self.is_async:
            await self.func(*self.args, **self.kwargs)
        else:
            await run_in_threadpool(self.func, *self.args, **self.kwargs)


class BackgroundTasks(BackgroundTask):
    """An ordered collection of tasks; inject it into a handler by annotation."""

    __slots__ = ("tasks",)

    def __init__(self, tasks: list[BackgroundTask] | None = None) -> None:
        self.tasks: list[BackgroundTask] = list(tasks) if tasks else []

    def add_task(self, func: Callable[_P, Any], *args: _P.args, **kwargs: _P.kwargs) -> None:
        """Schedule ``func(*args, **kwargs)`` to run after the response."""
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    async def __call__(self) -> None:
        for task in self.tasks:
            await task()
