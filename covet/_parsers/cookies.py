"""Cookie header parsing (RFC 6265 lenient, browser-compatible)."""

from __future__ import annotations

from urllib.parse import unquote

MAX_COOKIES = 200


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` request header into a dict; later duplicates do not override.

    Malformed pairs are skipped rather than failing the request, as browsers do.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";", MAX_COOKIES)[:MAX_COOKIES]:
        name, sep, value = chunk.partition("=")
        if not sep:
            name, value = "", name
        name = name.strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if (name or value) and name not in cookies:
            cookies[name] = unquote(value)
    return cookies
