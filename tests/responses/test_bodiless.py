"""Responses that never carry content (1xx, 204, 205, 304, and any answer to HEAD).

RFC 9112 §6.3: a client reads no body after such a response whatever its headers say, so
content sent there is read as the start of the next response on a keep-alive connection.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

from covet.testing import TestClient
from tests.responses.bodiless_app import bodiless_app
from tests.support.servers import free_port, running_server


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(bodiless_app())


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/items/3", 204),
        ("POST", "/planned?q=y", 204),
        ("POST", "/switch", 204),
        ("POST", "/archive", 204),
        ("GET", "/not-modified", 304),
        ("GET", "/changed", 204),
        ("GET", "/lying", 204),
        ("GET", "/stream", 204),
    ],
    ids=[
        "204-route-dict",
        "204-planned-runner",
        "status-set-on-response-param",
        "204-json-body-runner",
        "304-json-response",
        "status-changed-after-init",
        "user-content-length-on-204",
        "204-stream",
    ],
)
def test_no_content_statuses_send_no_body_and_no_length(
    client: TestClient, method: str, path: str, status: int
) -> None:
    sent = {"json": {"name": "pen"}} if path == "/archive" else {}
    response = client.request(method, path, **sent)

    assert response.status_code == status
    assert response.content == b""
    assert "content-length" not in response.headers


def test_headers_set_through_the_response_parameter_survive(client: TestClient) -> None:
    assert client.post("/planned?q=y").headers["x-seen"] == "y"


def test_304_keeps_the_length_the_handler_stated(client: TestClient) -> None:
    response = client.get("/not-modified-length")

    assert response.status_code == 304
    assert response.headers["content-length"] == "42"
    assert response.content == b""


def test_205_says_zero_length(client: TestClient) -> None:
    response = client.get("/reset")

    assert response.status_code == 205
    assert response.headers["content-length"] == "0"
    assert response.content == b""


@pytest.mark.parametrize("path", ["/items/7", "/text"], ids=["dict", "response"])
def test_head_keeps_the_get_length_without_the_body(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] != "0"


def test_200_answers_are_unchanged(client: TestClient) -> None:
    response = client.get("/items/7")

    assert response.json() == {"item_id": 7}
    assert response.headers["content-length"] == str(len(response.content))


# -- over a real connection --------------------------------------------------------------


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"GET /items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.1")
    except OSError:
        return False


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server_port(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    port = free_port()
    argv = [
        *(sys.executable, "-m", "uvicorn", "tests.responses.bodiless_app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--http", request.param),
        *("--log-level", "warning"),
    ]
    log = tmp_path_factory.mktemp("bodiless") / "uvicorn.log"
    with running_server(argv, port=port, log_path=log, ready=_answers):
        yield port


class _Reader:
    """Reads responses off one keep-alive connection as a conforming client does."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed; unread: {self.buffer!r}")
        self.buffer += chunk

    def response(self, method: str) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        assert status_line.startswith("HTTP/1.1 "), status_line
        status = int(status_line.split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
        # RFC 9112 §6.3: these end at the header section, whatever Content-Length says.
        if method == "HEAD" or status < 200 or status in (204, 304):
            return status, headers, b""
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


@pytest.mark.e2e
def test_keep_alive_client_reads_the_next_response_after_bodiless_ones(server_port: int) -> None:
    requests = [
        ("DELETE", "/items/3", 204),
        ("GET", "/items/1", 200),
        ("GET", "/not-modified", 304),
        ("GET", "/items/2", 200),
        ("HEAD", "/items/4", 200),
        ("GET", "/reset", 205),
        ("GET", "/items/5", 200),
    ]
    with socket.create_connection(("127.0.0.1", server_port), timeout=5) as sock:
        reader = _Reader(sock)
        for method, path, expected in requests:
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("ascii"))
            status, headers, body = reader.response(method)
            assert status == expected, (method, path)
            if expected == 200 and method == "GET":
                assert body == b'{"item_id":%s}' % path.rsplit("/", 1)[1].encode()
            if expected in (204, 304):
                assert "content-length" not in headers, (method, path)
            if method == "HEAD":
                assert headers["content-length"] == str(len(b'{"item_id":4}'))
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # nothing was sent beyond the responses
        assert reader.buffer == b""
