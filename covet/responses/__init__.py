"""Response classes: in-memory, streaming (JSON Lines, server-sent events) and file responses."""

from covet.responses.base import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from covet.responses.file import FileResponse
from covet.responses.problem import ProblemResponse
from covet.responses.sse import EventSourceResponse, ServerSentEvent
from covet.responses.streaming import JSONLinesResponse, StreamingResponse

__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONLinesResponse",
    "JSONResponse",
    "PlainTextResponse",
    "ProblemResponse",
    "RedirectResponse",
    "Response",
    "ServerSentEvent",
    "StreamingResponse",
]
