"""The HTTP request (and the connection base it shares with WebSockets)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from covet._parsers.cookies import parse_cookie_header
from covet._parsers.json import parse_json
from covet.datastructures import URL, Headers, QueryParams, State, first_header
from covet.exceptions import (
    BadRequestError,
    ClientDisconnectError,
    ConfigurationError,
    HTTPException,
)
from covet.limits import DEFAULT_LIMITS, Limits
from covet.types import Message, Receive, Scope

if TYPE_CHECKING:
    from covet.forms import FormData
    from covet.sessions import Session

_T = TypeVar("_T")
_JSON_SUFFIX = "+json"


class Address(NamedTuple):
    """A network peer: host and port."""

    host: str
    port: int


async def _empty_receive() -> Message:
    raise RuntimeError("This Request was built without a receive channel.")


class HTTPConnection(Mapping[str, Any]):
    """What HTTP requests and WebSockets have in common; a read-only view of the scope."""

    __slots__ = ("_cookies", "_headers", "_limits", "_query_params", "_state", "_url", "scope")

    # PERF: caches are unset slots filled on first access (try/except AttributeError is
    # free in 3.11 when nothing is raised), so building a connection sets two attributes.
    _cookies: dict[str, str]
    _headers: Headers
    _query_params: QueryParams
    _state: State
    _url: URL

    def __init__(self, scope: Scope, limits: Limits | None = None) -> None:
        self.scope = scope
        self._limits = limits

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Any:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        """The application that received the request."""
        return self.scope.get("app")

    @property
    def limits(self) -> Limits:
        """The parsing limits in force for this request (route, then app, then defaults)."""
        if self._limits is None:
            app = self.scope.get("app")
            self._limits = getattr(app, "limits", None) or DEFAULT_LIMITS
        return self._limits

    @property
    def url(self) -> URL:
        """The full URL the client asked for."""
        try:
            return self._url
        except AttributeError:
            _check_host(self.scope)
            self._url = url = URL.from_scope(self.scope)
            return url

    @property
    def base_url(self) -> URL:
        """The URL of the application root (scheme, host and ``root_path``)."""
        root = self.scope.get("root_path", "")
        return self.url.replace(path=root.rstrip("/") + "/", query="", fragment="")

    @property
    def headers(self) -> Headers:
        """Case-insensitive, multi-valued request headers."""
        try:
            return self._headers
        except AttributeError:
            self._headers = headers = Headers(raw=self.scope["headers"])
            return headers

    @property
    def query_params(self) -> QueryParams:
        """Multi-valued query parameters (400 when there are too many)."""
        try:
            return self._query_params
        except AttributeError:
            self._query_params = params = QueryParams(
                self.scope.get("query_string", b""), max_params=self.limits.max_query_params
            )
            return params

    @property
    def path_params(self) -> dict[str, Any]:
        """Parameters captured from the path, already converted."""
        params: dict[str, Any] = self.scope.get("path_params", {})
        return params

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent by the client."""
        try:
            return self._cookies
        except AttributeError:
            cookies: dict[str, str] = {}
            for name, value in self.scope["headers"]:
                if name == b"cookie":
                    for key, val in parse_cookie_header(value.decode("latin-1")).items():
                        cookies.setdefault(key, val)
            self._cookies = cookies
            return cookies

    @property
    def session(self) -> Session:
        """The session :class:`~covet.middleware.SessionMiddleware` loaded for this request.

        Raises:
            ConfigurationError: SessionMiddleware is not installed, or the route opted out
                (``opt={"session": False}``).
        """
        try:
            session: Session = self.scope["session"]
        except KeyError:
            if self.scope.get("covet.session_opted_out"):
                raise ConfigurationError(
                    "request.session: this route has no session (its opt says {'session': False})."
                ) from None
            raise ConfigurationError(
                "request.session needs SessionMiddleware: "
                "app.add_middleware(SessionMiddleware, secret_keys=[...])."
            ) from None
        return session

    @property
    def user(self) -> Any:
        """The user an authentication middleware set (``scope["user"]``)."""
        return self._authenticated("user")

    @property
    def auth(self) -> Any:
        """The credentials an authentication middleware set (``scope["auth"]``: scopes...)."""
        return self._authenticated("auth")

    def _authenticated(self, key: str) -> Any:
        try:
            return self.scope[key]
        except KeyError:
            raise ConfigurationError(
                f"request.{key} needs AuthenticationMiddleware: "
                "app.add_middleware(AuthenticationMiddleware, backend=...)."
            ) from None

    @property
    def client(self) -> Address | None:
        """The peer's address as reported by the server (not from spoofable headers)."""
        client = self.scope.get("client")
        return None if client is None else Address(client[0], client[1])

    @property
    def state(self) -> State:
        """Per-request state, pre-filled with a shallow copy of the lifespan state."""
        try:
            return self._state
        except AttributeError:
            state = State(self.scope.setdefault("state", {}), self._explain_missing_state)
            self._state = state
            return state

    def _explain_missing_state(self) -> str:
        explain = getattr(self.scope.get("app"), "explain_missing_state", None)
        return explain() if callable(explain) else ""

    def state_of(self, kind: type[_T]) -> _T:
        """Return the typed object a lifespan yielded, e.g. ``request.state_of(AppState)``."""
        from covet.lifespan import typed_state_key

        try:
            value = self.scope["state"][typed_state_key(kind)]
        except KeyError:
            hint = self._explain_missing_state()
            raise LookupError(f"No lifespan yielded a {kind.__qualname__}{hint}.") from None
        if not isinstance(value, kind):  # pragma: no cover - the key is derived from the type
            raise LookupError(f"Lifespan state for {kind.__qualname__} has the wrong type.")
        return value

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """Build the absolute URL of the route called ``name``."""
        app = self.scope["app"]
        # base_url already carries root_path (the app's own when the server set none), so
        # the path comes from the router: app.url_path_for would add the app's prefix twice.
        router: Any = getattr(app, "router", app)
        path = router.url_path_for(name, **path_params)
        return URL(str(self.base_url).rstrip("/") + path)


class Request(HTTPConnection):
    """An incoming HTTP request. Everything is parsed lazily and cached.

    The body can be read by middleware and by the handler: once read, it is kept.
    """

    # PERF: no __slots__ here, so these class-level defaults stand in for per-instance
    # initialisation until a request actually reads its body.
    _body: bytes | None = None
    _json: Any = None
    _json_parsed = False
    _form: FormData | None = None
    _stream_used = False
    _is_disconnected = False
    _pending: list[Message] | None = None

    def __init__(
        self, scope: Scope, receive: Receive = _empty_receive, limits: Limits | None = None
    ) -> None:
        self.scope = scope
        self._limits = limits
        self._receive = receive

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        method: str = self.scope["method"]
        return method

    @property
    def receive(self) -> Receive:
        """The ASGI receive channel."""
        return self._receive

    async def _next_message(self) -> Message:
        if self._pending:
            return self._pending.pop(0)
        return await self._receive()

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body in chunks as they arrive, enforcing ``max_body_size``.

        Raises:
            HTTPException: 413 when the body is larger than allowed.
            ClientDisconnectError: the client went away before the body was complete.
        """
        if self._body is not None:
            yield self._body
            return
        limit = self._claim_stream()
        check_declared_length(self.scope, limit)
        received = 0
        more = True
        while more:
            try:
                chunk, more = body_chunk(await self._next_message(), received, limit)
            except ClientDisconnectError:
                self._is_disconnected = True
                raise
            received += len(chunk)
            if chunk:
                yield chunk

    async def body(self) -> bytes:
        """Read and return the whole body (cached)."""
        if self._body is None:
            # PERF: read_body is a plain coroutine, cheaper than draining the stream generator.
            limit = self._claim_stream()
            try:
                self._body = await read_body(self.scope, self._next_message, limit)
            except ClientDisconnectError:
                self._is_disconnected = True
                raise
        return self._body

    def _claim_stream(self) -> int:
        """Mark the body stream as consumed (it can be read once); return the size limit."""
        if self._stream_used:
            raise RuntimeError("The request body stream has already been consumed.")
        self._stream_used = True
        return self.limits.max_body_size

    async def json(self) -> Any:
        """Parse the body as JSON.

        Raises:
            HTTPException: 415 unless the content type is ``application/json`` or ``*+json``;
                400 for malformed, too deep or over-long-number JSON.
        """
        if not self._json_parsed:
            body = await self.body()
            require_json_media(first_header(self.scope["headers"], b"content-type"), body)
            limits = self.limits
            self._json = parse_json(
                body,
                max_depth=limits.max_json_depth,
                max_number_digits=limits.max_number_digits,
            )
            self._json_parsed = True
        return self._json

    async def form(self) -> FormData:
        """Parse an urlencoded or multipart form body (cached).

        Multipart needs ``python-multipart`` (``pip install 'covetpy[multipart]'``).
        """
        if self._form is None:
            from covet.forms import parse_form

            content_type = first_header(self.scope["headers"], b"content-type", b"")
            self._form = await parse_form(
                content_type.decode("latin-1"), self.stream(), self.limits
            )
        return self._form

    async def close(self) -> None:
        """Release uploaded files held by a parsed form."""
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """Report whether the client has gone away, without blocking.

        Body chunks received while checking are kept for :meth:`stream`.
        """
        if self._is_disconnected:
            return True
        task = asyncio.ensure_future(self._receive())
        await asyncio.sleep(0)
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            return False
        message = task.result()
        if message["type"] == "http.disconnect":
            self._is_disconnected = True
        elif self._pending is None:
            self._pending = [message]
        else:
            self._pending.append(message)
        return self._is_disconnected


def is_json_content_type(value: bytes | None) -> bool:
    """Whether a Content-Type header value names JSON (``application/json`` or ``*/*+json``)."""
    if value == b"application/json":
        return True
    if not value:
        return False
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(_JSON_SUFFIX.encode())
    )


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Request body is larger than the limit of {limit} bytes.")


class NotJSONError(HTTPException):
    """A body sent without a JSON Content-Type where JSON is expected (415).

    Never parsed: a browser sends a cross-site body without preflight only when it is not
    declared JSON, so refusing it is a CSRF guard. With ``error_format="fastapi"`` it is
    answered as FastAPI answers it, a 422.

    Attributes:
        body: The body that was refused.
    """

    def __init__(self, body: bytes) -> None:
        super().__init__(415, "Expected a JSON body: Content-Type must be application/json.")
        self.body = body


def require_json_media(content_type: bytes | None, body: bytes = b"") -> None:
    """Raise :class:`NotJSONError` unless ``content_type`` (a value, or ``None``) names JSON."""
    if not is_json_content_type(content_type):
        raise NotJSONError(body)


def check_declared_length(scope: Scope, limit: int) -> None:
    """Raise 413 when the request's Content-Length already exceeds ``limit``."""
    declared = first_header(scope["headers"], b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)


def body_chunk(message: Message, received: int, limit: int) -> tuple[bytes, bool]:
    """Return the body chunk of one ``receive`` message and whether more follow.

    Raises:
        HTTPException: 413 when ``received`` plus this chunk exceeds ``limit``.
        ClientDisconnectError: the message is ``http.disconnect``.
    """
    kind = message["type"]
    if kind == "http.request":
        chunk: bytes = message.get("body", b"")
        if received + len(chunk) > limit:
            raise too_large(limit)
        return chunk, message.get("more_body", False)
    if kind == "http.disconnect":
        raise ClientDisconnectError("The client disconnected while sending the body.")
    return b"", True  # not a body message: keep reading


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """Read a whole request body straight from ``receive`` (for runners with no Request).

    Raises:
        HTTPException: 413 when the body is larger than ``limit``.
        ClientDisconnectError: the client went away before the body was complete.
    """
    # Before the first receive(): with "Expect: 100-continue" that call is what tells the
    # server to invite the body, and an oversize one must be refused, not invited.
    check_declared_length(scope, limit)
    return await receive_body(receive, limit)


async def receive_body(receive: Receive, limit: int) -> bytes:
    """Read a whole request body from ``receive``; the caller checked the declared length."""
    chunk, more = body_chunk(await receive(), 0, limit)
    if not more:
        return chunk
    chunks = [chunk]
    received = len(chunk)
    while more:
        chunk, more = body_chunk(await receive(), received, limit)
        received += len(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


# An RFC 3986 host (IP literal or reg-name: no userinfo, path, query or fragment) and port.
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::([0-9]{0,5}))?")


def _check_host(scope: Scope) -> None:
    """Refuse a Host header that would change the URL's structure (RFC 9112 section 3.2)."""
    host = first_header(scope["headers"], b"host")
    if host is None:
        return
    match = _HOST.fullmatch(host)
    if match is None or (match[1] and int(match[1]) > 65535):
        raise BadRequestError("The Host header is not a valid host with an optional port.")
