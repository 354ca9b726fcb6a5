"""Hostile input to GZipMiddleware: compression bombs, monstrous Accept-Encoding, tiny chunks."""

from __future__ import annotations

import functools
import gzip
import struct
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

import brotli
import pytest

from covet import CovetPy, Request
from covet.middleware import GZipMiddleware
from covet.middleware._coding import Negotiator
from covet.responses import PlainTextResponse, Response, StreamingResponse
from covet.testing import TestClient

GIB = 1 << 30
MIB = 1 << 20


@functools.cache
def gzip_bomb(size: int = GIB) -> bytes:
    """A valid gzip body of ``size`` zeros (1 GiB: about 1 MiB), built compressing 1 MiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    # A full flush makes the block independent of what precedes it, so it can be repeated.
    block = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zeros = bytes(MIB)
    for _ in range(size // MIB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size % (1 << 32))
    return header + block * (size // MIB) + compressor.flush() + trailer


def brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=5)
    zeros = bytes(MIB)
    return b"".join(compressor.process(zeros) for _ in range(GIB // MIB)) + compressor.finish()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {"gzip": gzip_bomb(), "br": brotli_bomb()}


def upload_app() -> CovetPy:
    app = CovetPy()
    app.add_middleware(GZipMiddleware, decompress_requests=True)

    @app.post("/upload", max_body_size=MIB)
    async def upload(request: Request) -> int:
        return len(await request.body())

    @app.post("/stream", max_body_size=MIB)
    async def stream(request: Request) -> int:
        return sum([len(chunk) async for chunk in request.stream()])

    return app


def test_the_gzip_bomb_is_valid() -> None:
    assert len(gzip_bomb()) < 2 * MIB
    bomb = gzip_bomb(64 * MIB)  # built the same way; inflating a whole GiB takes seconds
    inflater = zlib.decompressobj(31)
    size = 0
    data = bomb
    while data:  # inflated 8 MiB at a time; zlib checks the CRC and size of the whole
        size += len(inflater.decompress(data, 8 * MIB))
        data = inflater.unconsumed_tail
    assert inflater.eof
    assert size == 64 * MIB


@pytest.mark.parametrize("coding", ["gzip", "br"])
@pytest.mark.parametrize("path", ["/upload", "/stream"])
def test_a_one_gib_bomb_is_refused_fast_in_bounded_memory(
    bombs: dict[str, bytes], coding: str, path: str
) -> None:
    client = TestClient(upload_app())
    body = bombs[coding]
    tracemalloc.start()
    try:
        started = time.perf_counter()
        response = client.post(path, content=body, headers={"Content-Encoding": coding})
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body, decompressed, is larger")
    assert elapsed < 1.0  # inflating 1 GiB would take seconds
    assert peak < len(body) + 8 * MIB  # the body itself plus a few inflated chunks


def test_a_bomb_sent_in_many_chunks_is_refused_too(bombs: dict[str, bytes]) -> None:
    client = TestClient(upload_app())
    body = bombs["gzip"]

    def pieces() -> Any:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = client.post("/upload", content=pieces(), headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_endless_empty_gzip_members_are_bounded_by_the_compressed_size() -> None:
    member = gzip.compress(b"")
    body = member * (2 * MIB // len(member))
    response = TestClient(upload_app()).post(
        "/upload", content=body, headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 413


# -- Accept-Encoding ------------------------------------------------------------------------


def text_app() -> CovetPy:
    app = CovetPy()
    app.add_middleware(GZipMiddleware)

    @app.get("/")
    async def index() -> Response:
        return PlainTextResponse("compress me " * 200)

    return app


def many_qvalues(count: int) -> str:
    return ", ".join(f"coding{i};q=0.{i % 1000:03d}" for i in range(count)) + ", gzip;q=0.5"


def test_a_huge_accept_encoding_is_negotiated_in_linear_time() -> None:
    negotiator = Negotiator(("br", "gzip"))
    timings = []
    for count in (1_000, 10_000):
        header = many_qvalues(count).encode()
        best = float("inf")
        for _ in range(5):  # the best of five: a busy machine's pauses are not the parser's
            started = time.perf_counter()
            assert negotiator.choose(header) == ("gzip", True)
            best = min(best, time.perf_counter() - started)
        timings.append(best)
    assert timings[1] < timings[0] * 30  # ten times the input, about ten times the work
    assert timings[1] < 0.5
    assert len(negotiator._cache) == 0  # long values are not remembered


@pytest.mark.parametrize(
    "accept",
    [
        "gzip;" + "q=0.5;" * 20_000,
        "gzip" + " " * 100_000,
        ";" * 100_000,
        "," * 100_000,
        "gzip;q=" + "9" * 50_000,
        b"\x00\xff\x7f" * 1000,
        "br;q=NaN, gzip;q=inf, deflate;q=-1",
        "gzip;q=0.5;q=0.1",
        "=gzip",
    ],
    ids=["params", "spaces", "semicolons", "commas", "long-q", "binary", "nan", "two-q", "eq"],
)
def test_garbage_accept_encoding_is_never_a_500(accept: str | bytes) -> None:
    client = TestClient(text_app())
    started = time.perf_counter()
    response = client.get("/", headers={"Accept-Encoding": accept})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200
    assert response.text == "compress me " * 200


def test_distinct_accept_encodings_do_not_grow_memory() -> None:
    negotiator = Negotiator(("gzip",))
    for i in range(5000):
        negotiator.choose(f"gzip;q=0.{i % 1000:03d}, x{i}".encode())
    assert len(negotiator._cache) <= 256


# -- streams ----------------------------------------------------------------------------------


def tiny_chunks_app(count: int) -> CovetPy:
    app = CovetPy()
    app.add_middleware(GZipMiddleware)

    @app.get("/")
    async def index() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(count):
                yield b"x"

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


def test_many_tiny_chunks_cost_linear_time() -> None:
    timings = []
    for count in (2_000, 20_000):
        client = TestClient(tiny_chunks_app(count))
        started = time.perf_counter()
        response = client.get("/", headers={"Accept-Encoding": "gzip"})
        timings.append(time.perf_counter() - started)
        assert response.headers["content-encoding"] == "gzip"
        assert response.content == b"x" * count
    assert timings[1] < timings[0] * 30


def test_an_exception_before_the_body_still_gets_a_500() -> None:
    app = CovetPy()
    app.add_middleware(GZipMiddleware)

    @app.get("/")
    async def index() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            raise RuntimeError("secret-detail-7f3a")
            yield b""  # pragma: no cover - makes this a generator

        return StreamingResponse(chunks(), media_type="text/plain")

    response = TestClient(app, raise_server_exceptions=False).get(
        "/", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 500
    assert "secret-detail-7f3a" not in response.text
