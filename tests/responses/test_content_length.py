"""Small bodies take their Content-Length header from a cache; it must be the formatted length."""

from __future__ import annotations

import pytest

from covet import CovetPy, PlainTextResponse, Response
from covet.responses.base import content_length
from covet.testing import TestClient


@pytest.mark.parametrize("length", [0, 1, 13, 4095, 4096, 4097, 123_456])
def test_header_is_the_decimal_length_for_cached_and_uncached_sizes(length: int) -> None:
    for _ in range(2):  # the second call is served from the cache where it applies
        assert content_length(length) == (b"content-length", str(length).encode())
    response = Response(b"x" * length)
    assert (b"content-length", str(length).encode()) in response.raw_headers


class Shouting(PlainTextResponse):
    def render(self, content: object) -> bytes:
        return str(content).upper().encode()


def test_a_subclass_render_still_renders_text_content() -> None:
    assert Shouting("hello").body == b"HELLO"
    assert PlainTextResponse("héllo").body == "héllo".encode()

    class Latin(PlainTextResponse):
        charset = "latin-1"

    latin = Latin("héllo")
    assert latin.body == "héllo".encode("latin-1")
    assert (b"content-type", b"text/plain; charset=latin-1") in latin.raw_headers


def test_plaintext_and_json_lengths_over_http() -> None:
    app = CovetPy()

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    @app.get("/big")
    async def big() -> dict[str, str]:
        return {"data": "y" * 5000}

    with TestClient(app) as client:
        small = client.get("/text")
        assert small.headers["content-length"] == "13"
        assert small.text == "Hello, World!"
        large = client.get("/big")
        assert large.headers["content-length"] == str(len(large.content)) == "5011"
