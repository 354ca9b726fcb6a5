"""Cross-origin resource sharing (the Fetch standard's CORS protocol) for browser clients.

A browser lets a page read a response from another origin only when the response says so
(``Access-Control-Allow-Origin``), and asks first (a preflight ``OPTIONS``) before sending
anything a plain form could not. This middleware answers preflights itself and adds the
headers to the responses of the origins it allows; the others get no CORS headers, so the
browser keeps the page from reading them. It is not an access control for non-browser
clients: they ignore CORS.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.middleware.errors import add_error_headers
from covet.middleware.trusted_host import DEFAULT_PORTS, parse_host, punycode_host
from covet.responses.problem import ProblemResponse
from covet.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CORSConfig", "CORSMiddleware"]

Header = tuple[bytes, bytes]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token (field name, method)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
# What a browser sends: a lower-case scheme, "://", a lower-case (punycode) host or a
# bracketed IPv6 literal, an optional port. Checked before the regex of allow_origin_regex
# sees an origin, so a pattern can never be fooled by a path, user info or spaces.
_ORIGIN_SYNTAX = re.compile(
    rb"[a-z][a-z0-9+.-]*://(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?"
)
_MAX_ORIGIN = 2048  # bytes; a real origin is at most scheme + 253-byte name + port
_MAX_REQUEST_HEADERS = 8192  # bytes of Access-Control-Request-Headers
# Always allowed in a preflight, as in Starlette: a browser lists them when their value is
# not CORS-safelisted (Content-Type: application/json), and JSON APIs need that to work.
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
_VARY_HAS_ORIGIN = re.compile(rb"(?:^|,)[ \t]*(?:origin|\*)[ \t]*(?:,|$)", re.IGNORECASE)

_ALLOW_ORIGIN = b"access-control-allow-origin"
_VARY = b"vary"
_VARY_ORIGIN: list[Header] = [(_VARY, b"Origin")]
_PREFLIGHT_VARY: Header = (
    _VARY,
    b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
)


def normalize_origin(origin: str) -> str:
    """Return ``origin`` as a browser serialises it: ``scheme://host[:port]``, lower-case.

    The default port of ``http``/``https`` is dropped, an internationalised name becomes
    punycode, an IPv6 literal its canonical form.

    Raises:
        ConfigurationError: ``origin`` is not a bare origin (a path, even ``/``, a query,
            user info, a wildcard, or no scheme).
    """
    if not isinstance(origin, str):
        raise ConfigurationError(
            f"CORSMiddleware: allow_origins holds {origin!r}; it takes origins as strings."
        )
    scheme, sep, authority = origin.partition("://")
    scheme = scheme.lower()
    if origin == "null":
        raise ConfigurationError(
            "CORSMiddleware: 'null' cannot be an allowed origin: sandboxed iframes, file: "
            "pages and cross-origin redirects of any site send it, so allowing it allows "
            "everyone."
        )
    if not sep or not _SCHEME.fullmatch(scheme) or "/" in authority or "@" in authority:
        raise ConfigurationError(
            f"CORSMiddleware: {origin!r} in allow_origins is not an origin: write "
            "'scheme://host' or 'scheme://host:port', without a path (not even a trailing "
            "'/'), for example 'https://app.example.org'."
        )
    authority = punycode_host(authority)
    parsed = parse_host(authority)
    if parsed is None or "*" in authority:
        raise ConfigurationError(
            f"CORSMiddleware: {origin!r} in allow_origins has no valid host[:port]; for "
            "patterns use allow_origin_regex, for every origin allow_origins=['*']."
        )
    host, port = parsed
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _tokens(option: str, values: Sequence[str], *, upper: bool = False) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ConfigurationError(
            f"CORSMiddleware: {option} must be a list of strings, not {values!r}."
        )
    for value in values:
        if not isinstance(value, str) or (value != "*" and not _TOKEN.fullmatch(value)):
            raise ConfigurationError(
                f"CORSMiddleware: {value!r} in {option} is not a valid name (or '*')."
            )
    return tuple(value.upper() if upper else value for value in values)


def _header_value(names: Sequence[str]) -> bytes:
    return ", ".join(names).encode("ascii")


@dataclass(frozen=True, slots=True)
class CORSConfig:
    """Which cross-origin browser requests :class:`CORSMiddleware` allows.

    Attributes:
        allow_origins: Exact origins (``"https://app.example.org"``, ``"http://localhost:5173"``;
            no path), or ``["*"]`` for every origin (then without credentials only).
        allow_origin_regex: A regular expression an origin must match in **full**
            (``r"https://[a-z0-9-]+\\.example\\.org"``), compiled once; origins are matched
            only when they are well-formed (lower-case ``scheme://host[:port]``).
        allow_methods: Methods a preflight may ask for (``["GET", "POST"]``, or ``["*"]``).
        allow_headers: Request headers a preflight may ask for, case-insensitive (or
            ``["*"]``). ``Accept``, ``Accept-Language``, ``Content-Language`` and
            ``Content-Type`` are always allowed.
        allow_credentials: Let the browser send cookies and ``Authorization`` and read the
            response (``Access-Control-Allow-Credentials: true``). Refused together with a
            ``"*"``: browsers refuse a wildcard on credentialed requests.
        expose_headers: Response headers the page's JavaScript may read beyond the
            safelisted ones (``X-Request-ID``...).
        max_age: Seconds a browser may cache a preflight's answer.
        allow_private_network: Answer Private Network Access preflights
            (``Access-Control-Allow-Private-Network: true``), for an app on a private
            address called from a public page.
    """

    allow_origins: Sequence[str] = ()
    allow_origin_regex: str | None = None
    allow_methods: Sequence[str] = ("GET",)
    allow_headers: Sequence[str] = ()
    allow_credentials: bool = False
    expose_headers: Sequence[str] = ()
    max_age: int = 600
    allow_private_network: bool = False
    _origins: frozenset[bytes] = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)
    _methods: frozenset[str] = field(init=False, repr=False, compare=False)
    _headers: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        origins = self.allow_origins
        if isinstance(origins, str | bytes) or not isinstance(origins, Sequence):
            raise ConfigurationError(
                "CORSMiddleware: allow_origins must be a list of origins (for example "
                f"['https://app.example.org']), not {origins!r}."
            )
        for flag in ("allow_credentials", "allow_private_network"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigurationError(
                    f"CORSMiddleware: {flag} must be True or False, not {getattr(self, flag)!r}."
                )
        max_age = self.max_age
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
            raise ConfigurationError(
                f"CORSMiddleware: max_age must be a whole number of seconds >= 0, not {max_age!r}."
            )
        methods = _tokens("allow_methods", self.allow_methods, upper=True)
        headers = _tokens("allow_headers", self.allow_headers)
        expose = _tokens("expose_headers", self.expose_headers)
        if "*" in origins and (len(origins) > 1 or self.allow_origin_regex is not None):
            raise ConfigurationError(
                "CORSMiddleware: allow_origins=['*'] already allows every origin; list "
                "origins (or give allow_origin_regex) instead of mixing them with '*'."
            )
        self._refuse_wildcards_with_credentials(origins, methods, headers, expose)
        object.__setattr__(self, "allow_origins", tuple(origins))
        object.__setattr__(self, "allow_methods", methods)
        object.__setattr__(self, "allow_headers", headers)
        object.__setattr__(self, "expose_headers", expose)
        exact = frozenset(normalize_origin(o).encode("ascii") for o in origins if o != "*")
        object.__setattr__(self, "_origins", exact)
        object.__setattr__(self, "_regex", self._compile_regex())
        object.__setattr__(self, "_methods", frozenset(methods))
        object.__setattr__(self, "_headers", frozenset(h.lower() for h in headers))

    def _refuse_wildcards_with_credentials(self, *options: Sequence[str]) -> None:
        if not self.allow_credentials:
            return
        names = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")
        starred = [name for name, values in zip(names, options, strict=True) if "*" in values]
        if starred:
            raise ConfigurationError(
                f"CORSMiddleware: '*' in {', '.join(starred)} with allow_credentials=True: "
                "browsers refuse a wildcard on requests with credentials, so list the "
                "origins, methods and headers explicitly."
            )

    def _compile_regex(self) -> re.Pattern[bytes] | None:
        pattern = self.allow_origin_regex
        if pattern is None:
            return None
        if not isinstance(pattern, str):
            raise ConfigurationError(
                f"CORSMiddleware: allow_origin_regex must be a str, not {pattern!r}."
            )
        try:
            return re.compile(pattern.encode("ascii"))
        except (UnicodeEncodeError, re.error) as exc:
            raise ConfigurationError(
                f"CORSMiddleware: allow_origin_regex {pattern!r} is not a valid ASCII regular "
                f"expression: {exc}."
            ) from exc

    @property
    def allows_any_origin(self) -> bool:
        """Whether every origin is allowed (``allow_origins=["*"]``)."""
        return "*" in self.allow_origins

    def allows_origin(self, origin: bytes) -> bool:
        """Whether the ``Origin`` header value ``origin`` (bytes, as sent) is allowed."""
        if "*" in self.allow_origins:
            return True
        if origin in self._origins:
            return True
        regex = self._regex
        return (
            regex is not None
            and len(origin) <= _MAX_ORIGIN
            and _ORIGIN_SYNTAX.fullmatch(origin) is not None
            and regex.fullmatch(origin) is not None
        )

    def allows_method(self, method: str) -> bool:
        """Whether a preflight may ask for ``method`` (compared case-sensitively)."""
        return "*" in self._methods or method in self._methods

    def disallowed_header(self, names: Sequence[str]) -> str | None:
        """The first of the lower-case ``names`` a preflight may not ask for, or ``None``."""
        if "*" in self._headers:
            return None
        allowed = self._headers
        for name in names:
            if name not in allowed and name not in SAFELISTED_HEADERS:
                return name
        return None


class CORSMiddleware:
    """Answer CORS preflights and mark the responses of allowed origins for the browser.

    Preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) are
    answered here, never by the app: 204 with the allowed methods, headers and max age, or
    a 403 problem without CORS headers when the origin, method, a header or private network
    access is not allowed (400 when the preflight is malformed). Other requests from an
    allowed origin get ``Access-Control-Allow-Origin`` (and credentials and exposed
    headers); from other origins they are served without, so the browser hides the answer.
    ``Vary: Origin`` is merged into every response that depends on the origin. Errors the
    app raises still carry the headers on their 500. WebSocket connections pass untouched:
    browsers do not apply CORS to them (check ``Origin`` there yourself, or with
    ``CSRFMiddleware``).

    Add it last (outermost), so the answers of the other middleware carry the headers too.

    Args:
        app: The wrapped application.
        config: A ready :class:`CORSConfig`; or give its fields as keyword options.
        **options: ``allow_origins``, ``allow_origin_regex``, ``allow_methods``,
            ``allow_headers``, ``allow_credentials``, ``expose_headers``, ``max_age``,
            ``allow_private_network`` (see the config).

    Raises:
        ConfigurationError: An option is unknown or invalid, or a wildcard is combined
            with credentials.
    """

    def __init__(self, app: ASGIApp, *, config: CORSConfig | None = None, **options: Any) -> None:
        self.app = app
        self.config = config = resolve_config("CORSMiddleware", CORSConfig, config, options)
        # PERF: every header this middleware sends is made once, here.
        self._any_origin = config.allows_any_origin
        extra: list[Header] = []
        if config.allow_credentials:
            extra.append((b"access-control-allow-credentials", b"true"))
        self._preflight_extra: list[Header] = [
            *extra,
            (b"access-control-max-age", str(config.max_age).encode("ascii")),
            _PREFLIGHT_VARY,
        ]
        if config.expose_headers:
            extra.append((b"access-control-expose-headers", _header_value(config.expose_headers)))
        self._extra = extra
        self._any_origin_headers: list[Header] = [(_ALLOW_ORIGIN, b"*"), *extra]
        self._methods_value = _header_value(config.allow_methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # PERF: one scan for Origin; the preflight's other headers are read only on OPTIONS.
        origin: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = b"" if origin is not None else value  # repeated: matches nothing
        if origin is None:
            if self._any_origin:
                # PERF: a response without ACAO is the same for every origin: no wrapper.
                await self.app(scope, receive, send)
                return
            cors: list[Header] = []
            vary = True
        else:
            if scope["method"] == "OPTIONS":
                preflight = _preflight_request(scope)
                if preflight is not None:
                    await self._preflight(origin, preflight, send)
                    return
            allowed = self.config.allows_origin(origin)
            if self._any_origin:
                cors, vary = self._any_origin_headers, False
            elif allowed:
                cors, vary = [(_ALLOW_ORIGIN, origin), *self._extra], True
            else:
                cors, vary = [], True
        add_error_headers(scope, [*cors, *_VARY_ORIGIN] if vary else cors)

        # PERF: a plain function returning send()'s awaitable: no coroutine frame per message.
        def send_with_cors(message: Message) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                headers = _merged(message.get("headers", ()), cors, vary)
                message = {**message, "headers": headers}
            return send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self, origin: bytes, request: tuple[bytes, bytes | None, bool], send: Send
    ) -> None:
        method_raw, headers_raw, private_network = request
        config = self.config
        method = method_raw.decode("latin-1")
        names = _header_names(headers_raw)
        if not _TOKEN.fullmatch(method) or names is None:
            await self._refuse(
                send, 400, "The preflight's Access-Control-Request-Method or -Headers is malformed."
            )
            return
        if not config.allows_origin(origin):
            await self._refuse(
                send, 403, "This origin is not allowed to make cross-origin requests here."
            )
            return
        if not config.allows_method(method):
            await self._refuse(
                send, 403, f"The method {method} is not allowed in cross-origin requests."
            )
            return
        header = config.disallowed_header(names)
        if header is not None:
            await self._refuse(
                send, 403, f"The header {header!r} is not allowed in cross-origin requests."
            )
            return
        if private_network and not config.allow_private_network:
            await self._refuse(send, 403, "Private network access is not allowed here.")
            return
        headers: list[Header] = [
            (_ALLOW_ORIGIN, b"*" if self._any_origin else origin),
            (
                b"access-control-allow-methods",
                method_raw if "*" in config.allow_methods else self._methods_value,
            ),
        ]
        if names:
            headers.append((b"access-control-allow-headers", ", ".join(names).encode("ascii")))
        if private_network:
            headers.append((b"access-control-allow-private-network", b"true"))
        headers.extend(self._preflight_extra)
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, send: Send, status: int, detail: str) -> None:
        # No CORS headers: the browser fails the preflight and never sends the request.
        response = ProblemResponse(status, detail, title="CORS preflight refused")
        response.raw_headers.append(_PREFLIGHT_VARY)
        await send(
            {"type": "http.response.start", "status": status, "headers": response.raw_headers}
        )
        await send({"type": "http.response.body", "body": response.body})


def _preflight_request(scope: Scope) -> tuple[bytes, bytes | None, bool] | None:
    """``(method, headers, private network)`` a preflight asks for; ``None`` if not one."""
    method = headers = None
    private_network = False
    for name, value in scope["headers"]:
        if name == b"access-control-request-method":
            method = value
        elif name == b"access-control-request-headers":
            headers = value if headers is None else headers + b"," + value
        elif name == b"access-control-request-private-network":
            private_network = value.strip().lower() == b"true"
    if method is None:
        return None  # an ordinary OPTIONS request: the app answers it
    return method.strip(b" \t"), headers, private_network


def _header_names(raw: bytes | None) -> list[str] | None:
    """The lower-case names of ``Access-Control-Request-Headers``; ``None`` if malformed."""
    if raw is None:
        return []
    if len(raw) > _MAX_REQUEST_HEADERS:
        return None
    names = []
    for item in raw.decode("latin-1").split(","):
        name = item.strip(" \t")
        if not name:
            continue
        if not _TOKEN.fullmatch(name):
            return None
        names.append(name.lower())
    return names


def _merged(headers: Any, cors: list[Header], vary: bool) -> list[Header]:
    """The app's ``headers`` with ``cors`` added and ``Origin`` merged into ``Vary``.

    The app's own ``Access-Control-Allow-Origin`` wins (its CORS headers are kept as they
    are); its ``Vary`` is extended, never duplicated. A new list: the app's may be shared.
    """
    result = list(headers)
    vary_at = -1
    for index, (name, value) in enumerate(result):
        if name == _VARY:
            if _VARY_HAS_ORIGIN.search(value) is not None:
                vary = False  # already varies on Origin (or on everything)
            elif vary_at < 0:
                vary_at = index
        elif name == _ALLOW_ORIGIN:
            cors = []
    result.extend(cors)
    if vary:
        if vary_at < 0:
            result.append(_VARY_ORIGIN[0])
        else:
            value = result[vary_at][1]
            result[vary_at] = (_VARY, value + b", Origin" if value.strip() else b"Origin")
    return result
