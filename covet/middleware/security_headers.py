"""Security response headers: HSTS, CSP, framing, sniffing, referrers, isolation, permissions.

Each header has a safe default and a setting (``None`` leaves it out). The header list is
built once, at construction, for plain and for secure (``https``) requests; a request costs a
scan of the response's own headers, because a header the response already set is never
replaced: a page that needs its own ``Content-Security-Policy`` (the docs pages send one)
keeps it. Routes change or drop the headers with ``opt={"security_headers": ...}``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.middleware.errors import add_error_headers
from covet.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_CSP",
    "DEFAULT_PERMISSIONS_POLICY",
    "SecurityHeadersConfig",
    "SecurityHeadersMiddleware",
    "csp_text",
]

Header = tuple[bytes, bytes]
CSPDirectives = Mapping[str, str | Sequence[str]]

#: The key of a route's ``opt`` mapping: ``False`` (no security headers) or a mapping of
#: :class:`SecurityHeadersConfig` fields that replace the middleware's for that route.
OPT_KEY = "security_headers"

#: The default ``Content-Security-Policy``: everything from the app's own origin only, no
#: plugins, no ``<base>`` or form targets elsewhere, never framed; images also inline.
DEFAULT_CSP: Mapping[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
    "object-src": ("'none'",),
    "img-src": ("'self'", "data:"),
}

#: The default ``Permissions-Policy``: powerful features no page of the app may use unless
#: the app turns them back on.
DEFAULT_PERMISSIONS_POLICY: Mapping[str, tuple[str, ...]] = dict.fromkeys(
    (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    ),
    (),
)

_DIRECTIVE = re.compile(r"[a-z][a-z0-9-]*")
_CSP_VALUE = re.compile(r"[^\x00-\x1f\x7f;,]*")  # a source may be anything but a separator
_PERMISSION_ORIGIN = re.compile(r"\*|self|src|\"[a-z][a-z0-9+.-]*://[^\"\s\x00-\x1f\x7f]+\"")
_HSTS_MAX_AGE = re.compile(r"max-age=(\d{1,10})", re.IGNORECASE)
_PRELOAD_MIN_AGE = 31_536_000  # a year: what the browsers' preload list requires

_CHOICES: dict[str, tuple[str, ...]] = {
    "x_frame_options": ("DENY", "SAMEORIGIN"),
    "referrer_policy": (
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ),
    "cross_origin_opener_policy": (
        "same-origin",
        "same-origin-allow-popups",
        "noopener-allow-popups",
        "unsafe-none",
    ),
    "cross_origin_resource_policy": ("same-origin", "same-site", "cross-origin"),
    "cross_origin_embedder_policy": ("require-corp", "credentialless", "unsafe-none"),
}


def csp_text(directives: CSPDirectives) -> str:
    """Return a ``Content-Security-Policy`` value from ``{directive: sources}``.

    ``csp_text({**DEFAULT_CSP, "script-src": ["'self'", "https://cdn.example.org"]})``
    gives the default policy plus scripts from a CDN. A source list may be one string.

    Raises:
        ConfigurationError: A directive name is malformed, or a source contains ``;``,
            ``,`` or a control character (it would end the directive or the policy).
    """
    if not isinstance(directives, Mapping):
        raise ConfigurationError(
            f"A CSP is a text or a mapping of directives to sources, not {directives!r}."
        )
    parts = []
    for name, sources in directives.items():
        if not isinstance(name, str) or not _DIRECTIVE.fullmatch(name):
            raise ConfigurationError(f"{name!r} is not a CSP directive name (e.g. 'script-src').")
        values = [sources] if isinstance(sources, str) else list(sources)
        for value in values:
            if not isinstance(value, str) or not _CSP_VALUE.fullmatch(value) or not value.strip():
                raise ConfigurationError(
                    f"CSP directive {name!r}: {value!r} is not a source (no ';', ',' or "
                    "control characters, not empty)."
                )
        parts.append(" ".join([name, *values]))
    return "; ".join(parts)


def _permissions_text(policy: Mapping[str, Sequence[str]]) -> str:
    parts = []
    for feature, origins in policy.items():
        if not isinstance(feature, str) or not _DIRECTIVE.fullmatch(feature):
            raise ConfigurationError(f"{feature!r} is not a Permissions-Policy feature name.")
        values = [origins] if isinstance(origins, str) else list(origins)
        for origin in values:
            if not isinstance(origin, str) or not _PERMISSION_ORIGIN.fullmatch(origin):
                raise ConfigurationError(
                    f"Permissions-Policy {feature!r}: {origin!r} is not an allowlist member "
                    "('*', 'self', 'src' or a quoted origin such as '\"https://a.example\"')."
                )
        parts.append(f"{feature}=({' '.join(values)})" if values != ["*"] else f"{feature}=*")
    return ", ".join(parts)


def _header_text(option: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\x00"):
        raise ConfigurationError(
            f"SecurityHeadersMiddleware: {option} must be a non-empty header value without "
            f"line breaks, or None to leave the header out; got {value!r}."
        )
    return value.strip()


def _hsts(value: str) -> str:
    text = _header_text("strict_transport_security", value)
    directives = [part.strip().lower() for part in text.split(";") if part.strip()]
    max_age = [m for d in directives if (m := _HSTS_MAX_AGE.fullmatch(d))]
    unknown = [d for d in directives if not _HSTS_MAX_AGE.fullmatch(d)]
    unknown = [d for d in unknown if d not in ("includesubdomains", "preload")]
    if len(max_age) != 1 or unknown:
        raise ConfigurationError(
            "SecurityHeadersMiddleware: strict_transport_security must be 'max-age=<seconds>' "
            f"with optional '; includeSubDomains' and '; preload', not {value!r}."
        )
    if "preload" in directives and (
        "includesubdomains" not in directives or int(max_age[0].group(1)) < _PRELOAD_MIN_AGE
    ):
        raise ConfigurationError(
            "SecurityHeadersMiddleware: HSTS 'preload' needs 'includeSubDomains' and a max-age "
            f"of at least {_PRELOAD_MIN_AGE} seconds (what browsers' preload lists accept)."
        )
    return text


@dataclass(frozen=True, slots=True)
class SecurityHeadersConfig:
    """Which security headers :class:`SecurityHeadersMiddleware` adds; ``None`` drops one.

    Attributes:
        strict_transport_security: ``Strict-Transport-Security``, sent on ``https``
            requests only (browsers ignore it over plain HTTP; behind a proxy, add
            ``ProxyHeadersMiddleware`` so the scheme is the client's).
        content_security_policy: ``Content-Security-Policy``, as text or as a mapping of
            directives to sources (see :data:`DEFAULT_CSP` and :func:`csp_text`).
        content_security_policy_report_only: ``Content-Security-Policy-Report-Only``: a
            policy the browser reports violations of without enforcing it (to try a
            stricter one); off by default.
        x_content_type_options: Send ``X-Content-Type-Options: nosniff``.
        x_frame_options: ``DENY`` or ``SAMEORIGIN`` (for browsers without CSP's
            ``frame-ancestors``).
        referrer_policy: ``Referrer-Policy``.
        cross_origin_opener_policy: ``Cross-Origin-Opener-Policy``.
        cross_origin_resource_policy: ``Cross-Origin-Resource-Policy`` (it does not
            affect CORS requests, only cross-origin ``<img>``/``<script>`` loads).
        cross_origin_embedder_policy: ``Cross-Origin-Embedder-Policy``; off by default
            (``require-corp`` breaks pages embedding resources of other sites).
        permissions_policy: ``Permissions-Policy``, as text or ``{feature: allowlist}``
            (an empty allowlist disables the feature; see
            :data:`DEFAULT_PERMISSIONS_POLICY`).
    """

    strict_transport_security: str | None = "max-age=31536000; includeSubDomains"
    content_security_policy: str | CSPDirectives | None = field(default_factory=lambda: DEFAULT_CSP)
    content_security_policy_report_only: str | CSPDirectives | None = None
    x_content_type_options: bool = True
    x_frame_options: str | None = "DENY"
    referrer_policy: str | None = "strict-origin-when-cross-origin"
    cross_origin_opener_policy: str | None = "same-origin"
    cross_origin_resource_policy: str | None = "same-origin"
    cross_origin_embedder_policy: str | None = None
    permissions_policy: str | Mapping[str, Sequence[str]] | None = field(
        default_factory=lambda: DEFAULT_PERMISSIONS_POLICY
    )
    _plain: tuple[Header, ...] = field(init=False, repr=False, compare=False)
    _secure: tuple[Header, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.x_content_type_options, bool):
            raise ConfigurationError(
                "SecurityHeadersMiddleware: x_content_type_options must be True or False, "
                f"not {self.x_content_type_options!r}."
            )
        plain: list[tuple[str, str]] = []
        for name, option in (
            ("content-security-policy", "content_security_policy"),
            ("content-security-policy-report-only", "content_security_policy_report_only"),
        ):
            policy = getattr(self, option)
            if policy is not None:
                text = policy if isinstance(policy, str) else _csp(option, policy)
                plain.append((name, _header_text(option, text)))
        if self.x_content_type_options:
            plain.append(("x-content-type-options", "nosniff"))
        for name, option in (
            ("x-frame-options", "x_frame_options"),
            ("referrer-policy", "referrer_policy"),
            ("cross-origin-opener-policy", "cross_origin_opener_policy"),
            ("cross-origin-resource-policy", "cross_origin_resource_policy"),
            ("cross-origin-embedder-policy", "cross_origin_embedder_policy"),
        ):
            value = getattr(self, option)
            if value is not None:
                plain.append((name, _choice(option, value)))
        permissions = self.permissions_policy
        if permissions is not None:
            text = permissions if isinstance(permissions, str) else _permissions(permissions)
            if text:  # an empty mapping: no header at all
                plain.append(("permissions-policy", _header_text("permissions_policy", text)))
        encoded = tuple((name.encode("ascii"), value.encode("latin-1")) for name, value in plain)
        secure = encoded
        if self.strict_transport_security is not None:
            hsts = _hsts(self.strict_transport_security).encode("latin-1")
            secure = ((b"strict-transport-security", hsts), *encoded)
        object.__setattr__(self, "_plain", encoded)
        object.__setattr__(self, "_secure", secure)

    def headers(self, *, secure: bool) -> tuple[tuple[bytes, bytes], ...]:
        """The headers sent on a request over ``https`` (``secure``) or plain HTTP."""
        return self._secure if secure else self._plain


def _csp(option: str, policy: CSPDirectives) -> str:
    try:
        return csp_text(policy)
    except ConfigurationError as exc:
        raise ConfigurationError(f"SecurityHeadersMiddleware: {option}: {exc}") from None


def _permissions(policy: Mapping[str, Sequence[str]]) -> str:
    if not isinstance(policy, Mapping):
        raise ConfigurationError(
            "SecurityHeadersMiddleware: permissions_policy is a text or a mapping of features "
            f"to allowlists, not {policy!r}."
        )
    try:
        return _permissions_text(policy)
    except ConfigurationError as exc:
        raise ConfigurationError(f"SecurityHeadersMiddleware: permissions_policy: {exc}") from None


def _choice(option: str, value: str) -> str:
    choices = _CHOICES[option]
    folded = {choice.lower(): choice for choice in choices}
    if not isinstance(value, str) or value.strip().lower() not in folded:
        raise ConfigurationError(
            f"SecurityHeadersMiddleware: {option}={value!r} is not one of {list(choices)} "
            "(or None to leave the header out)."
        )
    return folded[value.strip().lower()]


class SecurityHeadersMiddleware:
    """Add security headers to every HTTP response; ones the response set itself are kept.

    ``Strict-Transport-Security`` goes only on ``https`` requests. A route changes its
    headers with ``opt={"security_headers": {"x_frame_options": "SAMEORIGIN", ...}}``
    (fields of :class:`SecurityHeadersConfig` replacing the middleware's) or drops them with
    ``opt={"security_headers": False}``; bad route options stop the app at start-up. The
    last-resort 500 of an unhandled error carries the middleware's headers too. WebSocket
    and lifespan events pass untouched.

    Args:
        app: The wrapped application.
        config: A ready :class:`SecurityHeadersConfig`; or give its fields as keyword
            options.
        **options: The fields of :class:`SecurityHeadersConfig`.

    Raises:
        ConfigurationError: An option is unknown or has an invalid value.
    """

    def __init__(
        self, app: ASGIApp, *, config: SecurityHeadersConfig | None = None, **options: Any
    ) -> None:
        self.app = app
        self.config = config = resolve_config(
            "SecurityHeadersMiddleware", SecurityHeadersConfig, config, options
        )
        self._plain = list(config.headers(secure=False))
        self._secure = list(config.headers(secure=True))
        # A route's own (plain, secure) headers, made the first time it is served or at
        # start-up; routes without opt["security_headers"] are not stored.
        self._routes: dict[Any, tuple[list[Header], list[Header]]] = {}

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Build every route's own headers at start-up, so a bad ``opt`` stops the app."""
        for route in getattr(getattr(app, "router", None), "routes", ()):
            self._route_headers(route)
        yield

    def _route_headers(self, route: Any) -> tuple[list[Header], list[Header]] | None:
        opt = getattr(route, "opt", None)
        if not opt or OPT_KEY not in opt:
            return None
        known = self._routes.get(route)
        if known is not None:
            return known
        value = opt[OPT_KEY]
        where = f"opt['{OPT_KEY}'] of route {getattr(route, 'path', route)!r}"
        if value is False:
            headers: tuple[list[Header], list[Header]] = ([], [])
        elif isinstance(value, Mapping):
            fields = {f.name for f in dataclasses.fields(SecurityHeadersConfig)}
            unknown = sorted(set(value) - {f for f in fields if not f.startswith("_")})
            if unknown:
                raise ConfigurationError(
                    f"SecurityHeadersMiddleware: {where} has unknown field(s) {unknown}."
                )
            try:
                config = dataclasses.replace(self.config, **value)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{exc} (in {where})") from None
            headers = (list(config.headers(secure=False)), list(config.headers(secure=True)))
        else:
            raise ConfigurationError(
                f"SecurityHeadersMiddleware: {where} must be False or a mapping of "
                f"SecurityHeadersConfig fields, not {value!r}."
            )
        self._routes[route] = headers
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"
        default = self._secure if secure else self._plain
        add_error_headers(scope, default)

        # PERF: a plain function returning send()'s awaitable: no coroutine frame per message.
        def send_with_headers(message: Message) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                ours = default
                own = self._route_headers(scope.get("route"))
                if own is not None:
                    ours = own[1] if secure else own[0]
                if ours:
                    message = {**message, "headers": _added(message.get("headers", ()), ours)}
            return send(message)

        await self.app(scope, receive, send_with_headers)


def _added(headers: Any, ours: list[Header]) -> list[Header]:
    """``headers`` followed by those of ``ours`` whose name the response did not set."""
    merged = list(headers)
    present = {name.lower() for name, _ in merged}
    merged.extend(header for header in ours if header[0] not in present)
    return merged
