"""Run blocking code off the event loop in a bounded, configurable thread pool."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

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
    """Iterate a blocking iterable from async code, one ``next()`` per worker call.

    Closing (or cancelling) the async iterator closes a generator, in a worker thread, so
    its ``finally`` runs; a ``next()`` still running there is let finish first (a running
    generator cannot be closed).
    """
    iterator = iter(iterable)
    pending: asyncio.Future[_T] | None = None
    try:
        while True:
            pending = asyncio.ensure_future(run_in_threadpool(_next, iterator))
            try:
                # Shielded: a cancelled wait must not leave the generator half-closed.
                item = await asyncio.shield(pending)
            except _StopIterationError:
                return
            pending = None
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            if pending is None or pending.done():
                await run_in_threadpool(close)
            else:
                pending.add_done_callback(functools.partial(_close_when_done, close=close))


def _close_when_done(future: asyncio.Future[Any], close: Callable[[], object]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved: the iterator was abandoned, its error is moot
    _get_executor().submit(close)
