"""FileResponse driven directly as an ASGI app: headers, conditionals, ranges, streaming."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any, BinaryIO

import pytest

import covet.responses.file as file_module
from covet.background import BackgroundTask
from covet.responses import FileResponse

Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]
DIGITS = b"0123456789"


@dataclass
class Result:
    """Everything a response sent, with shortcuts for the usual assertions."""

    messages: list[Message] = field(default_factory=list)

    @property
    def status(self) -> int:
        status: int = self.messages[0]["status"]
        return status

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]] = self.messages[0]["headers"]
        return headers

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_headers}

    @property
    def body_messages(self) -> list[Message]:
        return [m for m in self.messages if m["type"] == "http.response.body"]

    @property
    def body(self) -> bytes:
        return b"".join(m["body"] for m in self.body_messages)


def make_scope(method: str = "GET", headers: dict[str, str] | None = None) -> dict[str, Any]:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/file",
        "raw_path": b"/file",
        "query_string": b"",
        "headers": raw,
    }


def make_receive(disconnect: asyncio.Event | None = None) -> Callable[[], Awaitable[Message]]:
    """Return the request once, then block (or report a disconnect once ``disconnect`` is set)."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await (disconnect or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    return receive


def call(
    response: FileResponse,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    send: Callable[[Result], Send] | None = None,
) -> Result:
    result = Result()

    async def collect(message: Message) -> None:
        result.messages.append(message)

    sender = send(result) if send is not None else collect
    asyncio.run(response(make_scope(method, headers), make_receive(), sender))
    return result


def write(tmp_path: Path, name: str, data: bytes = DIGITS) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def track_open(monkeypatch: pytest.MonkeyPatch) -> list[BinaryIO]:
    """Record every file FileResponse opens, so a test can check they were all closed."""
    opened: list[BinaryIO] = []

    def tracking_open(path: str, mode: str) -> BinaryIO:
        file: BinaryIO = open(path, mode)  # noqa: SIM115 - the test checks it gets closed
        opened.append(file)
        return file

    monkeypatch.setattr(file_module, "open", tracking_open, raising=False)
    return opened


def test_full_body_and_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "digits.txt")
    st = path.stat()

    result = call(FileResponse(path))

    assert result.status == 200
    assert result.body == DIGITS
    assert result.headers["content-length"] == "10"
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    assert result.headers["accept-ranges"] == "bytes"
    assert result.headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    assert result.headers["last-modified"] == formatdate(st.st_mtime, usegmt=True)
    assert result.body_messages[-1].get("more_body", False) is False


def test_headers_are_not_duplicated_when_called_twice(tmp_path: Path) -> None:
    response = FileResponse(write(tmp_path, "digits.bin"), headers={"content-length": "999"})

    first = call(response)
    second = call(response)

    assert first.raw_headers == second.raw_headers
    assert [k for k, _ in second.raw_headers].count(b"content-length") == 1
    assert second.headers["content-length"] == "10"


@pytest.mark.parametrize(
    ("name", "filename", "media_type", "expected"),
    [
        ("page.html", None, None, "text/html; charset=utf-8"),
        ("image.png", None, None, "image/png"),
        ("blob.nosuchext", None, None, "application/octet-stream"),
        ("data.bin", "report.pdf", None, "application/pdf"),
        ("page.html", None, "application/x-custom", "application/x-custom"),
    ],
    ids=["html", "png", "unknown", "filename-wins", "explicit"],
)
def test_media_type(
    tmp_path: Path, name: str, filename: str | None, media_type: str | None, expected: str
) -> None:
    response = FileResponse(write(tmp_path, name), filename=filename, media_type=media_type)

    assert call(response).headers["content-type"] == expected


def test_content_disposition_ascii(tmp_path: Path) -> None:
    path = write(tmp_path, "x.bin")

    attachment = call(FileResponse(path, filename="report.pdf"))
    inline = call(FileResponse(path, filename="report.pdf", content_disposition_type="inline"))

    assert attachment.headers["content-disposition"] == 'attachment; filename="report.pdf"'
    assert inline.headers["content-disposition"] == 'inline; filename="report.pdf"'


def test_content_disposition_non_ascii(tmp_path: Path) -> None:
    response = FileResponse(write(tmp_path, "x.bin"), filename="résumé 2024 文件.pdf")

    value = call(response).headers["content-disposition"]

    assert value == (
        'attachment; filename="resume 2024 __.pdf"; '
        "filename*=utf-8''r%C3%A9sum%C3%A9%202024%20%E6%96%87%E4%BB%B6.pdf"
    )


def test_content_disposition_hostile_filename(tmp_path: Path) -> None:
    hostile = 'evil"\r\nSet-Cookie: session=stolen\\\x00.txt'

    result = call(FileResponse(write(tmp_path, "x.bin"), filename=hostile))

    assert result.headers["content-disposition"] == (
        'attachment; filename="evil\\"Set-Cookie: session=stolen\\\\.txt"'
    )
    assert "set-cookie" not in result.headers
    for _, value in result.raw_headers:
        assert b"\r" not in value
        assert b"\n" not in value
        assert b"\x00" not in value


def test_invalid_arguments_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "x.bin")

    with pytest.raises(ValueError, match="chunk_size"):
        FileResponse(path, chunk_size=0)
    with pytest.raises(ValueError, match="content_disposition_type"):
        FileResponse(path, filename="a.txt", content_disposition_type="inline\r\nX: y")


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", '"other", {etag}', "W/{etag}", "*"],
    ids=["exact", "in-list", "weak", "star"],
)
def test_if_none_match_gives_304(tmp_path: Path, if_none_match: str) -> None:
    path = write(tmp_path, "digits.txt")
    etag = call(FileResponse(path)).headers["etag"]

    result = call(FileResponse(path), headers={"if-none-match": if_none_match.format(etag=etag)})

    assert result.status == 304
    assert result.body == b""
    assert result.headers["etag"] == etag
    assert "last-modified" in result.headers
    assert "content-length" not in result.headers
    assert "content-type" not in result.headers


def test_if_none_match_mismatch_sends_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "digits.txt")

    result = call(FileResponse(path), headers={"if-none-match": '"stale", W/"older"'})

    assert result.status == 200
    assert result.body == DIGITS


def test_if_none_match_only_applies_to_get_and_head(tmp_path: Path) -> None:
    path = write(tmp_path, "digits.txt")

    result = call(FileResponse(path), method="POST", headers={"if-none-match": "*"})

    assert result.status == 200
    assert result.body == DIGITS


def test_if_modified_since(tmp_path: Path) -> None:
    path = write(tmp_path, "digits.txt")
    mtime = path.stat().st_mtime

    unchanged = call(FileResponse(path), headers={"if-modified-since": formatdate(mtime + 60)})
    same = call(FileResponse(path), headers={"if-modified-since": formatdate(mtime, usegmt=True)})
    older = call(FileResponse(path), headers={"if-modified-since": formatdate(mtime - 60)})
    garbage = call(FileResponse(path), headers={"if-modified-since": "yesterday-ish"})

    assert unchanged.status == 304
    assert unchanged.body == b""
    assert same.status == 304
    assert older.status == 200
    assert older.body == DIGITS
    assert garbage.status == 200


def test_if_none_match_takes_precedence_over_if_modified_since(tmp_path: Path) -> None:
    path = write(tmp_path, "digits.txt")
    later = formatdate(path.stat().st_mtime + 60)

    result = call(
        FileResponse(path), headers={"if-none-match": '"stale"', "if-modified-since": later}
    )

    assert result.status == 200
    assert result.body == DIGITS


@pytest.mark.parametrize(
    ("range_header", "content_range", "expected"),
    [
        ("bytes=2-5", "bytes 2-5/10", b"2345"),
        ("bytes=7-", "bytes 7-9/10", b"789"),
        ("bytes=-3", "bytes 7-9/10", b"789"),
        ("bytes=0-0", "bytes 0-0/10", b"0"),
        ("bytes=5-1000", "bytes 5-9/10", b"56789"),
        ("bytes=-1000", "bytes 0-9/10", DIGITS),
        ("Bytes = 3-4 ,", "bytes 3-4/10", b"34"),
    ],
    ids=["closed", "open-ended", "suffix", "one-byte", "clamped", "long-suffix", "lenient"],
)
def test_single_range_gives_206(
    tmp_path: Path, range_header: str, content_range: str, expected: bytes
) -> None:
    path = write(tmp_path, "digits.bin")

    result = call(FileResponse(path), headers={"range": range_header})

    assert result.status == 206
    assert result.headers["content-range"] == content_range
    assert result.headers["content-length"] == str(len(expected))
    assert result.headers["content-type"] == "application/octet-stream"
    assert result.body == expected


def test_range_is_read_in_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    path = write(tmp_path, "data.bin", data)

    result = call(FileResponse(path, chunk_size=1000), headers={"range": "bytes=100-5099"})

    assert result.status == 206
    assert [len(m["body"]) for m in result.body_messages] == [1000] * 5
    assert result.body == data[100:5100]


def test_if_range(tmp_path: Path) -> None:
    path = write(tmp_path, "digits.bin")
    full = call(FileResponse(path))
    etag, last_modified = full.headers["etag"], full.headers["last-modified"]
    older = formatdate(path.stat().st_mtime - 60, usegmt=True)

    def with_if_range(if_range: str) -> Result:
        return call(FileResponse(path), headers={"range": "bytes=0-3", "if-range": if_range})

    assert with_if_range(etag).status == 206
    assert with_if_range(etag).body == b"0123"
    assert with_if_range(last_modified).status == 206
    stale = with_if_range('"stale-etag"')
    assert stale.status == 200
    assert stale.body == DIGITS
    assert "content-range" not in stale.headers
    assert with_if_range(f"W/{etag}").status == 200
    assert with_if_range(older).status == 200


@pytest.mark.parametrize(
    "range_header",
    ["bytes=10-", "bytes=100-200", "bytes=-0", "bytes=5-2"],
    ids=["at-end", "beyond-end", "zero-suffix", "reversed"],
)
def test_unsatisfiable_range_gives_416(tmp_path: Path, range_header: str) -> None:
    path = write(tmp_path, "digits.txt")

    result = call(FileResponse(path), headers={"range": range_header})

    assert result.status == 416
    assert result.headers["content-range"] == "bytes */10"
    assert result.headers["content-length"] == "0"
    assert "content-type" not in result.headers
    assert result.body == b""


@pytest.mark.parametrize("range_header", ["bytes=0-", "bytes=0-0", "bytes=-1"])
def test_any_range_on_empty_file_gives_416(tmp_path: Path, range_header: str) -> None:
    path = write(tmp_path, "empty.bin", b"")

    result = call(FileResponse(path), headers={"range": range_header})

    assert result.status == 416
    assert result.headers["content-range"] == "bytes */0"


def test_empty_file_without_range(tmp_path: Path) -> None:
    result = call(FileResponse(write(tmp_path, "empty.bin", b"")))

    assert result.status == 200
    assert result.headers["content-length"] == "0"
    assert result.body == b""


@pytest.mark.parametrize(
    "range_header",
    [
        "bytes=0-1,5-6",
        "bytes=0-1, -2",
        "items=0-1",
        "bytes 0-1",
        "bytes=abc",
        "bytes=-",
        "bytes=1-2-3",
        "bytes=",
        "bytes=\u00b2-\u00b3",
        "bytes=" + "9" * 5000 + "-",
    ],
    ids=[
        "multi",
        "multi-suffix",
        "unit",
        "no-equals",
        "letters",
        "dash",
        "two-dashes",
        "empty",
        "superscript-digits",
        "huge",
    ],
)
def test_malformed_or_multi_range_sends_whole_file(tmp_path: Path, range_header: str) -> None:
    path = write(tmp_path, "digits.bin")

    result = call(FileResponse(path), headers={"range": range_header})

    assert result.status == 200
    assert result.headers["content-length"] == "10"
    assert "content-range" not in result.headers
    assert result.body == DIGITS


def test_range_ignored_for_non_200_status(tmp_path: Path) -> None:
    path = write(tmp_path, "404.html", b"<h1>gone</h1>")

    result = call(FileResponse(path, status_code=404), headers={"range": "bytes=0-1"})

    assert result.status == 404
    assert result.body == b"<h1>gone</h1>"


def test_head_has_headers_but_no_body(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "digits.txt")
    get = call(FileResponse(path))
    opened = track_open(monkeypatch)

    head = call(FileResponse(path), method="HEAD")
    head_range = call(FileResponse(path), method="HEAD", headers={"range": "bytes=0-3"})

    assert head.status == 200
    assert head.raw_headers == get.raw_headers
    assert head.body_messages == [{"type": "http.response.body", "body": b""}]
    assert head_range.status == 206
    assert head_range.headers["content-length"] == "4"
    assert head_range.body == b""
    assert opened == []


def test_large_file_arrives_in_chunks(tmp_path: Path) -> None:
    data = os.urandom(300 * 1024)
    path = write(tmp_path, "large.bin", data)

    result = call(FileResponse(path))

    sizes = [len(m["body"]) for m in result.body_messages]
    assert sizes == [64 * 1024] * 4 + [300 * 1024 - 4 * 64 * 1024]
    assert [m["more_body"] for m in result.body_messages] == [True] * 4 + [False]
    assert result.headers["content-length"] == str(len(data))
    assert result.body == data


def test_send_raising_oserror_stops_quietly_and_closes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "large.bin", os.urandom(300 * 1024))
    opened = track_open(monkeypatch)
    ran: list[str] = []

    def gone_after_first_chunk(result: Result) -> Send:
        async def send(message: Message) -> None:
            if result.body_messages:
                raise OSError("client disconnected")
            result.messages.append(message)

        return send

    response = FileResponse(path, background=BackgroundTask(ran.append, "background"))
    result = call(response, send=gone_after_first_chunk)

    assert len(result.body_messages) == 1
    assert len(opened) == 1
    assert opened[0].closed
    assert ran == []


def test_client_disconnect_stops_sending_and_closes_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(300 * 1024)
    path = write(tmp_path, "large.bin", data)
    opened = track_open(monkeypatch)
    ran: list[str] = []
    messages: list[Message] = []

    async def scenario() -> None:
        disconnect = asyncio.Event()

        async def send(message: Message) -> None:
            messages.append(message)
            if message["type"] == "http.response.body":
                disconnect.set()

        response = FileResponse(path, background=BackgroundTask(ran.append, "background"))
        await response(make_scope(), make_receive(disconnect), send)

    asyncio.run(scenario())

    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert 1 <= len(bodies) < 5
    assert all(m["more_body"] for m in bodies)
    assert opened[0].closed
    assert ran == []


def test_missing_file_raises_runtime_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"

    with pytest.raises(RuntimeError, match=r"File at path .*nope\.txt does not exist\."):
        call(FileResponse(path))


def test_directory_raises_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not a regular file"):
        call(FileResponse(tmp_path))


def test_file_shrinking_while_sent_raises_and_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "digits.bin")
    stale = path.stat()
    path.write_bytes(b"01234")
    opened = track_open(monkeypatch)

    with pytest.raises(RuntimeError, match="shrank"):
        call(FileResponse(path, stat_result=stale))
    assert opened[0].closed


def test_background_task_runs_after_body(tmp_path: Path) -> None:
    path = write(tmp_path, "large.bin", os.urandom(200 * 1024))
    result = Result()
    seen_at_run: list[list[Message]] = []

    async def record() -> None:
        seen_at_run.append(list(result.body_messages))

    async def send(message: Message) -> None:
        result.messages.append(message)

    response = FileResponse(path, background=BackgroundTask(record))
    asyncio.run(response(make_scope(), make_receive(), send))

    assert len(seen_at_run) == 1
    assert len(seen_at_run[0]) == 4
    assert seen_at_run[0][-1]["more_body"] is False
