"""parse_json: the standard library's results and error positions, with the limits on top."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from covet._parsers.json import parse_json
from covet.exceptions import BadRequestError

WELL_FORMED = [
    "{}",
    ' \n\t{"a": [1, 2.5, -3e-2, true, null]} \r\n',
    "[]",
    "0",
    '"text"',
    '  "padded"  ',
    '{"nested": {"list": [{"x": "y"}]}}',
]
MALFORMED = [
    "",
    "   ",
    "{",
    '{"a": 1} x',
    '{"a": 1}   {}',
    "[1,]",
    "[1 2]",
    '{"a" 1}',
    "tru",
    '"unterminated',
    "\n\n  [1,\n  oops]",
    "1 2",
]


@pytest.mark.parametrize("text", WELL_FORMED)
def test_well_formed_documents_decode_as_the_standard_library_does(text: str) -> None:
    assert parse_json(text.encode()) == json.loads(text)
    assert parse_json(text) == json.loads(text)


@pytest.mark.parametrize("text", MALFORMED)
def test_errors_name_the_standard_library_position(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as stdlib:
        json.loads(text)
    error = stdlib.value
    with pytest.raises(BadRequestError) as caught:
        parse_json(text.encode())
    expected = f"Invalid JSON: {error.msg} at line {error.lineno} column {error.colno}."
    assert caught.value.detail == expected


def test_random_documents_round_trip() -> None:
    rng = random.Random(3)

    def value(depth: int) -> Any:
        kind = rng.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return rng.randrange(-(10**20), 10**20)
        if kind == 1:
            return rng.uniform(-1e300, 1e300)
        if kind == 2:
            return rng.choice(["", "a", "ünï", "\\", '"', "\u2028"])
        if kind == 3:
            return rng.choice([True, False, None])
        if kind in (4, 5):
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {str(rng.random()): value(depth + 1) for _ in range(rng.randrange(4))}

    for _ in range(500):
        document = value(0)
        text = json.dumps(document, indent=rng.choice([None, 2]))
        assert parse_json(text.encode()) == document


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1e999]", "out of range"),
        ('{"a": -1e400}', "out of range"),
        ("[" + "9" * 101 + "]", "more than 100 digits"),
        ('["padding ' + "x" * 200 + '", ' + "1" * 101 + "]", "more than 100 digits"),
        ("[0." + "1" * 101 + "]", "more than 100 digits"),
    ],
)
def test_number_limits_hold_in_short_and_long_documents(text: str, message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        parse_json(text.encode(), max_number_digits=100)


def test_long_documents_with_short_numbers_and_digits_in_strings_are_fine() -> None:
    text = json.dumps({"digits": "1" * 500, "numbers": list(range(200)), "f": 1.5e300})
    assert parse_json(text.encode(), max_number_digits=100)["digits"] == "1" * 500


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"f": NaN}', "Invalid JSON: NaN is not allowed at line 1 column 7."),
        ("[1,\n  -Infinity]", "Invalid JSON: -Infinity is not allowed at line 2 column 3."),
        ('{"NaN": "Infinity", "x": Infinity}', "Infinity is not allowed at line 1 column 26."),
        (
            '{"a": "1e400",\n "b": [1, 1e400]}',
            "JSON number 1e400 is out of range at line 2 column 11.",
        ),
        ('["\\"", -1e999]', "JSON number -1e999 is out of range at line 1 column 8."),
        ('{"s": "' + "1" * 101 + '",\n"n": ' + "2" * 101 + "}", "digits at line 2 column 6."),
        ("[1.5, 0." + "1" * 101 + "]", "more than 100 digits at line 1 column 7."),
    ],
    ids=[
        "nan",
        "infinity-line-2",
        "constant-names-in-strings",
        "overflow",
        "escaped-quote",
        "long-int-after-long-string",
        "long-float",
    ],
)
def test_refused_numbers_and_constants_name_their_position(text: str, message: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_json(text.encode(), max_number_digits=100)
    assert caught.value.detail.endswith(message)
