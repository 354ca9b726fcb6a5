"""Bytes no HTTP client library would send, written to a real uvicorn over a raw socket."""

from __future__ import annotations

import re
import socket
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import WireServer

pytestmark = pytest.mark.e2e

SAFE_LOCATION = re.compile(r"^/[^/\\]")


def exchange(server: WireServer, request: bytes) -> bytes:
    """Send ``request`` verbatim on a fresh connection and read until the server closes it."""
    chunks: list[bytes] = []
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass  # what was read so far is the answer
    return b"".join(chunks)


def get(server: WireServer, target: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    """A minimal HTTP/1.1 request for ``target``, asking the server to close afterwards."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return exchange(server, b"\r\n".join([*lines, b"Connection: close", b"", b""]))


def split(raw: bytes) -> tuple[int, list[bytes], bytes]:
    """Status code, header lines and body of a raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    return int(status_line.split()[1]), header_lines, body


def header(lines: list[bytes], name: bytes) -> bytes | None:
    """The first value of header ``name`` (case-insensitive), if present."""
    for line in lines:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


@pytest.mark.parametrize(
    "target",
    [b"/caf\xc3", b"/\xff\xfe", b"/%zz", b"/%ff%fe", b"/%00", b"/caf%C3", b"/a%2"],
    ids=["raw-invalid-utf8", "raw-ff-fe", "bad-escape", "escaped-ff-fe", "nul", "cut-utf8", "cut"],
)
def test_malformed_path_is_400(wire_server: WireServer, target: bytes) -> None:
    status, _, body = split(get(wire_server, target))

    assert status == 400
    assert b"Traceback" not in body


@pytest.mark.parametrize(
    "target",
    [
        b"//evil.com/",
        b"/\\evil.com/",
        b"/%2F%2Fevil.com/",
        b"/%5Cevil.com/",
        b"/%2Fevil.com/",
        b"/%5C%5Cevil.com/",
        b"///evil.com/",
        b"/dashboard/",
    ],
    ids=[
        "double-slash",
        "backslash",
        "encoded-double-slash",
        "encoded-backslash",
        "encoded-slash",
        "encoded-double-backslash",
        "triple-slash",
        "control-dashboard",
    ],
)
def test_slash_redirect_never_leaves_the_site(wire_server: WireServer, target: bytes) -> None:
    status, lines, body = split(get(wire_server, target))

    assert status < 500
    assert b"Traceback" not in body
    location = header(lines, b"location")
    if location is not None:
        assert SAFE_LOCATION.match(location.decode("latin-1")), location
    if target == b"/dashboard/":
        assert (status, location) == (307, b"/dashboard")


def test_crlf_from_user_input_never_splits_the_response(wire_server: WireServer) -> None:
    raw = get(wire_server, b"/header/set?v=a%0D%0AX-Injected:%20yes%0D%0A%0D%0Abody")

    status, lines, body = split(raw)
    assert status == 500
    assert header(lines, b"x-injected") is None
    assert header(lines, b"x-echo") is None
    assert b"X-Injected" not in raw
    assert b"Traceback" not in body


# httptools itself answers 400 to a method it does not know (FOO): see the TestClient tests.
@pytest.mark.parametrize("method", [b"PURGE", b"PROPFIND", b"DELETE"], ids=bytes.decode)
def test_unrouted_method_is_405_with_allow(wire_server: WireServer, method: bytes) -> None:
    status, lines, body = split(get(wire_server, b"/", method=method))

    assert status == 405
    assert header(lines, b"allow") == b"GET, HEAD, OPTIONS"
    assert b"world" not in body


def test_spoofed_forwarding_headers_do_not_change_the_client(wire_server: WireServer) -> None:
    raw = get(
        wire_server,
        b"/client/address",
        b"X-Forwarded-For: 203.0.113.9",
        b"X-Real-IP: 203.0.113.9",
        b"Forwarded: for=203.0.113.9;proto=https",
    )

    status, _, body = split(raw)
    assert status == 200
    assert b'"host":"127.0.0.1"' in body


@pytest.mark.parametrize(
    "host",
    [b"[", b"a:99999999", b"a/b?c#d", b"evil.com@good.com"],
    ids=["open-bracket", "port-out-of-range", "path-query-fragment", "userinfo"],
)
def test_invalid_host_header_is_400_not_500(wire_server: WireServer, host: bytes) -> None:
    raw = exchange(
        wire_server,
        b"GET /client/address HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n",
    )

    status, _, body = split(raw)
    assert status == 400
    assert b"Traceback" not in body


@pytest.mark.parametrize(
    "target", [b"/boom/now", b"/boom/mid-stream"], ids=["before-response", "mid-stream"]
)
def test_exception_text_never_reaches_the_wire(wire_server: WireServer, target: bytes) -> None:
    raw = get(wire_server, target)

    assert wire_server.secret.encode() not in raw
    assert b"RuntimeError" not in raw
    assert b"Traceback" not in raw
    if target == b"/boom/now":
        assert split(raw)[0] == 500
