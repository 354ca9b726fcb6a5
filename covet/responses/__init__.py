"""Response classes: in-memory, streaming and file responses."""

from covet.responses.base import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from covet.responses.file import FileResponse
from covet.responses.problem import ProblemResponse
from covet.responses.streaming import StreamingResponse

__all__ = [
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "ProblemResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
]
