"""The sans-I/O multipart parser: events, batching, limits and header-parameter parsing."""

from __future__ import annotations

import pytest

from covet._parsers.multipart import (
    Event,
    Field,
    FileData,
    FileEnd,
    FileStart,
    MultipartStreamParser,
    multipart_boundary,
    parse_header_params,
)
from covet.exceptions import BadRequestError, HTTPException
from covet.limits import Limits

BOUNDARY = b"sans-io-boundary"


def body_of(*sections: bytes) -> bytes:
    """Join raw part sections (headers, blank line, data) into a complete body."""
    delimiter = b"--" + BOUNDARY
    return b"".join(delimiter + b"\r\n" + s + b"\r\n" for s in sections) + delimiter + b"--\r\n"


def feed_all(body: bytes, chunk_size: int, limits: Limits | None = None) -> list[list[Event]]:
    """Feed ``body`` in chunks; return the events of each feed (finish() must pass)."""
    parser = MultipartStreamParser(BOUNDARY, limits or Limits())
    batches = [parser.feed(body[i : i + chunk_size]) for i in range(0, len(body), chunk_size)]
    parser.finish()
    return batches


def merged(batches: list[list[Event]]) -> list[Event]:
    """Flatten event batches, joining consecutive FileData so chunkings compare equal."""
    events: list[Event] = []
    for event in (e for batch in batches for e in batch):
        if isinstance(event, FileData) and events and isinstance(events[-1], FileData):
            events[-1] = FileData(events[-1].data + event.data)
        else:
            events.append(event)
    return events


FIELD = b'Content-Disposition: form-data; name="title"\r\n\r\nHello'
FILE = (
    b'Content-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nline 1\r\nline 2"
)


def test_events_for_a_field_and_a_file_in_order() -> None:
    events = merged(feed_all(body_of(FIELD, FILE), chunk_size=10_000))

    assert events == [
        Field("title", "Hello"),
        FileStart(
            "doc",
            "a.txt",
            "text/plain",
            [
                (b"content-disposition", b'form-data; name="doc"; filename="a.txt"'),
                (b"content-type", b"text/plain"),
            ],
        ),
        FileData(b"line 1\r\nline 2"),
        FileEnd(),
    ]


@pytest.mark.parametrize("chunk_size", [1, 3, 16, 17, 18, 64], ids=lambda n: f"{n}B")
def test_any_chunking_gives_the_same_events(chunk_size: int) -> None:
    tricky = b'Content-Disposition: form-data; name="t"; filename="t"\r\n\r\n' + (
        b"\r\n--sans-io-boundar\r\n-" * 5
    )
    body = body_of(FIELD, tricky, FILE)

    assert merged(feed_all(body, chunk_size)) == merged(feed_all(body, len(body)))


def test_file_data_is_batched_into_one_event_per_fed_chunk() -> None:
    # Near-boundaries make python-multipart call on_part_data several times per chunk.
    data = b"ab\r\n--sans-io-bXcd\r\n--sans\r\nef" * 20
    body = body_of(b'Content-Disposition: form-data; name="f"; filename="f"\r\n\r\n' + data)

    batches = feed_all(body, chunk_size=128)

    for batch in batches:
        assert sum(isinstance(event, FileData) for event in batch) <= 1
    assert b"".join(e.data for b in batches for e in b if isinstance(e, FileData)) == data


def test_finish_without_closing_boundary_is_400() -> None:
    parser = MultipartStreamParser(BOUNDARY, Limits())
    parser.feed(body_of(FIELD)[:-6])

    with pytest.raises(BadRequestError, match="closing boundary"):
        parser.finish()


def test_closing_boundary_only_is_an_empty_form() -> None:
    assert feed_all(b"--" + BOUNDARY + b"--\r\n", chunk_size=5) == [[]] * 5


def test_text_field_size_is_counted_across_chunks() -> None:
    body = body_of(b'Content-Disposition: form-data; name="big"\r\n\r\n' + b"x" * 40)

    with pytest.raises(HTTPException) as info:
        feed_all(body, chunk_size=4, limits=Limits(max_part_size=39))

    assert info.value.status_code == 413
    assert merged(feed_all(body, 4, Limits(max_part_size=40))) == [Field("big", "x" * 40)]


def test_header_block_is_counted_over_all_headers_of_a_part() -> None:
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 20) for i in range(5))
    section = headers + b'Content-Disposition: form-data; name="a"\r\n\r\nv'

    with pytest.raises(BadRequestError, match="headers of a multipart part"):
        feed_all(body_of(section), chunk_size=7, limits=Limits(max_part_header_size=100))
    assert merged(feed_all(body_of(section), 7, Limits(max_part_header_size=200))) == [
        Field("a", "v")
    ]


def test_header_padding_is_bounded_by_the_line_limit() -> None:
    section = b"X-Pad:" + b" " * 5000 + b'v\r\nContent-Disposition: form-data; name="a"\r\n\r\nv'

    with pytest.raises(BadRequestError, match="headers of a multipart part"):
        feed_all(body_of(section), chunk_size=512, limits=Limits(max_part_header_size=1000))


def test_field_and_file_counts_are_separate() -> None:
    file_section = b'Content-Disposition: form-data; name="f"; filename="f"\r\n\r\nx'
    body = body_of(FIELD, file_section, FIELD)
    limits = Limits(max_form_fields=2, max_form_files=1)

    assert len(merged(feed_all(body, 50, limits))) == 5
    with pytest.raises(BadRequestError, match=r"Too many form fields \(limit is 1\)"):
        feed_all(body, 50, Limits(max_form_fields=1))
    with pytest.raises(BadRequestError, match=r"Too many uploaded files \(limit is 1\)"):
        feed_all(body_of(file_section, file_section), 50, limits)


def test_invalid_filename_star_falls_back_to_filename() -> None:
    section = (
        b'Content-Disposition: form-data; name="f"; filename="plain.txt"; '
        b"filename*=no-such-charset''x\r\n\r\ndata"
    )

    (start, *_rest) = merged(feed_all(body_of(section), 1000))

    assert isinstance(start, FileStart)
    assert start.filename == "plain.txt"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("form-data", ("form-data", {})),
        ('Form-Data; Name="a"', ("form-data", {"name": "a"})),
        ('form-data; name="a;b"; x=1', ("form-data", {"name": "a;b", "x": "1"})),
        ('form-data; name="q\\"uote"', ("form-data", {"name": 'q"uote'})),
        ('form-data; filename="C:\\dir\\f.txt"', ("form-data", {"filename": "C:\\dir\\f.txt"})),
        ('form-data; name="back\\\\slash"', ("form-data", {"name": "back\\slash"})),
        ("form-data;  name = bare ;", ("form-data", {"name": "bare"})),
        ("form-data; flag; name=x", ("form-data", {"flag": "", "name": "x"})),
        ('form-data; name=""', ("form-data", {"name": ""})),
    ],
    ids=[
        "no-params",
        "case",
        "quoted-semicolon",
        "escaped-quote",
        "literal-backslash",
        "escaped-backslash",
        "spaces",
        "flag",
        "empty",
    ],
)
def test_parse_header_params(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_header_params(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        'form-data; name="a"; name="b"',
        "form-data; name=a; NAME=b",
        'form-data; name="open',
        'form-data; name="a"junk',
        "form-data; =x",
    ],
    ids=["repeated", "repeated-case", "unterminated", "trailing-junk", "no-name"],
)
def test_parse_header_params_refuses_ambiguous_input(value: str) -> None:
    with pytest.raises(ValueError):
        parse_header_params(value)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("multipart/form-data; boundary=abc", b"abc"),
        ('multipart/form-data; boundary="a b:c"', b"a b:c"),
        (
            "multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA",
            b"----WebKitFormBoundary7MA",
        ),
    ],
    ids=["bare", "quoted", "browser"],
)
def test_multipart_boundary(content_type: str, expected: bytes) -> None:
    assert multipart_boundary(content_type) == expected


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        'multipart/form-data; boundary="ends with space "',
        "multipart/form-data; boundary=" + "x" * 257,
        "multipart/form-data; boundary=tab\there",
    ],
    ids=["missing", "empty", "trailing-space", "too-long", "control-char"],
)
def test_multipart_boundary_rejects_bad_values(content_type: str) -> None:
    with pytest.raises(BadRequestError, match="boundary"):
        multipart_boundary(content_type)


def test_longest_boundary_is_accepted() -> None:
    assert multipart_boundary("multipart/form-data; boundary=" + "x" * 256) == b"x" * 256
