"""Run blocking code off the event loop in a bounded, configurable thread pool."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from covet.exceptions import ConfigurationError

_P = ParamSpec("_P")
_T = TypeVar("_T")

DEFAULT_THREADPOOL_SIZE = 40

_executor: ThreadPoolExecutor | None = None
_executor_size = DEFAULT_THREADPOOL_SIZE
_lock = threading.Lock()


def configure_threadpool(max_workers: int) -> None:
    """Set the number of threads used for sync handlers and dependencies.

    Takes effect for work submitted afterwards; a running pool is shut down once idle.
    """
    global _executor, _executor_size
    if max_workers < 1:
        raise ConfigurationError(f"threadpool size must be at least 1, got {max_workers}")
    with _lock:
        old, _executor, _executor_size = _executor, None, max_workers
    if old is not None:
        old.shutdown(wait=False)


def threadpool_size() -> int:
    """The configured maximum number of worker threads."""
    return _executor_size


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    executor = _executor
    if executor is None:
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(_executor_size, thread_name_prefix="covet-worker")
            executor = _executor
    return executor


async def run_in_threadpool(func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Call ``func`` in a worker thread, keeping the caller's context variables."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await loop.run_in_executor(_get_executor(), call)


class _StopIterationError(Exception):
    """Carries StopIteration across the thread boundary (it cannot cross a Future)."""


def _next(iterator: Iterator[_T]) -> _T:
    try:
        return next(iterator)
    except StopIteration:
        raise _StopIterationError from None


async def iterate_in_threadpool(iterable: Iterable[_T]) -> AsyncIterator[_T]:
    """Iterate a blocking iterable from async code, one ``next()`` per worker call."""
    iterator = iter(iterable)
    while True:
        try:
            yield await run_in_threadpool(_next, iterator)
        except _StopIterationError:
            break
