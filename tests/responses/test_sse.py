"""Server-sent events: byte-exact framing, hostile values, keep-alive, disconnect."""

from __future__ import annotations

import asyncio
import http.client
import json
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.middleware import GZipMiddleware
from covet.responses import EventSourceResponse, ServerSentEvent
from covet.testing import TestClient
from tests.support.servers import answers_http, free_port, running_server


@pytest.mark.parametrize(
    ("event", "wire"),
    [
        (ServerSentEvent(data={"a": 1}), b'data: {"a":1}\n\n'),
        (ServerSentEvent(data="hi"), b'data: "hi"\n\n'),
        (ServerSentEvent(data="two\nlines"), b'data: "two\\nlines"\n\n'),
        (ServerSentEvent(raw_data="a\nb\r\nc\rd"), b"data: a\ndata: b\ndata: c\ndata: d\n\n"),
        (ServerSentEvent(raw_data=""), b"data: \n\n"),
        (ServerSentEvent(raw_data="x\n\nevent: evil"), b"data: x\ndata: \ndata: event: evil\n\n"),
        (
            ServerSentEvent(data=1, event="tick", id="7", retry=5000, comment="c1\nc2"),
            b": c1\n: c2\nevent: tick\ndata: 1\nid: 7\nretry: 5000\n\n",
        ),
        (ServerSentEvent(id=""), b"id: \n\n"),
        (ServerSentEvent(comment="ping"), b": ping\n\n"),
    ],
    ids=[
        "json",
        "str-quoted",
        "escaped",
        "raw-multiline",
        "raw-empty",
        "raw-injection",
        "all-fields",
        "id-reset",
        "comment",
    ],
)
def test_framing_is_byte_exact(event: ServerSentEvent, wire: bytes) -> None:
    assert event.encode() == wire


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": "1\ndata: evil"},
        {"id": "1\revil"},
        {"id": "a\0b"},
        {"event": "x\r\nid: 9"},
        {"event": "x\n"},
        {"data": 1, "raw_data": "1"},
        {"retry": -1},
        {"retry": True},
        {"retry": 1.5},
        {"event": 5},
    ],
    ids=[
        "id-lf",
        "id-cr",
        "id-nul",
        "event-crlf",
        "event-lf",
        "both-data",
        "retry-negative",
        "retry-bool",
        "retry-float",
        "event-not-str",
    ],
)
def test_values_that_would_break_the_framing_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ServerSentEvent(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # ConfigurationError is a ValueError too
        ServerSentEvent(**kwargs)  # type: ignore[arg-type]


def test_huge_data_is_split_per_line_and_kept_whole() -> None:
    text = "\n".join("x" * 1000 for _ in range(2000))
    wire = ServerSentEvent(raw_data=text).encode()
    lines = wire.decode().split("\n")
    assert lines[-2:] == ["", ""]
    assert len(lines) == 2002
    assert all(line == "data: " + "x" * 1000 for line in lines[:-2])
    big = ServerSentEvent(data={"blob": "y" * 5_000_000}).encode()
    assert big.count(b"\n") == 2


def _app(content: object, **kwargs: object) -> CovetPy:
    app = CovetPy()

    @app.get("/")
    async def index() -> EventSourceResponse:
        return EventSourceResponse(content, **kwargs)  # type: ignore[arg-type]

    return app


def test_headers_and_items_through_the_test_client() -> None:
    async def stream() -> AsyncIterator[object]:
        yield {"a": 1}
        yield "text"
        yield ServerSentEvent(raw_data="raw", event="e")

    response = TestClient(_app(stream())).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.content == b'data: {"a":1}\n\ndata: "text"\n\nevent: e\ndata: raw\n\n'


def test_a_sync_iterable_and_headers_given_win() -> None:
    app = _app(iter([1, 2]), headers={"Cache-Control": "no-store"})
    response = TestClient(app).get("/")
    assert response.headers["cache-control"] == "no-store"
    assert response.content == b"data: 1\n\ndata: 2\n\n"


def test_keepalive_comments_are_sent_only_while_idle() -> None:
    async def stream() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(0.35)
        yield 2
        for i in range(3, 30):  # busy: no pings in between
            yield i

    body = TestClient(_app(stream(), ping=0.1)).get("/").content
    assert body.startswith(b"data: 1\n\n: ping\n\n: ping\n\n")
    assert body.count(b": ping\n\n") in (2, 3)
    assert body.endswith(b"".join(b"data: %d\n\n" % i for i in range(2, 30)))


def test_ping_none_sends_no_keepalive_and_bad_pings_are_refused() -> None:
    async def stream() -> AsyncIterator[int]:
        await asyncio.sleep(0.15)
        yield 1

    assert TestClient(_app(stream(), ping=None)).get("/").content == b"data: 1\n\n"
    for bad in (-1, float("nan"), True):
        with pytest.raises(ConfigurationError):
            EventSourceResponse(iter(()), ping=bad)  # type: ignore[arg-type]


def test_gzip_middleware_never_compresses_an_event_stream() -> None:
    async def stream() -> AsyncIterator[str]:
        for _ in range(50):
            yield "x" * 1000

    app = _app(stream())
    app.add_middleware(GZipMiddleware)
    response = TestClient(app).get("/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.content.count(b"data: ") == 50


# -- a real server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    argv = [
        *(sys.executable, "-m", "uvicorn", "tests.responses.sse_app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    log_path = tmp_path_factory.mktemp("sse") / "uvicorn.log"
    with running_server(argv, port=port, log_path=log_path, ready=answers_http):
        yield port


def _get(port: int, path: str) -> object:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.e2e
def test_events_arrive_before_the_generator_ends_and_a_disconnect_closes_it(
    sse_server: int,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", sse_server, timeout=5)
    connection.request("GET", "/events", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    assert response.getheader("content-type") == "text/event-stream; charset=utf-8"
    assert response.getheader("content-encoding") is None
    text = b""
    for i in range(3):
        # Event i+1 is produced only after /ack/i: event i must be readable already.
        while b"\n\n" not in text:
            data = response.read1(65536)
            assert data, f"the stream ended before event {i}"
            text += data
        event, _, text = text.partition(b"\n\n")
        assert event == b'data: {"n":%d}\nid: %d' % (i, i)
        _get(sse_server, f"/ack/{i}")
    assert _get(sse_server, "/finally") == {"closed": []}
    connection.close()  # the client goes away while the generator waits for /ack/3
    deadline = time.monotonic() + 5
    while _get(sse_server, "/finally") != {"closed": ["closed"]}:
        assert time.monotonic() < deadline, "the generator's finally never ran"
        time.sleep(0.05)
