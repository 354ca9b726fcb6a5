"""CSRF protection: a token bound to the session (or a signed double-submit cookie), and Origin."""

from __future__ import annotations

import hmac
import importlib.util
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from covet._parsers.cookies import parse_cookie_header
from covet._parsers.multipart import Field, MultipartStreamParser, multipart_boundary
from covet._parsers.query import parse_query_string
from covet.datastructures import first_header
from covet.exceptions import ClientDisconnectError, ConfigurationError, HTTPException
from covet.limits import DEFAULT_LIMITS
from covet.middleware._config import resolve_config
from covet.middleware.errors import http_exception_response
from covet.middleware.sessions import SessionMiddleware
from covet.requests import HTTPConnection, body_chunk, check_declared_length, read_body
from covet.responses.problem import ProblemResponse
from covet.sessions._signing import (
    Signer,
    b64decode,
    b64encode,
    check_secret_types,
    secret_problem,
)
from covet.types import ASGIApp, Message, Receive, Scope, Send

SECRET_BYTES = 32
SESSION_KEY = "_csrf"  # where the secret lives in request.session
_SCOPE_KEY = "covet.csrf"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM = b"application/x-www-form-urlencoded"
_MULTIPART = b"multipart/form-data"


def _python_multipart_installed() -> bool:
    """Whether multipart forms can be searched for the token (the ``multipart`` extra)."""
    try:
        return importlib.util.find_spec("python_multipart") is not None
    except ImportError:
        return False


@dataclass(frozen=True, slots=True)
class CSRFConfig:
    """The settings of :class:`CSRFMiddleware`, validated when built.

    Attributes:
        secret_keys: Keys (newest first, 32+ bytes) that sign the double-submit cookie used
            when no :class:`~covet.middleware.SessionMiddleware` runs; not needed with one.
        header_name: The request header carrying the token (JavaScript clients).
        field_name: The form field carrying the token (HTML forms): urlencoded, or multipart
            when python-multipart (the ``multipart`` extra) is installed; read up to the
            field, so put it before any file input.
        cookie_name: The double-submit cookie's name (``__Host-csrf`` when secure).
        secure: Mark the double-submit cookie ``Secure``.
        trusted_origins: Other origins (``https://app.example.org``) allowed to send unsafe
            requests; the request's own origin always is.
        exempt_paths: Path prefixes never checked (webhooks signed by other means). A route
            is exempted with ``opt={"csrf": False}``.
    """

    secret_keys: Sequence[str | bytes] = ()
    header_name: str = "X-CSRF-Token"
    field_name: str = "csrf_token"
    cookie_name: str | None = None
    secure: bool = True
    trusted_origins: Sequence[str] = ()
    exempt_paths: Sequence[str] = ()

    def __post_init__(self) -> None:
        keys = check_secret_types("CSRFMiddleware: secret_keys", self.secret_keys)
        if keys and secret_problem(keys):
            raise ConfigurationError(
                f"CSRFMiddleware: {secret_problem(keys)}; give secret_keys at least 32 random "
                "bytes (or leave it empty and install SessionMiddleware)."
            )
        for origin in self.trusted_origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ConfigurationError(
                    f"CSRFMiddleware: trusted origin {origin!r} must be scheme://host[:port]."
                )
        if not self.header_name or not self.field_name:
            raise ConfigurationError("CSRFMiddleware: header_name and field_name are required.")

    @property
    def name(self) -> str:
        """The double-submit cookie name in force."""
        return self.cookie_name or ("__Host-csrf" if self.secure else "csrf")


class _Tokens:
    """The CSRF secret of one request and the masked tokens derived from it."""

    __slots__ = ("cookie_secret", "middleware", "new_cookie", "scope")

    def __init__(self, middleware: CSRFMiddleware, scope: Scope) -> None:
        self.middleware = middleware
        self.scope = scope
        self.cookie_secret = middleware._cookie_secret(scope)
        self.new_cookie: bytes | None = None

    def secret(self, create: bool) -> bytes | None:
        session = self.scope.get("session")
        if session is not None:
            stored = session.get(SESSION_KEY)
            raw = b64decode(stored) if isinstance(stored, str) else None
            if (raw is None or len(raw) != SECRET_BYTES) and create:
                raw = secrets.token_bytes(SECRET_BYTES)
                session[SESSION_KEY] = b64encode(raw)
            return raw
        if self.middleware._signer is None:
            raise ConfigurationError(
                "CSRFMiddleware needs SessionMiddleware around it (add it after CSRFMiddleware) "
                "or secret_keys= for its signed double-submit cookie."
            )
        if self.cookie_secret is None and create:
            self.cookie_secret = self.new_cookie = secrets.token_bytes(SECRET_BYTES)
        return self.cookie_secret

    def token(self) -> str:
        """A fresh masked token (different on every call, same secret: BREACH-safe)."""
        secret = self.secret(create=True)
        assert secret is not None
        pad = secrets.token_bytes(SECRET_BYTES)
        return b64encode(pad + bytes(a ^ b for a, b in zip(pad, secret, strict=True)))

    def matches(self, token: str) -> bool:
        secret = self.secret(create=False)
        raw = b64decode(token) if len(token) < 200 else None
        if secret is None or raw is None or len(raw) != 2 * SECRET_BYTES:
            return False
        pad, masked = raw[:SECRET_BYTES], raw[SECRET_BYTES:]
        return hmac.compare_digest(bytes(a ^ b for a, b in zip(pad, masked, strict=True)), secret)


def csrf_token(request: HTTPConnection) -> str:
    """The CSRF token to put in a form (``<input name="csrf_token">``) or a response.

    Each call masks the same secret afresh, so the token in a compressed page differs on
    every response (against BREACH) while every one of them stays valid.

    Raises:
        ConfigurationError: :class:`CSRFMiddleware` is not installed.
    """
    tokens: _Tokens | None = request.scope.get(_SCOPE_KEY)
    if tokens is None:
        raise ConfigurationError(
            "csrf_token(request) needs CSRFMiddleware: app.add_middleware(CSRFMiddleware)."
        )
    return tokens.token()


class CSRFMiddleware:
    """Refuse unsafe requests (POST, PUT, PATCH, DELETE...) without a valid CSRF token.

    The token comes from ``csrf_token(request)``: with :class:`SessionMiddleware` installed
    (around this one) its secret lives in the session, so a token from another session is
    refused; without it, in a signed ``__Host-csrf`` cookie (OWASP's signed double-submit
    cookie). Clients send it back in the ``X-CSRF-Token`` header or the ``csrf_token`` field
    of an urlencoded form. Before the token, the ``Origin`` (or, over HTTPS without one, the
    ``Referer``) must be the app's own origin or a trusted one, as Django checks. A refusal is
    a 403 problem naming the reason. Safe methods are never checked.

    Args:
        app: The wrapped application.
        config: A ready :class:`CSRFConfig` (or give its fields as keyword options).
        **options: The :class:`CSRFConfig` fields.
    """

    def __init__(self, app: ASGIApp, *, config: CSRFConfig | None = None, **options: Any):
        self.app = app
        self.config = resolve_config("CSRFMiddleware", CSRFConfig, config, options)
        keys = check_secret_types("secret_keys", self.config.secret_keys)
        self._signer = Signer(keys, b"covet.csrf.v1") if keys else None
        self._header = self.config.header_name.lower().encode("latin-1")
        self._trusted = frozenset(origin.lower() for origin in self.config.trusted_origins)
        self._exempt = tuple(self.config.exempt_paths)
        name = self.config.name
        attributes = "Path=/; SameSite=Lax" + ("; Secure" if self.config.secure else "")
        self._cookie_template = f"{name}={{}}; {attributes}"
        self._reads_multipart = _python_multipart_installed()

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Refuse to start without a place for the secret: a session around us, or keys."""
        if self._signer is None:
            stack = [factory for factory, _options in getattr(app, "user_middleware", ())]
            mine = next((i for i, f in enumerate(stack) if f is CSRFMiddleware), len(stack))
            if not any(f is SessionMiddleware for f in stack[:mine]):
                raise ConfigurationError(
                    "CSRFMiddleware needs SessionMiddleware around it (add_middleware it after "
                    "CSRFMiddleware, so it is outer) or secret_keys= for a signed cookie."
                )
        yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tokens = scope[_SCOPE_KEY] = _Tokens(self, scope)
        if scope["method"] not in _SAFE and not self._exempted(scope):
            try:
                refusal, receive = await self._check(scope, receive, tokens)
            except ClientDisconnectError:
                return
            except HTTPException as exc:
                await http_exception_response(scope, exc)(scope, receive, send)
                return
            if refusal is not None:
                response = ProblemResponse(403, refusal, title="CSRF check failed")
                await response(scope, receive, send)
                return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and tokens.new_cookie is not None:
                assert self._signer is not None
                value = self._signer.sign(b64encode(tokens.new_cookie))
                cookie = self._cookie_template.format(value).encode("latin-1")
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"set-cookie", cookie)],
                }
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _exempted(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if any(path.startswith(prefix) for prefix in self._exempt):
            return True
        app = scope.get("app")
        router = getattr(app, "router", None)
        route = router.route_for(scope) if router is not None else None
        opt = getattr(route, "opt", None) or {}
        return opt.get("csrf", True) is False

    def _cookie_secret(self, scope: Scope) -> bytes | None:
        if self._signer is None:
            return None
        for name, value in scope["headers"]:
            if name == b"cookie":
                found = parse_cookie_header(value.decode("latin-1")).get(self.config.name)
                if found is not None:
                    verified = self._signer.unsign(found)
                    raw = None if verified is None else b64decode(verified[0])
                    return raw if raw is not None and len(raw) == SECRET_BYTES else None
        return None

    async def _check(
        self, scope: Scope, receive: Receive, tokens: _Tokens
    ) -> tuple[str | None, Receive]:
        """The reason to refuse the request (``None`` to serve it) and the receive to use."""
        problem = self._origin_problem(scope)
        if problem is not None:
            return problem, receive
        token_text, receive = await self._token(scope, receive)
        if token_text is None:
            return self._missing(scope), receive
        if tokens.secret(create=False) is None:
            return (
                "There is no CSRF secret for this client: fetch a page with a token first.",
                receive,
            )
        if not tokens.matches(token_text):
            return "The CSRF token is invalid for this session.", receive
        return None, receive

    async def _token(self, scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
        """The token from the header, else from the form field; the receive to use after."""
        token = first_header(scope["headers"], self._header)
        if token is not None:
            return token.decode("latin-1"), receive
        media_type = _media_type(scope)
        if media_type == _FORM:
            body, receive = await _buffer(scope, receive)
            limit = getattr(scope.get("app"), "limits", DEFAULT_LIMITS).max_form_fields
            fields = parse_query_string(body, max_params=limit)
            return next((v for k, v in fields if k == self.config.field_name), None), receive
        if media_type == _MULTIPART and self._reads_multipart:
            return await _multipart_field(scope, receive, self.config.field_name)
        return None, receive

    def _missing(self, scope: Scope) -> str:
        where = f"the {self.config.header_name} header or the {self.config.field_name} field"
        if _media_type(scope) == _MULTIPART and not self._reads_multipart:
            where = (
                f"the {self.config.header_name} header (multipart forms are read only with "
                "python-multipart: pip install 'covetpy[multipart]')"
            )
        return f"The CSRF token is missing: send it in {where}."

    def _origin_problem(self, scope: Scope) -> str | None:
        headers = scope["headers"]
        own = _own_origin(scope)
        origin = first_header(headers, b"origin")
        if origin is not None:
            text = origin.decode("latin-1").lower()
            if text == own or text in self._trusted:
                return None
            return f"The request's Origin {text!r} is not trusted."
        if scope.get("scheme") != "https":
            return None
        referer = first_header(headers, b"referer")
        if referer is None:
            return "An HTTPS request without Origin must carry a Referer."
        parts = urlsplit(referer.decode("latin-1"))
        referer_origin = f"{parts.scheme}://{parts.netloc}".lower()
        if referer_origin == own or referer_origin in self._trusted:
            return None
        return f"The request's Referer origin {referer_origin!r} is not trusted."


def _own_origin(scope: Scope) -> str:
    scheme = scope.get("scheme", "http")
    host = first_header(scope["headers"], b"host")
    if host is not None:
        return f"{scheme}://{host.decode('latin-1')}".lower()
    server = scope.get("server") or ("localhost", None)
    default = {"http": 80, "https": 443}.get(scheme)
    port = "" if server[1] in (None, default) else f":{server[1]}"
    return f"{scheme}://{server[0]}{port}".lower()


def _media_type(scope: Scope) -> bytes:
    content_type = first_header(scope["headers"], b"content-type") or b""
    return content_type.split(b";", 1)[0].strip().lower()


async def _multipart_field(scope: Scope, receive: Receive, name: str) -> tuple[str | None, Receive]:
    """The text field ``name`` of a multipart body, read only as far as that field.

    The chunks read are replayed to the app, followed by the rest of the body straight from
    ``receive``, so a file after the token streams as before. A body the parser refuses has
    no token (the app would refuse it too); the size read is bounded by ``max_body_size``.
    """
    limits = getattr(scope.get("app"), "limits", DEFAULT_LIMITS)
    check_declared_length(scope, limits.max_body_size)
    content_type = (first_header(scope["headers"], b"content-type") or b"").decode("latin-1")
    chunks: list[bytes] = []
    received = 0
    more = True
    value: str | None = None
    try:
        parser = MultipartStreamParser(multipart_boundary(content_type), limits)
        while more and value is None:
            chunk, more = body_chunk(await receive(), received, limits.max_body_size)
            received += len(chunk)
            chunks.append(chunk)
            for event in parser.feed(chunk):
                if isinstance(event, Field) and event.name == name:
                    value = event.value
                    break
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        value = None
    return value, _replaying(b"".join(chunks), more, receive)


async def _buffer(scope: Scope, receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (within the app's ``max_body_size``); a receive that replays it."""
    limit = getattr(scope.get("app"), "limits", DEFAULT_LIMITS).max_body_size
    body = await read_body(scope, receive, limit)
    return body, _replaying(body, False, receive)


def _replaying(body: bytes, more_body: bool, receive: Receive) -> Receive:
    """A receive that first hands out ``body`` (read already), then reads from ``receive``."""
    first: Message | None = {"type": "http.request", "body": body, "more_body": more_body}

    async def replay() -> Message:
        nonlocal first
        if first is None:
            return await receive()
        message, first = first, None
        return message

    return replay
