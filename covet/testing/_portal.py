"""A background thread with its own event loop, so synchronous code can run coroutines."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


class Portal:
    """Run coroutines from synchronous code on one event loop owned by a daemon thread.

    The thread starts on the first :meth:`call`, so every coroutine submitted through one
    portal shares the same loop (and so can share asyncio objects). :meth:`stop` ends the
    loop the way :func:`asyncio.run` does (cancelling leftover tasks, closing the loop) and
    joins the thread; a stopped portal cannot be restarted.
    """

    def __init__(self, name: str = "covet-testclient-portal") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Future[None] | None = None
        self._closed = False

    def call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` on the portal's loop and block until it returns its result.

        Raises:
            RuntimeError: The portal was stopped, or this is called from the portal's own
                thread (which would deadlock).
        """
        try:
            loop = self._running_loop()
        except RuntimeError:
            coroutine.close()
            raise
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException:
            # Interrupted (e.g. KeyboardInterrupt): do not leave the coroutine running.
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and join the thread; safe to call more than once, from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread, loop, stop_requested = self._thread, self._loop, self._stop_requested
        if thread is None or loop is None or stop_requested is None:
            return
        loop.call_soon_threadsafe(_resolve, stop_requested)
        if threading.current_thread() is not thread:
            thread.join()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("The test client is closed; create a new one to send more.")
            if threading.current_thread() is self._thread:
                raise RuntimeError(
                    "A synchronous TestClient was called from inside the app it is testing; "
                    "use AsyncTestClient for requests made from async code."
                )
            return self._loop if self._loop is not None else self._start()

    def _start(self) -> asyncio.AbstractEventLoop:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ready,), name=self._name)
        self._thread.daemon = True
        self._thread.start()
        ready.wait()
        if self._loop is None:
            raise RuntimeError(f"The {self._name!r} thread failed to start its event loop.")
        return self._loop

    def _main(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._serve(ready))
        finally:
            ready.set()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = self._loop.create_future()
        ready.set()
        await self._stop_requested


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
