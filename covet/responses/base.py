"""The response classes with a body known up front."""

from __future__ import annotations

import functools
import http.cookies
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import quote

from covet import _json
from covet.background import BackgroundTask
from covet.datastructures import MutableHeaders, _encode_name, _encode_value
from covet.types import RawHeaders, Receive, Scope, Send

_BYTES_TYPES = (bytes, bytearray, memoryview)
# Statuses that must not carry a body besides 1xx (RFC 9110 §6.4.1, §15.3.5, §15.3.6, §15.4.5).
_NO_BODY_STATUS = frozenset({204, 205, 304})
_FRAMING = (b"content-length", b"transfer-encoding")
_ZERO_LENGTH = (b"content-length", b"0")


def has_no_content(status: int) -> bool:
    """Whether a response with ``status`` never carries content (1xx, 204, 205, 304)."""
    return status < 200 or status in _NO_BODY_STATUS


def bodiless_headers(status: int, headers: RawHeaders) -> RawHeaders:
    """``headers`` made right for a response with ``status``, sent without content.

    RFC 9110 §8.6: 1xx and 204 carry no ``Content-Length``; a 304 may keep one (it states the
    200's length, which only the code that set it knows), so a 304 keeps whatever it has. A
    205 says ``Content-Length: 0`` (§15.3.6): a client cannot otherwise tell where it ends.
    """
    if status == 304:
        return headers
    kept = [(name, value) for name, value in headers if name not in _FRAMING]
    if status == 205:
        kept.append(_ZERO_LENGTH)
    return kept


# PERF: small bodies' Content-Length headers are built once, not formatted per response
# (str(n).encode() costs more than the rest of a plain-text response's headers together).
_LENGTH_HEADERS: dict[int, tuple[bytes, bytes]] = {}
_CACHED_LENGTHS = 4096


def content_length(length: int) -> tuple[bytes, bytes]:
    """The ``Content-Length`` header for a body of ``length`` bytes."""
    header = _LENGTH_HEADERS.get(length)
    if header is None:
        header = (b"content-length", str(length).encode("latin-1"))
        if length < _CACHED_LENGTHS:
            _LENGTH_HEADERS[length] = header
    return header


@functools.lru_cache(maxsize=256)
def _content_type(media_type: str, charset: str) -> bytes:
    if media_type.startswith("text/") and "charset=" not in media_type:
        media_type += "; charset=" + charset
    return media_type.encode("latin-1")


class Response:
    """An HTTP response whose body is held in memory.

    Args:
        content: ``bytes`` or ``str`` body (``None`` for empty).
        status_code: The HTTP status.
        headers: Extra headers; values containing CR, LF or NUL are refused.
        media_type: Content type; ``charset`` is appended for ``text/*``.
        background: A task to run after the response has been sent.
    """

    media_type: str | None = None
    charset = "utf-8"
    # Responses whose length is unknown up front (streams) leave Content-Length out.
    auto_content_length = True
    _content_type_header: tuple[bytes, bytes] | None = None
    # Whether render() is the base class's (a subclass may render str content its own way).
    _renders_text = True

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code = status_code
        self.background = background
        # PERF: text through the base class's render() is encoded here, without the call.
        if type(content) is str and self._renders_text:
            body = self.body = content.encode(self.charset)
        else:
            body = self.body = self.render(content)
        if media_type is not None:
            self.media_type = media_type
        elif headers is None and status_code == 200 and self.auto_content_length:
            # PERF: the most common response (200, class media type, no extra headers)
            # takes a precomputed Content-Type header.
            content_type = self._content_type_header
            # PERF: the cached header is looked up here, without content_length()'s call.
            length = _LENGTH_HEADERS.get(len(body)) or content_length(len(body))
            self.raw_headers = [length, content_type] if content_type else [length]
            return
        self.raw_headers = self._build_headers(headers)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._renders_text = cls.render is Response.render
        cls._content_type_header = (
            (b"content-type", _content_type(cls.media_type, cls.charset))
            if cls.media_type is not None
            else None
        )

    def render(self, content: Any) -> bytes:
        """Turn ``content`` into body bytes."""
        if type(content) is str:
            return content.encode(self.charset)
        if content is None:
            return b""
        if isinstance(content, _BYTES_TYPES):
            return bytes(content)
        if isinstance(content, str):
            return content.encode(self.charset)
        raise TypeError(
            f"{type(self).__name__} content must be bytes or str, not {type(content).__name__}"
        )

    def _build_headers(self, headers: Mapping[str, str] | None) -> RawHeaders:
        status = self.status_code
        no_body = has_no_content(status)
        if headers:
            raw = [(_encode_name(k), _encode_value(v)) for k, v in headers.items()]
            names = {k for k, _ in raw}
            if no_body:
                return bodiless_headers(status, raw)
            if self.auto_content_length and b"content-length" not in names:
                raw.append(content_length(len(self.body)))
            if self.media_type is not None and b"content-type" not in names:
                raw.append((b"content-type", _content_type(self.media_type, self.charset)))
            return raw
        # PERF: the common case, no user headers, builds the list in one go.
        if no_body:
            return bodiless_headers(status, [])
        raw = [content_length(len(self.body))] if self.auto_content_length else []
        if self.media_type is not None:
            raw.append((b"content-type", _content_type(self.media_type, self.charset)))
        return raw

    @property
    def headers(self) -> MutableHeaders:
        """The response headers; changes apply to the response."""
        return MutableHeaders(raw=self.raw_headers)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = True,
        httponly: bool = True,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header. Defaults are safe: Secure, HttpOnly, SameSite=Lax."""
        cookie: http.cookies.BaseCookie[str] = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            morsel["expires"] = (
                format_datetime(expires.astimezone(UTC), usegmt=True)
                if isinstance(expires, datetime)
                else expires
            )
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("lax", "strict", "none"):
                raise ValueError(f"samesite must be 'lax', 'strict' or 'none', not {samesite!r}")
            morsel["samesite"] = samesite.capitalize()
        header = morsel.OutputString()
        if partitioned:
            header += "; Partitioned"
        self.raw_headers.append((b"set-cookie", _encode_value(header)))

    def delete_cookie(
        self,
        key: str,
        *,
        path: str = "/",
        domain: str | None = None,
        secure: bool = True,
        httponly: bool = True,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Tell the client to drop cookie ``key``."""
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = self.status_code, self.raw_headers, self.body
        # The status may have been changed after the headers were built.
        if status != 200 and has_no_content(status):
            headers, body = bodiless_headers(status, headers), b""
        elif scope.get("method") == "HEAD":
            body = b""
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.background is not None:
            await self.background()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code})"


class PlainTextResponse(Response):
    """A ``text/plain`` response."""

    media_type = "text/plain"


class HTMLResponse(Response):
    """A ``text/html`` response."""

    media_type = "text/html"


class JSONResponse(Response):
    """A compact UTF-8 JSON response (orjson when installed).

    Dataclasses, datetimes, UUIDs, Decimals, enums and sets are encoded too.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Encode ``content`` as JSON."""
        return _json.dumps(content)


class RedirectResponse(Response):
    """Redirect to ``url`` (307 by default, which keeps the method and body)."""

    def __init__(
        self,
        url: str,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(None, status_code, headers, background=background)
        location = quote(str(url), safe=":/%#?=@[]!$&'()*+,;~-._")
        self.raw_headers.append((b"location", _encode_value(location)))
