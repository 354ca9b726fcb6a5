"""Form parsing through Request.form(): urlencoded and multipart bodies, limits, cleanup."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import pytest

import covet.forms
from covet import CovetPy, Form
from covet.exceptions import HTTPException
from covet.forms import FormData, UploadFile
from covet.limits import Limits
from covet.requests import Request
from covet.testing import TestClient

BOUNDARY = "covet-boundary-7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"


def make_request(
    body: bytes,
    content_type: str | None,
    *,
    limits: Limits | None = None,
    chunk_size: int | None = None,
) -> Request:
    """Build a POST request whose body arrives in chunks of ``chunk_size`` bytes."""
    size = chunk_size or max(len(body), 1)
    chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    headers = [] if content_type is None else [(b"content-type", content_type.encode("latin-1"))]
    scope = {"type": "http", "method": "POST", "headers": headers, "path": "/", "query_string": b""}
    return Request(scope, receive, limits=limits)


def run(coro_fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(coro_fn())


def read_fields(body: bytes, content_type: str | None, **options: Any) -> list[tuple[str, Any]]:
    """Parse a form that has no files and return its items."""

    async def scenario() -> list[tuple[str, Any]]:
        request = make_request(body, content_type, **options)
        form = await request.form()
        await request.close()
        return form.multi_items()

    result: list[tuple[str, Any]] = run(scenario)
    return result


def form_error(body: bytes, content_type: str | None, **options: Any) -> HTTPException:
    """Parse a form that must fail and return the HTTP error."""

    async def scenario() -> None:
        await make_request(body, content_type, **options).form()

    with pytest.raises(HTTPException) as info:
        run(scenario)
    return info.value


def part(
    name: str,
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    disposition: str | None = None,
) -> bytes:
    """One multipart section (without the boundary line)."""
    if disposition is None:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
    lines = [f"Content-Disposition: {disposition}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    head = "\r\n".join(lines).encode("utf-8")
    return head + b"\r\n\r\n" + data


def multipart(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    """A complete multipart body with its closing boundary."""
    delimiter = f"--{boundary}".encode()
    body = b"".join(delimiter + b"\r\n" + section + b"\r\n" for section in parts)
    return body + delimiter + b"--\r\n"


# --- urlencoded -------------------------------------------------------------------------


def test_urlencoded_keeps_every_value_of_a_repeated_field() -> None:
    async def scenario() -> FormData:
        return await make_request(b"a=1&b=2&a=3", URLENCODED).form()

    form = run(scenario)

    assert form.getlist("a") == ["1", "3"]
    assert form["a"] == "3"
    assert form["b"] == "2"


def test_urlencoded_decodes_plus_and_percent_escapes() -> None:
    body = b"q=hello+world&euro=%E2%82%AC&sym=a%2Bb%26c&empty="

    items = read_fields(body, f"{URLENCODED}; charset=UTF-8")

    assert items == [("q", "hello world"), ("euro", "\u20ac"), ("sym", "a+b&c"), ("empty", "")]


def test_urlencoded_accepts_raw_utf8_bytes_as_sent_by_curl() -> None:
    items = read_fields("name=Jos\u00e9&city=K\u00f6ln+Nord".encode(), URLENCODED)

    assert items == [("name", "Jos\u00e9"), ("city", "K\u00f6ln Nord")]


@pytest.mark.parametrize(
    "body", [b"a=%FF", b"a=\xff\xfe", b"%C3=1"], ids=["escaped", "raw", "name"]
)
def test_urlencoded_invalid_utf8_is_400(body: bytes) -> None:
    error = form_error(body, URLENCODED)

    assert error.status_code == 400
    assert "UTF-8" in error.detail


def test_urlencoded_too_many_fields_is_400() -> None:
    limits = Limits(max_form_fields=2)

    assert read_fields(b"a=1&b=2", URLENCODED, limits=limits) == [("a", "1"), ("b", "2")]
    error = form_error(b"a=1&b=2&c=3", URLENCODED, limits=limits)
    assert error.status_code == 400
    assert error.detail == "Too many form fields (limit is 2)."


def test_urlencoded_body_over_max_body_size_is_413() -> None:
    error = form_error(b"a=" + b"x" * 100, URLENCODED, limits=Limits(max_body_size=50))

    assert error.status_code == 413


def test_empty_urlencoded_body_is_an_empty_form() -> None:
    assert read_fields(b"", URLENCODED) == []


@pytest.mark.parametrize(
    "content_type",
    [None, "", "text/plain", "application/json", "multipart/mixed; boundary=x"],
    ids=["absent", "empty", "text", "json", "multipart-mixed"],
)
def test_non_form_content_type_is_415(content_type: str | None) -> None:
    error = form_error(b"a=1", content_type)

    assert error.status_code == 415
    assert "multipart/form-data" in error.detail


# --- multipart: fields and files -----------------------------------------------------------


def test_multipart_text_fields_and_small_file_in_memory() -> None:
    body = multipart(
        part("title", b"Holiday"),
        part("tag", b"sea"),
        part("tag", "s\u00fcd".encode()),
        part("photo", b"\x89PNG\r\n\x00data", filename="beach.png", content_type="image/png"),
    )

    async def scenario() -> None:
        request = make_request(body, MULTIPART)
        form = await request.form()
        assert form["title"] == "Holiday"
        assert form.getlist("tag") == ["sea", "s\u00fcd"]
        photo = form["photo"]
        assert isinstance(photo, UploadFile)
        assert photo.filename == "beach.png"
        assert photo.content_type == "image/png"
        assert photo.headers["content-type"] == "image/png"
        assert photo.size == len(b"\x89PNG\r\n\x00data")
        assert photo.in_memory
        assert await photo.read() == b"\x89PNG\r\n\x00data"
        assert repr(photo) == (
            "UploadFile(filename='beach.png', size=11, content_type='image/png')"
        )
        await request.close()
        assert photo.file.closed

    run(scenario)


def test_file_without_content_type_defaults_to_octet_stream() -> None:
    body = multipart(part("doc", b"abc", filename="notes"))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART).form()
        doc = form["doc"]
        assert isinstance(doc, UploadFile)
        assert doc.content_type == "application/octet-stream"
        await form.close()

    run(scenario)


def test_empty_filename_is_still_a_file() -> None:
    body = multipart(part("avatar", b"", filename=""), part("note", b""))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART).form()
        avatar = form["avatar"]
        assert isinstance(avatar, UploadFile)
        assert avatar.filename == ""
        assert avatar.size == 0
        assert form["note"] == ""
        await form.close()

    run(scenario)


def test_large_file_rolls_to_disk_and_is_written_in_the_thread_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = covet.forms.run_in_threadpool

    async def counting(func: Callable[..., Any], *args: Any) -> Any:
        # Record the names of the callables involved (partials are unwrapped).
        calls.extend(getattr(getattr(f, "func", f), "__name__", "") for f in (func, *args))
        return await real(func, *args)

    monkeypatch.setattr(covet.forms, "run_in_threadpool", counting)
    data = bytes(range(256)) * 64  # 16 KiB
    body = multipart(part("blob", data, filename="blob.bin"))

    async def scenario() -> None:
        request = make_request(body, MULTIPART, limits=Limits(spool_max_size=1024), chunk_size=4096)
        form = await request.form()
        blob = form["blob"]
        assert isinstance(blob, UploadFile)
        assert not blob.in_memory
        assert blob.size == len(data)
        assert await blob.read() == data
        await request.close()
        assert blob.file.closed

    run(scenario)
    assert "write" in calls
    assert calls.count("write") <= len(body) // 4096 + 1  # one batched write per chunk at most
    assert "close" in calls


def test_small_file_never_touches_the_thread_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any) -> Any:
        raise AssertionError("an in-memory upload must not use the thread pool")

    monkeypatch.setattr(covet.forms, "run_in_threadpool", forbidden)
    body = multipart(part("f", b"tiny", filename="t.txt"))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART, chunk_size=5).form()
        upload = form["f"]
        assert isinstance(upload, UploadFile)
        assert await upload.read() == b"tiny"
        await form.close()

    run(scenario)


def test_path_traversal_filename_is_kept_only_as_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "a" / "b"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "a"))
    body = multipart(part("f", b"root:x:0:0", filename="../../etc/passwd"))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART, limits=Limits(spool_max_size=2)).form()
        upload = form["f"]
        assert isinstance(upload, UploadFile)
        assert upload.filename == "../../etc/passwd"
        assert await upload.read() == b"root:x:0:0"
        await form.close()

    run(scenario)
    assert not (tmp_path / "etc").exists()
    assert list(tmp_path.rglob("passwd")) == []


def _parse_items(body: bytes, chunk_size: int | None) -> list[tuple[str, Any]]:
    async def scenario() -> list[tuple[str, Any]]:
        form = await make_request(
            body, MULTIPART, chunk_size=chunk_size, limits=Limits(spool_max_size=64)
        ).form()
        items: list[tuple[str, Any]] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                items.append((name, (value.filename, value.content_type, await value.read())))
            else:
                items.append((name, value))
        await form.close()
        return items

    result: list[tuple[str, Any]] = run(scenario)
    return result


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 39, 1000], ids=lambda size: f"{size}B")
def test_body_split_into_small_chunks_parses_identically(chunk_size: int) -> None:
    boundary_like = f"\r\n--{BOUNDARY[:-1]}X".encode()  # a near-boundary inside the data
    body = multipart(
        part("first", b"one"),
        part("data", b"A" * 100 + boundary_like + b"B" * 100, filename="d.bin"),
        part("last", "\u00e9t\u00e9\r\n--".encode()),
        part("empty", b"", filename="e.txt", content_type="text/plain"),
    )

    expected = _parse_items(body, None)

    assert expected == [
        ("first", "one"),
        ("data", ("d.bin", "application/octet-stream", b"A" * 100 + boundary_like + b"B" * 100)),
        ("last", "\u00e9t\u00e9\r\n--"),
        ("empty", ("e.txt", "text/plain", b"")),
    ]
    assert _parse_items(body, chunk_size) == expected


def test_quoted_names_and_filenames_are_parsed_safely() -> None:
    disposition = 'form-data; name="a;b=c"; filename="x\\"y; z.txt"'
    body = multipart(part("", b"v", disposition=disposition))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART).form()
        upload = form["a;b=c"]
        assert isinstance(upload, UploadFile)
        assert upload.filename == 'x"y; z.txt'
        await form.close()

    run(scenario)


def test_rfc5987_filename_star_wins_over_plain_filename() -> None:
    disposition = (
        'form-data; name="doc"; filename="rates.txt"; filename*=UTF-8\'\'%E2%82%AC%20rates.txt'
    )
    body = multipart(part("", b"1.08", disposition=disposition))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART).form()
        upload = form["doc"]
        assert isinstance(upload, UploadFile)
        assert upload.filename == "\u20ac rates.txt"
        await form.close()

    run(scenario)


def test_raw_utf8_field_name_and_filename() -> None:
    body = multipart(part("pr\u00e9nom", b"x", filename="r\u00e9sum\u00e9.pdf"))

    async def scenario() -> None:
        form = await make_request(body, MULTIPART).form()
        upload = form["pr\u00e9nom"]
        assert isinstance(upload, UploadFile)
        assert upload.filename == "r\u00e9sum\u00e9.pdf"
        await form.close()

    run(scenario)


@pytest.mark.parametrize(
    ("content_type", "raw", "expected"),
    [
        ("text/plain; charset=iso-8859-1", b"caf\xe9", "caf\u00e9"),
        ('text/plain; charset="UTF-8"', "caf\u00e9".encode(), "caf\u00e9"),
        ("text/plain; charset=no-such-codec", "caf\u00e9".encode(), "caf\u00e9"),
        ("text/plain; charset=zlib", "caf\u00e9".encode(), "caf\u00e9"),
        ("text/plain", "caf\u00e9".encode(), "caf\u00e9"),
    ],
    ids=["latin-1", "utf-8", "unknown-codec", "binary-codec", "no-charset"],
)
def test_field_charset_is_honoured_when_known(content_type: str, raw: bytes, expected: str) -> None:
    body = multipart(part("word", raw, content_type=content_type))

    assert read_fields(body, MULTIPART) == [("word", expected)]


def test_field_with_invalid_utf8_is_400() -> None:
    error = form_error(multipart(part("word", b"caf\xe9")), MULTIPART)

    assert error.status_code == 400
    assert "'word'" in error.detail


def test_epilogue_after_closing_boundary_is_ignored() -> None:
    body = multipart(part("a", b"1")) + b"trailing epilogue"

    assert read_fields(body, MULTIPART) == [("a", "1")]


def test_quoted_boundary_in_content_type() -> None:
    body = multipart(part("a", b"1"), boundary="weird boundary:=?")

    assert read_fields(body, 'multipart/form-data; boundary="weird boundary:=?"') == [("a", "1")]


# --- multipart: limits and malformed bodies --------------------------------------------------

_ONE_FIELD = part("f", b"v")
_ONE_FILE = part("u", b"data", filename="u.txt")


@pytest.mark.parametrize(
    ("limits", "body", "status", "message"),
    [
        (Limits(max_form_fields=2), multipart(_ONE_FIELD, _ONE_FIELD, _ONE_FIELD), 400, "fields"),
        (Limits(max_form_files=1), multipart(_ONE_FILE, _ONE_FILE), 400, "files"),
        (Limits(max_part_size=10), multipart(part("big", b"x" * 11)), 413, "'big'"),
        (
            Limits(max_part_header_size=100),
            multipart(part("", b"v", disposition=f'form-data; name="{"n" * 100}"')),
            400,
            "headers",
        ),
        (
            Limits(max_part_header_size=120),
            multipart(
                part("h", b"v", content_type="text/plain; x=" + "y" * 50).replace(
                    b"\r\n\r\n", b"\r\nX-One: " + b"1" * 40 + b"\r\n\r\n"
                )
            ),
            400,
            "headers",
        ),
        (Limits(max_body_size=100), multipart(part("f", b"x" * 200, filename="f")), 413, "body"),
    ],
    ids=[
        "too-many-fields",
        "too-many-files",
        "field-too-large",
        "header-line-too-large",
        "header-block-too-large",
        "body-too-large",
    ],
)
def test_multipart_limit_violations(limits: Limits, body: bytes, status: int, message: str) -> None:
    for chunk_size in (None, 3):
        error = form_error(body, MULTIPART, limits=limits, chunk_size=chunk_size)

        assert error.status_code == status
        assert message in error.detail


def test_limits_at_the_boundary_are_accepted() -> None:
    limits = Limits(max_form_fields=2, max_form_files=1, max_part_size=5)
    body = multipart(part("a", b"12345"), part("b", b""), part("f", b"x" * 50, filename="f"))

    items = read_fields(body, MULTIPART, limits=limits)

    assert [name for name, _ in items] == ["a", "b", "f"]
    assert items[0] == ("a", "12345")


def test_files_are_not_bound_by_max_part_size() -> None:
    body = multipart(part("f", b"x" * 100, filename="f.bin"))

    items = read_fields(body, MULTIPART, limits=Limits(max_part_size=10))

    assert items[0][1].size == 100


@pytest.mark.parametrize(
    "body",
    [
        multipart(part("a", b"1"))[:-4],
        multipart(part("a", b"1"))[:-20],
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n'.encode(),
        b"",
    ],
    ids=["no-closing-dashes", "mid-data", "mid-headers", "empty"],
)
def test_truncated_multipart_body_is_400(body: bytes) -> None:
    for chunk_size in (None, 1):
        error = form_error(body, MULTIPART, chunk_size=chunk_size)

        assert error.status_code == 400
        assert "closing boundary" in error.detail


def test_truncated_body_closes_the_partial_upload(monkeypatch: pytest.MonkeyPatch) -> None:
    created = _record_uploads(monkeypatch)
    body = multipart(part("f", b"z" * 500, filename="f.bin"))[:-30]

    error = form_error(body, MULTIPART, limits=Limits(spool_max_size=16), chunk_size=64)

    assert error.status_code == 400
    assert len(created) == 1
    assert created[0].file.closed


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        'multipart/form-data; boundary=""',
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=" + "b" * 300,
        "multipart/form-data; boundary=bad\x01char",
        "multipart/form-data; boundary=caf\u00e9",
        'multipart/form-data; boundary="unterminated',
        "multipart/form-data; boundary=a; boundary=b",
    ],
    ids=[
        "missing",
        "empty",
        "empty-quoted",
        "other-param",
        "too-long",
        "control-char",
        "non-ascii",
        "unterminated-quote",
        "repeated",
    ],
)
def test_missing_or_invalid_boundary_is_400(content_type: str) -> None:
    error = form_error(multipart(part("a", b"1")), content_type)

    assert error.status_code == 400
    assert "boundary" in error.detail or "Content-Type" in error.detail


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"garbage before\r\n" + multipart(part("a", b"1")), "Malformed"),
        (multipart(part("a", b"1"), boundary="other-boundary"), "Malformed"),
        (multipart(b"Content-Type: text/plain\r\n\r\nv"), "Content-Disposition"),
        (multipart(part("", b"v", disposition='form-data; filename="x"')), "name"),
        (multipart(part("", b"v", disposition='form-data; name="a"; name="b"')), "repeated"),
        (
            multipart(b'Content-Disposition: form-data; name="a"\r\n' * 2 + b"\r\nv"),
            "exactly one",
        ),
        (multipart(b"Bad Header Name: x\r\n\r\nv"), "Malformed"),
        (multipart(b"".join(b"X-H%d: v\r\n" % i for i in range(20)) + b"\r\nv"), "Malformed"),
    ],
    ids=[
        "preamble",
        "wrong-boundary",
        "no-disposition",
        "no-name",
        "duplicate-name",
        "two-dispositions",
        "invalid-header",
        "too-many-headers",
    ],
)
def test_malformed_multipart_body_is_400(body: bytes, message: str) -> None:
    error = form_error(body, MULTIPART)

    assert error.status_code == 400
    assert message in error.detail


# --- cleanup ----------------------------------------------------------------------------------


def _record_uploads(monkeypatch: pytest.MonkeyPatch) -> list[UploadFile]:
    created: list[UploadFile] = []

    class RecordingUploadFile(UploadFile):
        __slots__ = ()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(covet.forms, "UploadFile", RecordingUploadFile)
    return created


def test_form_close_and_request_close_release_every_file() -> None:
    body = multipart(
        part("a", b"x" * 300, filename="a.bin"),
        part("b", b"small", filename="b.txt"),
        part("note", b"text"),
    )

    async def scenario() -> None:
        request = make_request(body, MULTIPART, limits=Limits(spool_max_size=100))
        form = await request.form()
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        assert [u.in_memory for u in uploads] == [False, True]
        await request.close()
        assert all(u.file.closed for u in uploads)
        await form.close()  # a second close is harmless

    run(scenario)


@pytest.mark.parametrize(
    ("limits", "tail"),
    [
        (Limits(max_form_files=2, spool_max_size=16), part("c", b"3", filename="c")),
        (Limits(max_part_size=4, spool_max_size=16), part("text", b"too long")),
        (Limits(max_body_size=600, spool_max_size=16), part("pad", b"p" * 400)),
    ],
    ids=["too-many-files", "field-too-large", "body-too-large"],
)
def test_every_upload_is_closed_when_parsing_fails(
    monkeypatch: pytest.MonkeyPatch, limits: Limits, tail: bytes
) -> None:
    created = _record_uploads(monkeypatch)
    body = multipart(
        part("a", b"a" * 100, filename="a.bin"), part("b", b"b" * 100, filename="b.bin"), tail
    )

    error = form_error(body, MULTIPART, limits=limits, chunk_size=32)

    assert error.status_code in (400, 413)
    assert len(created) == 2
    assert all(upload.file.closed for upload in created)


def test_cancelled_parse_closes_uploads(monkeypatch: pytest.MonkeyPatch) -> None:
    created = _record_uploads(monkeypatch)
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n'

    async def scenario() -> None:
        stalled = asyncio.Event()
        messages = [{"type": "http.request", "body": head.encode() + b"x" * 50, "more_body": True}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            stalled.set()
            await asyncio.Event().wait()  # the client never sends the rest
            raise AssertionError("unreachable")

        scope = {
            "type": "http",
            "method": "POST",
            "headers": [(b"content-type", MULTIPART.encode())],
            "path": "/",
            "query_string": b"",
        }
        request = Request(scope, receive, limits=Limits(spool_max_size=8))
        task = asyncio.ensure_future(request.form())
        await stalled.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario)
    assert len(created) == 1
    assert created[0].file.closed


def test_close_now_waits_for_a_write_still_running_in_the_thread_pool() -> None:
    upload = UploadFile("slow.bin", spool_max_size=1)
    real_write = upload.file.write
    started, release = threading.Event(), threading.Event()
    written: list[int] = []

    def slow_write(data: bytes) -> int:
        started.set()
        release.wait(5)
        count = real_write(data)
        written.append(count)
        return count

    upload.file.write = slow_write  # type: ignore[method-assign]

    async def scenario() -> None:
        task = asyncio.ensure_future(upload.write(b"abc"))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario)
    timer = threading.Timer(0.05, release.set)
    timer.start()
    upload.close_now()  # must wait for the write, then close what it rolled over to disk
    timer.join()
    assert written == [3]
    assert upload.file.closed


# --- UploadFile and the optional dependency --------------------------------------------------


def test_upload_file_async_io_across_the_rollover() -> None:
    async def scenario() -> None:
        upload = UploadFile("a.txt", content_type="text/plain", spool_max_size=8)
        await upload.write(b"hello")
        assert upload.in_memory
        await upload.write(b" world")
        assert not upload.in_memory
        assert upload.size == 11
        assert await upload.seek(0) == 0
        assert await upload.read(5) == b"hello"
        assert await upload.read() == b" world"
        await upload.close()
        await upload.close()
        assert upload.file.closed

    run(scenario)


def test_multipart_without_python_multipart_is_415_and_logs_the_extra(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "python_multipart", None)
    monkeypatch.setitem(sys.modules, "multipart", None)
    body = multipart(part("a", b"1"))

    async def scenario() -> None:
        await make_request(body, MULTIPART).form()

    with pytest.raises(HTTPException) as info:
        run(scenario)
    assert info.value.status_code == 415
    assert "pip install 'covetpy[multipart]'" not in str(info.value.detail)
    assert "pip install 'covetpy[multipart]'" in caplog.text
    assert read_fields(b"a=1", URLENCODED) == [("a", "1")]


def test_a_form_route_without_python_multipart_answers_multipart_with_415(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "python_multipart", None)
    monkeypatch.setitem(sys.modules, "multipart", None)
    app = CovetPy()

    @app.post("/login")
    async def login(username: Annotated[str, Form()]) -> dict[str, str]:
        return {"username": username}

    client = TestClient(app)
    assert client.post("/login", data={"username": "ann"}).json() == {"username": "ann"}
    refused = client.post("/login", files={"f": ("a.txt", b"1")}, data={"username": "ann"})
    assert refused.status_code == 415
