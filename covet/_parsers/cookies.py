"""Cookie header parsing (RFC 6265 lenient, browser-compatible)."""

from __future__ import annotations

from urllib.parse import unquote

MAX_COOKIES = 200
# RFC 6265 optional whitespace is SP and HTAB only. str.strip() would also remove NBSP, NEL
# and the other latin-1 "whitespace", turning "\xa0__Host-sid" into a spoofed "__Host-sid".
_OWS = " \t"


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` request header into a dict; later duplicates do not override.

    Malformed pairs are skipped rather than failing the request, as browsers do. A pair
    without a name (``=__Host-sid=x``) stays nameless (name ``""``), so it can never pose as
    a prefixed cookie; the work is linear in the header's length.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";", MAX_COOKIES)[:MAX_COOKIES]:
        name, sep, value = chunk.partition("=")
        if not sep:
            name, value = "", name
        name = name.strip(_OWS)
        value = value.strip(_OWS)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if (name or value) and name not in cookies:
            cookies[name] = unquote(value)
    return cookies
