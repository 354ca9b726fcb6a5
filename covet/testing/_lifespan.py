"""Drive the ASGI lifespan protocol for the app under test."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from covet.testing.exceptions import ASGIProtocolError, LifespanError
from covet.types import ASGIApp, Message

logger = logging.getLogger("covet.testing")

_LIFESPAN_ASGI = {"version": "3.0", "spec_version": "2.0"}
# What the app may send in answer to each event.
_ANSWERS = {
    "startup": frozenset({"lifespan.startup.complete", "lifespan.startup.failed"}),
    "shutdown": frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed"}),
}


class Lifespan:
    """Run the app's lifespan task, tolerating apps that do not speak the protocol.

    Like uvicorn's ``--lifespan auto``: if the app raises or returns before answering
    ``lifespan.startup``, it is taken not to support lifespan; this is logged on the
    ``covet.testing`` logger and requests proceed without lifespan state.

    Attributes:
        state: The dict given to the app as ``scope["state"]``; filled during startup.
        supported: Whether the app completed startup and so expects a shutdown.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.state: dict[str, Any] = {}
        self.supported = False
        self._app = app
        self._phase = "startup"
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        # ``None`` marks the end of the app's lifespan task.
        self._from_app: asyncio.Queue[Message | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Send ``lifespan.startup`` and wait for the app to answer.

        Raises:
            LifespanError: The app sent ``lifespan.startup.failed``.
        """
        task = asyncio.create_task(self._run(), name="covet-testclient-lifespan")
        self._task = task
        self._to_app.put_nowait({"type": "lifespan.startup"})
        message = await self._from_app.get()
        if message is None:
            error = await _finish(task, cancel=False)
            logger.info("ASGI 'lifespan' protocol appears unsupported.", exc_info=error)
            return
        if message["type"] == "lifespan.startup.complete":
            self.supported = True
            return
        error = await _finish(task, cancel=True)
        raise _failure(message) from error

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait for the app to return, if startup completed.

        Raises:
            LifespanError: The app sent ``lifespan.shutdown.failed``.
            Exception: Whatever the app raised during shutdown.
        """
        task = self._task
        if not self.supported or task is None:
            return
        self.supported = False
        self._phase = "shutdown"
        self._to_app.put_nowait({"type": "lifespan.shutdown"})
        message = await self._from_app.get()
        if message is not None and message["type"] == "lifespan.shutdown.failed":
            error = await _finish(task, cancel=True)
            raise _failure(message) from error
        error = await _finish(task, cancel=False)
        if error is not None:
            raise error

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": dict(_LIFESPAN_ASGI), "state": self.state}
        try:
            await self._app(scope, self._receive, self._send)
        finally:
            self._from_app.put_nowait(None)

    async def _receive(self) -> Message:
        return await self._to_app.get()

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        expected = _ANSWERS[self._phase]
        if kind not in expected:
            raise ASGIProtocolError(
                f"The app answered 'lifespan.{self._phase}' with an unexpected {kind!r} "
                f"message; expected one of {sorted(expected)}."
            )
        self._from_app.put_nowait(message)


async def _finish(task: asyncio.Task[None], *, cancel: bool) -> BaseException | None:
    """Wait for the lifespan task to end (cancelling it first if asked); return its error."""
    if cancel:
        task.cancel()
    await asyncio.wait([task])
    return None if task.cancelled() else task.exception()


def _failure(message: Message) -> LifespanError:
    phase = message["type"].split(".")[1]
    detail = message.get("message") or "no message given"
    return LifespanError(f"The app reported that lifespan {phase} failed: {detail}")
