"""Server-sent events: the ``text/event-stream`` framing and a response that streams it.

Framing follows the HTML standard's event stream format
(https://html.spec.whatwg.org/multipage/server-sent-events.html): one ``field: value`` line
per field, a blank line after each event, a multi-line value split into several lines of
the field (CR, LF and CRLF all end a line for the client), comments as ``:`` lines.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

from covet import _json
from covet.background import BackgroundTask
from covet.exceptions import ConfigurationError
from covet.responses.streaming import ItemStream, StreamingResponse, close_iterator, iterate

DEFAULT_PING = 15.0
"""Seconds of silence after which a keep-alive comment is sent (FastAPI's and sse-starlette's)."""
KEEPALIVE = b": ping\n\n"
"""The keep-alive comment: ignored by ``EventSource`` clients, it keeps proxies from timing out."""
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of an event stream, checked when built so it cannot break the framing.

    Attributes:
        data: The payload, always JSON-encoded (``"hi"`` is sent as ``data: "hi"``); any
            value CovetPy's JSON encoder takes (dataclasses, pydantic and msgspec models...).
        raw_data: Text sent as it is, one ``data:`` line per line; excludes ``data``.
        event: The event type (``addEventListener(event, ...)`` in the browser); one line.
        id: The event id, which the browser sends back as ``Last-Event-ID`` when it
            reconnects; one line without NUL (the standard ignores such ids).
        retry: The client's reconnection delay in milliseconds.
        comment: Comment text (one ``:`` line per line), ignored by clients.

    Raises:
        ConfigurationError: ``data`` and ``raw_data`` both given, a line break in ``event`` or
            ``id`` (it would let the value inject fields), NUL in ``id``, or ``retry`` not a
            non-negative integer.
    """

    data: Any = None
    raw_data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.data is not None and self.raw_data is not None:
            raise ConfigurationError(
                "ServerSentEvent takes data (sent as JSON) or raw_data (sent as text), not both."
            )
        for name in ("raw_data", "event", "id", "comment"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigurationError(
                    f"ServerSentEvent {name} must be a str, not {type(value).__name__}."
                )
        for name in ("event", "id"):
            value = getattr(self, name)
            if value is not None and ("\r" in value or "\n" in value):
                raise ConfigurationError(
                    f"ServerSentEvent {name}={value!r} contains a line break: it must be one "
                    "line, or it would start other fields of the event."
                )
        if self.id is not None and "\0" in self.id:
            raise ConfigurationError(
                f"ServerSentEvent id={self.id!r} contains NUL: clients ignore such an id."
            )
        retry = self.retry
        if retry is not None and (type(retry) is not int or retry < 0):
            raise ConfigurationError(
                f"ServerSentEvent retry={retry!r} must be a non-negative int (milliseconds)."
            )

    def encode(self) -> bytes:
        """The event as ``text/event-stream`` bytes, ending with its blank line."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(": " + line for line in _LINE_BREAK.split(self.comment))
        if self.event is not None:
            lines.append("event: " + self.event)
        if self.data is not None:
            # Compact JSON escapes every line break inside strings: always one line.
            lines.append("data: " + _json.dumps(self.data).decode("utf-8"))
        elif self.raw_data is not None:
            lines.extend("data: " + line for line in _LINE_BREAK.split(self.raw_data))
        if self.id is not None:
            lines.append("id: " + self.id)
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        lines.append("\n")
        return "\n".join(lines).encode("utf-8")


def encode_event(item: Any) -> bytes:
    """``item`` framed as an event: a :class:`ServerSentEvent` as it is, anything else as data."""
    if isinstance(item, ServerSentEvent):
        return item.encode()
    return b"data: " + _json.dumps(item) + b"\n\n"


class EventSourceResponse(StreamingResponse):
    """Stream server-sent events from a sync or async iterator, as they are produced.

    Each item is a :class:`ServerSentEvent` or data sent as JSON (``data: ...``). While the
    iterator produces nothing for ``ping`` seconds, a keep-alive comment (``: ping``) is
    sent. The stream is sent with ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no``
    (so nginx does not buffer it) and is never compressed by CovetPy's middleware. When the
    client disconnects the iterator is closed: a generator's ``finally`` runs.

    Args:
        content: The events.
        status_code: The HTTP status.
        headers: Extra headers (they win over the defaults above).
        media_type: Content type; ``text/event-stream`` (``charset=utf-8``) by default.
        background: A task to run after the stream has ended.
        ping: Seconds of silence before a keep-alive comment; ``None`` or ``0`` sends none.
    """

    media_type = "text/event-stream"
    ping: float | None = DEFAULT_PING

    def __init__(
        self,
        content: ItemStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        ping: float | None = DEFAULT_PING,
    ) -> None:
        if ping is not None and (isinstance(ping, bool) or not ping >= 0):
            raise ConfigurationError(f"EventSourceResponse ping={ping!r} must be seconds >= 0.")
        self.ping = ping or None
        given = {name.lower() for name in headers or ()}
        merged = {name: value for name, value in _SSE_HEADERS.items() if name not in given}
        merged.update(headers or {})
        super().__init__(content, status_code, merged, media_type, background)

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        iterator = iterate(self.content)
        ping = self.ping
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                # The next item is awaited in its own task, so a keep-alive never cancels
                # (and so breaks) the generator producing it.
                pending = asyncio.ensure_future(_next_or_end(iterator))
                while not (await asyncio.wait((pending,), timeout=ping))[0]:
                    yield KEEPALIVE
                item = pending.result()
                pending = None
                if item is _END:
                    return
                yield encode_event(item)
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                await asyncio.wait((pending,))
            await close_iterator(iterator)


_END: Any = object()


async def _next_or_end(iterator: AsyncIterator[Any]) -> Any:
    try:
        return await anext(iterator)
    except StopAsyncIteration:
        return _END
