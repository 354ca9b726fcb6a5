"""CovetPy: a fast ASGI web framework with a zero-dependency core."""

from covet.app import CovetPy
from covet.background import BackgroundTask, BackgroundTasks
from covet.datastructures import URL, Headers, MutableHeaders, QueryParams, State
from covet.exceptions import (
    ConfigurationError,
    CovetError,
    HTTPException,
    MissingDependencyError,
    RouteConflictError,
    WebSocketDisconnect,
    WebSocketException,
)
from covet.forms import FormData, UploadFile
from covet.limits import Limits
from covet.params import Body, Cookie, Depends, File, Form, Header, Path, Query, Security
from covet.requests import Request
from covet.responses import (
    EventSourceResponse,
    FileResponse,
    HTMLResponse,
    JSONLinesResponse,
    JSONResponse,
    PlainTextResponse,
    ProblemResponse,
    RedirectResponse,
    Response,
    ServerSentEvent,
    StreamingResponse,
)
from covet.routing import Controller, Router
from covet.settings import Secret, Settings
from covet.validation import RequestValidationError
from covet.websockets import WebSocket

__version__ = "0.1.0"

__all__ = [
    "URL",
    "BackgroundTask",
    "BackgroundTasks",
    "Body",
    "ConfigurationError",
    "Controller",
    "Cookie",
    "CovetError",
    "CovetPy",
    "Depends",
    "EventSourceResponse",
    "File",
    "FileResponse",
    "Form",
    "FormData",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "Headers",
    "JSONLinesResponse",
    "JSONResponse",
    "Limits",
    "MissingDependencyError",
    "MutableHeaders",
    "Path",
    "PlainTextResponse",
    "ProblemResponse",
    "Query",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "RouteConflictError",
    "Router",
    "Secret",
    "Security",
    "ServerSentEvent",
    "Settings",
    "State",
    "StreamingResponse",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "__version__",
]
