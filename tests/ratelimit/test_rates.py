"""Rates written as text: the accepted shapes, and the refusals that name the value."""

from __future__ import annotations

import re

import pytest

from covet.exceptions import ConfigurationError
from covet.ratelimit import Rate, parse_rates


@pytest.mark.parametrize(
    ("text", "limit", "period"),
    [
        ("5/minute", 5, 60),
        ("100/hour", 100, 3600),
        ("10/second", 10, 1),
        ("1000/day", 1000, 86400),
        ("10/30s", 10, 30),
        ("5 per minute", 5, 60),
        ("  7 / 2 hours ", 7, 7200),
        ("3/MIN", 3, 60),
        ("3 PER 90 Seconds", 3, 90),
        ("1/d", 1, 86400),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_accepted_shapes(text: str, limit: int, period: int) -> None:
    (rate,) = parse_rates(text)
    assert (rate.limit, rate.period) == (limit, period)
    assert rate.name == f"{limit}-per-{period}s"


def test_several_rates_and_their_names() -> None:
    assert parse_rates("10/second;100/minute") == (
        Rate(10, 1, "10-per-1s"),
        Rate(100, 60, "100-per-60s"),
    )
    assert parse_rates(["10/second", "100/minute"], name="api") == (
        Rate(10, 1, "api-10-per-1s"),
        Rate(100, 60, "api-100-per-60s"),
    )
    assert parse_rates("5/minute", name="login") == (Rate(5, 60, "login"),)


@pytest.mark.parametrize(
    ("rate", "text"),
    [("5/minute", "5 per minute"), ("10/30s", "10 per 30 seconds"), ("2/7200s", "2 per 2 hours")],
)
def test_a_rate_reads_as_text(rate: str, text: str) -> None:
    assert str(parse_rates(rate)[0]) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5",
        "5/",
        "/minute",
        "five/minute",
        "5/fortnight",
        "0/minute",
        "5/0s",
        "-5/minute",
        "5.5/minute",
        "5/minute;",
        "5//minute",
        "1234567890/second",
        "5 perminute",
    ],
)
def test_refused_shapes_name_the_value_and_the_grammar(text: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_rates(text)
    message = str(raised.value)
    assert repr(text) in message or "not understood" in message
    assert '"5/minute", "100/hour"' in message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "Rate limit 5 is not understood"),
        ([], "Rate limit [] is not understood"),
        (["5/minute", 3], "Rate limit 3 is not understood"),
        ("5/minute;5/minute", "repeat a policy name"),
        ("2000000/second", "finer than one request per microsecond"),
    ],
)
def test_other_refusals(value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        parse_rates(value)  # type: ignore[arg-type]


def test_a_hostile_rate_text_is_refused_quickly() -> None:
    with pytest.raises(ConfigurationError):
        parse_rates("9" * 100_000 + "/minute")
