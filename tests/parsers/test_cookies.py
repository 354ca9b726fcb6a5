"""The Cookie header parser: browser-lenient, linear, and never a spoofed cookie name."""

from __future__ import annotations

import time

import pytest

from covet._parsers.cookies import MAX_COOKIES, parse_cookie_header


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        (' a = "quoted" ', {"a": "quoted"}),
        ("a=1; a=2", {"a": "1"}),
        ("a=%41%20b", {"a": "A b"}),
        ("flag", {"": "flag"}),
        ("=__Host-sid=evil", {"": "__Host-sid=evil"}),
        ("\xa0__Host-sid=evil", {"\xa0__Host-sid": "evil"}),
        ("\x85__Host-sid=evil", {"\x85__Host-sid": "evil"}),
        (
            "\x1c__Host-sid=evil; \x0b__Secure-x=1",
            {"\x1c__Host-sid": "evil", "\x0b__Secure-x": "1"},
        ),
        ("\t a=1 \t", {"a": "1"}),
        ("a=\xa0v\xa0", {"a": "\xa0v\xa0"}),
    ],
    ids=[
        "two",
        "no-space",
        "quoted",
        "first-wins",
        "percent",
        "nameless",
        "nameless-prefix-spoof",
        "nbsp-prefix-spoof",
        "nel-prefix-spoof",
        "control-whitespace",
        "tabs-are-ows",
        "value-keeps-nbsp",
    ],
)
def test_parse(header: str, expected: dict[str, str]) -> None:
    assert parse_cookie_header(header) == expected


def test_a_spoofed_name_never_becomes_the_real_one() -> None:
    for space in ("\xa0", "\x85", "\x1c", "\x1d", "\x1e", "\x1f", "\x0b", "\x0c", "\u2000"):
        assert "__Host-sid" not in parse_cookie_header(f"{space}__Host-sid=evil")


def test_the_number_of_cookies_is_bounded() -> None:
    cookies = parse_cookie_header("; ".join(f"c{i}=v" for i in range(MAX_COOKIES * 5)))
    assert len(cookies) == MAX_COOKIES


@pytest.mark.parametrize("char", ["\\", '"', ";", "=", " ", "%"])
def test_pathological_headers_parse_in_linear_time(char: str) -> None:
    def best_of_three(length: int) -> float:
        timings = []
        for _ in range(3):  # the best of three: a busy machine's pauses are not the parser's
            start = time.perf_counter()
            parse_cookie_header("a=" + char * length)
            parse_cookie_header(char * length)
            timings.append(time.perf_counter() - start)
        return min(timings)

    small, large = best_of_three(20_000), best_of_three(200_000)
    assert large < small * 30  # ten times the input, about ten times the work
    assert large < 2.0  # a quadratic parser takes minutes here; 0.5 s failed on a busy machine
