"""GZipMiddleware: negotiation, what is compressed and how, streaming, request inflation."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import sys
import urllib.request
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import brotli
import httpx
import pytest

from covet import CovetPy, Request, WebSocket
from covet.exceptions import ConfigurationError, MissingDependencyError
from covet.middleware import GZipConfig, GZipMiddleware
from covet.responses import PlainTextResponse, Response, StreamingResponse
from covet.testing import TestClient
from covet.testing.exceptions import LifespanError
from covet.types import Receive, Scope, Send
from tests.support.servers import answers_http, free_port, running_server

TEXT = "CovetPy compresses this line. " * 100  # 3000 bytes


def build_app(**options: Any) -> CovetPy:
    app = CovetPy()
    app.add_middleware(GZipMiddleware, **options)

    @app.get("/text")
    async def text() -> Response:
        return PlainTextResponse(TEXT)

    @app.get("/small")
    async def small() -> Response:
        return PlainTextResponse("short")

    @app.get("/typed/{kind}")
    async def typed(kind: str) -> Response:
        media = {"png": "image/png", "svg": "image/svg+xml", "zip": "application/zip"}
        return Response(TEXT.encode(), media_type=media.get(kind, kind.replace("_", "/")))

    @app.get("/headers")
    async def with_headers(request: Request) -> Response:
        extra = dict(request.query_params)
        return PlainTextResponse(TEXT, headers=extra)

    @app.get("/status/{code:int}")
    async def status(code: int) -> Response:
        return Response(b"" if code in (204, 304) else TEXT.encode(), code, media_type="text/plain")

    @app.get("/raw", opt={"gzip": False})
    async def raw() -> Response:
        return PlainTextResponse(TEXT)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def lines() -> AsyncIterator[str]:
            for i in range(5):
                yield f"line {i}\n"

        return StreamingResponse(lines(), media_type="text/plain")

    @app.get("/events")
    async def events() -> StreamingResponse:
        async def feed() -> AsyncIterator[str]:
            yield "data: one\n\n" * 300

        return StreamingResponse(feed(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(build_app()) as test_client:
        yield test_client


def raw_get(client: TestClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent, not decoded by httpx."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


# -- negotiation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0.5, gzip;q=0.5", "br"),
        ("GZip", "gzip"),
        ("x-gzip", "gzip"),
        ("gzip ; q=0.8", "gzip"),
        ("gzip;q=0.001", "gzip"),
        ("*", "br"),
        ("*;q=0.3, br;q=0", "gzip"),
        ("identity", None),
        ("identity;q=1, gzip;q=0.5", None),
        ("*;q=0", None),
        ("gzip;q=0", None),
        ("gzip;q=0, gzip", None),
        ("gzip;q=abc", None),
        ("gzip;q=1.5", None),
        ("gzip;q=0.1234", None),
        ("deflate, zstd", None),
        ("", None),
        (",,;;==,", None),
        ("gzip;q=", None),
    ],
)
def test_the_coding_follows_accept_encoding(
    client: TestClient, accept: str, coding: str | None
) -> None:
    response = client.get("/text", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == coding
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.text == TEXT


def test_without_accept_encoding_nothing_is_compressed_but_vary_is_set(
    client: TestClient,
) -> None:
    response, body = raw_get(client, "/text", **{"Accept-Encoding": ""})
    assert body == TEXT.encode()
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(TEXT))
    assert response.headers["vary"] == "Accept-Encoding"


def test_brotli_false_offers_gzip_only() -> None:
    client = TestClient(build_app(brotli=False))
    response = client.get("/text", headers={"Accept-Encoding": "br, gzip;q=0.1"})
    assert response.headers["content-encoding"] == "gzip"
    assert (
        client.get("/text", headers={"Accept-Encoding": "br"}).headers.get("content-encoding")
        is None
    )


def test_brotli_true_without_the_package_fails_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "brotli", None)  # import brotli now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"covetpy\[brotli\]"):
        GZipMiddleware(build_app(), brotli=True)
    middleware = GZipMiddleware(build_app())  # the default: gzip when brotli is missing
    assert middleware.negotiator.available == ("gzip",)


# -- a compressed response ------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_whole_body_is_compressed_with_its_length(client: TestClient, coding: str) -> None:
    response, body = raw_get(client, "/text", **{"Accept-Encoding": coding})
    decode = gzip.decompress if coding == "gzip" else brotli.decompress
    assert decode(body) == TEXT.encode()
    assert response.headers["content-encoding"] == coding
    assert response.headers["content-length"] == str(len(body))
    assert len(body) < len(TEXT) // 10


def test_small_bodies_are_sent_as_they_are(client: TestClient) -> None:
    response, body = raw_get(client, "/small", **{"Accept-Encoding": "gzip"})
    assert body == b"short"
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == "5"


def test_minimum_size_is_configurable() -> None:
    response = TestClient(build_app(minimum_size=0)).get("/small")
    assert response.headers["content-encoding"] == "br"
    assert response.text == "short"


def test_a_client_refusing_identity_gets_even_small_bodies_compressed(
    client: TestClient,
) -> None:
    response = client.get("/small", headers={"Accept-Encoding": "gzip, identity;q=0"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "short"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [("Origin", "Origin, Accept-Encoding"), ("*", "*"), ("accept-encoding", "accept-encoding")],
)
def test_vary_is_merged_with_the_apps(client: TestClient, sent: str, expected: str) -> None:
    response = client.get("/headers", params={"Vary": sent})
    assert response.headers.get_list("vary") == [expected]
    assert response.headers["content-encoding"] == "br"


def test_a_strong_etag_is_weakened_and_ranges_are_not_offered(client: TestClient) -> None:
    response = client.get("/headers", params={"ETag": '"v1"', "Accept-Ranges": "bytes"})
    assert response.headers["content-encoding"] == "br"
    assert response.headers["etag"] == 'W/"v1"'
    assert "accept-ranges" not in response.headers
    weak = client.get("/headers", params={"ETag": 'W/"v1"'})
    assert weak.headers["etag"] == 'W/"v1"'
    plain = client.get("/headers", params={"ETag": '"v1"'}, headers={"Accept-Encoding": ""})
    assert plain.headers["etag"] == '"v1"'  # not compressed: the strong ETag stays


def test_head_has_the_headers_of_get_but_no_length(client: TestClient) -> None:
    get = client.get("/headers", params={"ETag": '"v1"'})
    head = client.head("/headers", params={"ETag": '"v1"'})
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-encoding", "vary", "etag", "content-type"):
        assert head.headers[name] == get.headers[name]
    assert "content-length" not in head.headers  # the compressed length is not known
    small = client.head("/small")
    assert small.headers["content-length"] == "5"
    assert "content-encoding" not in small.headers


# -- what is never compressed ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/typed/png", {}),
        ("/typed/zip", {}),
        ("/typed/video_mp4", {}),
        ("/events", {}),
        ("/headers", {"Content-Encoding": "gzip"}),
        ("/headers", {"Cache-Control": "public, no-transform"}),
        ("/headers", {"Content-Range": "bytes 0-2999/3000"}),
        ("/status/206", {}),
        ("/status/204", {}),
        ("/status/304", {}),
        ("/raw", {}),
    ],
    ids=[
        "png",
        "zip",
        "video",
        "sse",
        "already-encoded",
        "no-transform",
        "content-range",
        "206",
        "204",
        "304",
        "route-opt-out",
    ],
)
def test_responses_that_are_not_compressed(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response, body = raw_get(client, path + "?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert response.headers.get("content-encoding") == params.get("Content-Encoding")
    assert "vary" not in response.headers  # the answer does not depend on Accept-Encoding
    if response.status_code not in (204, 304):
        assert len(body) >= len(TEXT)


@pytest.mark.parametrize(
    ("kind", "compressed"),
    [
        ("svg", True),
        ("application_json", True),
        ("application_problem+json", True),
        ("application_javascript", True),
        ("application_wasm", True),
        ("text_csv", True),
        ("application_octet-stream", False),
        ("font_woff2", False),
    ],
)
def test_default_content_types(client: TestClient, kind: str, compressed: bool) -> None:
    response = client.get(f"/typed/{kind}")
    assert ("content-encoding" in response.headers) is compressed
    assert response.content == TEXT.encode()


def test_content_types_are_configurable() -> None:
    client = TestClient(build_app(content_types=["application/zip"]))
    assert client.get("/typed/zip").headers["content-encoding"] == "br"
    assert "content-encoding" not in client.get("/text").headers


def test_statuses_with_bodies_are_compressed(client: TestClient) -> None:
    for code in (201, 404, 500):
        response = client.get(f"/status/{code}")
        assert response.status_code == code
        assert response.headers["content-encoding"] == "br"
        assert response.text == TEXT


# -- streaming ------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_stream_is_compressed_chunk_by_chunk(client: TestClient, coding: str) -> None:
    with client.stream("GET", "/stream", headers={"Accept-Encoding": coding}) as response:
        raw = list(response.iter_raw())
    assert response.headers["content-encoding"] == coding
    assert "content-length" not in response.headers
    decoder: Any = zlib.decompressobj(31) if coding == "gzip" else brotli.Decompressor()
    decode = decoder.decompress if coding == "gzip" else decoder.process
    assert b"".join(decode(part) for part in raw) == b"".join(
        f"line {i}\n".encode() for i in range(5)
    )


def test_an_exception_mid_stream_reaches_the_server() -> None:
    app = CovetPy()
    app.add_middleware(GZipMiddleware)

    @app.get("/broken")
    async def broken() -> StreamingResponse:
        async def lines() -> AsyncIterator[str]:
            yield TEXT
            raise RuntimeError("the database went away")

        return StreamingResponse(lines(), media_type="text/plain")

    with pytest.raises(RuntimeError, match="database went away"):
        TestClient(app).get("/broken")


# -- other scopes and options ---------------------------------------------------------------


def test_websocket_and_lifespan_pass_through() -> None:
    app = build_app()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(TEXT)
        await websocket.close()

    with TestClient(app) as client, client.websocket_connect("/ws") as socket:
        assert socket.receive_text() == TEXT


@pytest.mark.parametrize(
    "options",
    [
        {"minimum_size": -1},
        {"minimum_size": "500"},
        {"compresslevel": 0},
        {"compresslevel": 10},
        {"brotli": "yes"},
        {"brotli_quality": 12},
        {"content_types": "text/*"},
        {"content_types": ["text"]},
        {"content_types": ["text/event-stream"]},
        {"content_types": ["*/json"]},
        {"decompress_requests": 1},
        {"max_decompressed_size": 0},
        {"level": 5},
    ],
    ids=lambda options: repr(options),
)
def test_bad_options_fail_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="GZipMiddleware"):
        GZipMiddleware(build_app(), **options)


def test_a_config_object_is_accepted() -> None:
    config = GZipConfig(minimum_size=0, brotli=False)
    app = CovetPy()
    app.add_middleware(GZipMiddleware, config=config)

    @app.get("/")
    async def index() -> str:
        return "x"

    assert TestClient(app).get("/").headers["content-encoding"] == "gzip"


def test_a_bad_route_opt_stops_start_up() -> None:
    app = CovetPy()
    app.add_middleware(GZipMiddleware)

    @app.get("/", opt={"gzip": "no"})
    async def index() -> str:
        return "x"

    with pytest.raises(LifespanError, match=r"opt\['gzip'\] of route '/'"), TestClient(app):
        pass


# -- request bodies ---------------------------------------------------------------------------


def echo_app(**options: Any) -> CovetPy:
    app = CovetPy()
    app.add_middleware(GZipMiddleware, **options)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {
            "size": len(body),
            "start": body[:20].decode("latin-1"),
            "encoding": request.headers.get("content-encoding"),
            "length": request.headers.get("content-length"),
        }

    @app.post("/tight", max_body_size=1000)
    async def tight(request: Request) -> int:
        return len(await request.body())

    return app


PAYLOAD = b"covet request body " * 1000  # 19000 bytes


def test_request_bodies_are_left_compressed_by_default() -> None:
    compressed = gzip.compress(PAYLOAD)
    response = TestClient(echo_app()).post(
        "/echo", content=compressed, headers={"Content-Encoding": "gzip"}
    )
    assert response.json() == {
        "size": len(compressed),
        "start": compressed[:20].decode("latin-1"),
        "encoding": "gzip",
        "length": str(len(compressed)),
    }


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("gzip", lambda data: gzip.compress(data[:5000]) + gzip.compress(data[5000:])),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),
        ("br", brotli.compress),
        ("identity", lambda data: data),
    ],
    ids=["gzip", "x-gzip", "gzip-two-members", "deflate-zlib", "deflate-raw", "br", "identity"],
)
def test_request_bodies_are_inflated_when_asked(coding: str, compress: Any) -> None:
    client = TestClient(echo_app(decompress_requests=True))
    response = client.post("/echo", content=compress(PAYLOAD), headers={"Content-Encoding": coding})
    assert response.status_code == 200
    assert response.json() == {
        "size": len(PAYLOAD),
        "start": "covet request body c",
        "encoding": None if coding != "identity" else "identity",
        "length": None if coding != "identity" else str(len(PAYLOAD)),
    }


def test_an_inflated_body_streams_in_bounded_chunks() -> None:
    sizes: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message = await receive()
            sizes.append(len(message.get("body", b"")))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = TestClient(GZipMiddleware(app, decompress_requests=True, max_decompressed_size=10**7))
    body = gzip.compress(bytes(5 * 1024 * 1024))
    assert client.post("/", content=body, headers={"Content-Encoding": "gzip"}).status_code == 200
    assert sum(sizes) == 5 * 1024 * 1024
    assert max(sizes) <= 64 * 1024


@pytest.mark.parametrize(
    ("body", "coding", "status"),
    [
        (b"not gzip at all", "gzip", 400),
        (gzip.compress(PAYLOAD)[:-30], "gzip", 400),
        (gzip.compress(PAYLOAD) + b"trailing garbage", "gzip", 400),
        (zlib.compress(PAYLOAD) + b"x", "deflate", 400),
        (b"\xff" * 50, "br", 400),
        (brotli.compress(PAYLOAD)[:-5], "br", 400),
        (PAYLOAD, "compress", 415),
        (PAYLOAD, "zstd", 415),
        (PAYLOAD, "gzip, br", 415),
    ],
    ids=[
        "not-gzip",
        "truncated-gzip",
        "gzip-trailing",
        "deflate-trailing",
        "not-brotli",
        "truncated-br",
        "compress",
        "zstd",
        "two-codings",
    ],
)
def test_bad_request_bodies_get_a_problem(body: bytes, coding: str, status: int) -> None:
    client = TestClient(echo_app(decompress_requests=True))
    response = client.post("/echo", content=body, headers={"Content-Encoding": coding})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 415:
        assert response.headers["accept-encoding"] == "gzip, deflate, br"


def test_the_inflated_size_is_bounded_by_the_route_limit() -> None:
    client = TestClient(echo_app(decompress_requests=True))
    headers = {"Content-Encoding": "gzip"}
    assert client.post("/tight", content=gzip.compress(b"a" * 1000), headers=headers).json() == 1000
    response = client.post("/tight", content=gzip.compress(b"a" * 1001), headers=headers)
    assert response.status_code == 413
    assert "decompressed" in response.json()["detail"]


def test_max_decompressed_size_and_the_declared_length() -> None:
    client = TestClient(echo_app(decompress_requests=True, max_decompressed_size=100))
    headers = {"Content-Encoding": "gzip"}
    assert (
        client.post("/echo", content=gzip.compress(b"a" * 100), headers=headers).json()["size"]
        == 100
    )
    assert (
        client.post("/echo", content=gzip.compress(b"a" * 101), headers=headers).status_code == 413
    )
    # A compressed body longer than the limit is refused from its Content-Length alone.
    assert client.post("/echo", content=bytes(200), headers=headers).status_code == 413


def test_a_raw_asgi_app_gets_the_problem_from_the_middleware() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body", False):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read"})

    client = TestClient(GZipMiddleware(app, decompress_requests=True, max_decompressed_size=10))
    for accept in ("gzip", ""):  # with and without a response coding
        response = client.post(
            "/",
            content=gzip.compress(bytes(100)),
            headers={"Content-Encoding": "gzip", "Accept-Encoding": accept},
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"


def test_repeated_content_encoding_lines_are_several_codings() -> None:
    client = TestClient(echo_app(decompress_requests=True))
    body = gzip.compress(gzip.compress(PAYLOAD))
    headers = [("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")]
    assert client.post("/echo", content=body, headers=headers).status_code == 415


def test_a_start_followed_by_no_body_message_is_still_sent() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.trailers", "headers": [], "more_trailers": False})
        await send({"type": "http.response.body", "body": TEXT.encode()})

    seen: list[dict[str, Any]] = []

    async def server_send(message: dict[str, Any]) -> None:
        seen.append(message)

    async def server_receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "headers": [(b"accept-encoding", b"gzip")]}
    asyncio.run(GZipMiddleware(app)(scope, server_receive, server_send))
    assert [message["type"] for message in seen] == [
        "http.response.start",
        "http.response.trailers",
        "http.response.body",
    ]
    assert seen[2]["body"] == TEXT.encode()


# -- a real server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stream_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    argv = [
        *(sys.executable, "-m", "uvicorn", "tests.middleware.gzip_stream_app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    log_path = tmp_path_factory.mktemp("gzip") / "uvicorn.log"
    with running_server(argv, port=port, log_path=log_path, ready=answers_http):
        yield port


@pytest.mark.e2e
@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_each_streamed_chunk_is_decodable_before_the_next_exists(
    stream_server: int, coding: str
) -> None:
    from tests.middleware.gzip_stream_app import CHUNKS

    connection = http.client.HTTPConnection("127.0.0.1", stream_server, timeout=5)
    try:
        connection.request("GET", "/stream", headers={"Accept-Encoding": coding})
        response = connection.getresponse()
        assert response.getheader("content-encoding") == coding
        decoder: Any = zlib.decompressobj(31) if coding == "gzip" else brotli.Decompressor()
        decode = decoder.decompress if coding == "gzip" else decoder.process
        text = b""
        for i in range(CHUNKS):
            # The server produces chunk i+1 only after /ack/i: it must be readable already.
            while b"\n" not in text:
                data = response.read1(65536)
                assert data, f"the stream ended before chunk {i}"
                text += decode(data)
            line, _, text = text.partition(b"\n")
            assert line.startswith(f"chunk {i} ".encode())
            with urllib.request.urlopen(f"http://127.0.0.1:{stream_server}/ack/{i}", timeout=5):
                pass
        assert decode(response.read()) == b""  # the end of the stream adds no text
    finally:
        connection.close()


def test_a_brotli_without_bounded_inflation_is_not_used_for_request_bodies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class OldDecompressor:  # brotli before 1.2: process() inflates a whole chunk at once
        def process(self, data: bytes) -> bytes:
            return brotli.decompress(data)

    monkeypatch.setattr(brotli, "Decompressor", OldDecompressor)
    client = TestClient(echo_app(decompress_requests=True))
    bomb = brotli.compress(bytes(10 * 1024 * 1024))

    refused = client.post("/echo", content=bomb, headers={"Content-Encoding": "br"})
    gzipped = client.post(
        "/echo", content=gzip.compress(PAYLOAD), headers={"Content-Encoding": "gzip"}
    )

    assert refused.status_code == 415
    assert refused.headers["accept-encoding"] == "gzip, deflate"
    assert gzipped.json()["size"] == len(PAYLOAD)
