"""The JSON backend: orjson when installed, output matching the standard library."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import random
import struct
import uuid
from decimal import Decimal
from typing import Any

import pytest

from covet import _json
from tests.support.optional import require


@dataclasses.dataclass
class Item:
    name: str
    tags: list[str]


CASES: list[Any] = [
    {"message": "Hello, World!"},
    {"unicode": "héllo ✓ 日本語", "emoji": "🎉", "escapes": 'quote " back \\ nl \n'},
    [1, -2, 3.5, 0.1, 1e10, True, False, None],
    {"nested": {"deep": [{"a": [1, {"b": None}]}]}},
    2**70,
    {"when": datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)},
    {"date": datetime.date(2026, 1, 1), "uuid": uuid.UUID(int=5), "price": Decimal("1.10")},
    Item("pen", ["office"]),
    {"control": "\x00\x1f\x7f"},
]


@pytest.fixture
def orjson_backend() -> None:
    """The byte-identity tests compare orjson with the standard library: without orjson
    they would compare the standard library with itself and prove nothing."""
    require("orjson")
    assert _json.BACKEND == "orjson"


@pytest.mark.usefixtures("orjson_backend")
@pytest.mark.parametrize("value", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_active_backend_matches_stdlib_encoder(value: Any) -> None:
    assert _json.dumps(value) == _json._dumps_stdlib(value)


def test_output_is_compact_utf8_and_valid_json() -> None:
    encoded = _json.dumps({"a": [1, 2], "b": "é"})
    assert encoded == '{"a":[1,2],"b":"é"}'.encode()
    assert json.loads(encoded) == {"a": [1, 2], "b": "é"}


def test_unencodable_values_raise_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        _json.dumps({"x": object()})


def test_backend_is_orjson_when_installed() -> None:
    orjson = require("orjson")
    assert orjson is not None
    assert _json.BACKEND == "orjson"


def random_float(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.3:
        return float(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
    if roll < 0.7:
        return rng.uniform(-1, 1) * 10 ** rng.randint(-12, 25)
    return round(rng.uniform(-1e4, 1e4), rng.randint(0, 8))


@pytest.mark.usefixtures("orjson_backend")
@pytest.mark.parametrize("seed", range(5))
def test_floats_are_byte_identical_across_backends(seed: int) -> None:
    rng = random.Random(seed)
    values = [random_float(rng) for _ in range(20_000)]
    document = {"values": values, "text": "1e5 and 0.00001 inside a string"}
    assert _json.dumps(document) == _json._dumps_stdlib(document)
    for value in values[:2_000]:
        assert _json.dumps(value) == _json._dumps_stdlib(value)


# Short mantissas with small or large exponents: orjson writes 3.2e-05 as 0.000032 and
# 1e-07 as 1e-7, where Python writes 3.2e-05 and 1e-07.
EXPONENTS = [
    float(f"{mantissa}e{exponent}")
    for mantissa in ("1", "3.2", "5", "9.75", "1.25")
    for exponent in (*range(-12, -3), *range(15, 23), -308, 300)
]


@pytest.mark.usefixtures("orjson_backend")
@pytest.mark.parametrize("value", [3.2e-05, 1e-05, 1e-07, 5e-324, 1e16, 1.5e300])
def test_small_and_large_exponents_are_byte_identical(value: float) -> None:
    assert _json.dumps(value) == _json._dumps_stdlib(value) == repr(value).encode()
    assert _json.dumps({"v": [value]}) == _json._dumps_stdlib({"v": [value]})


@pytest.mark.usefixtures("orjson_backend")
def test_every_short_mantissa_exponent_is_byte_identical() -> None:
    for value in EXPONENTS:
        assert _json.dumps(value) == _json._dumps_stdlib(value), value
        assert _json.dumps([value, -value]) == _json._dumps_stdlib([value, -value]), value


def test_non_finite_floats_become_null_in_both_backends() -> None:
    @dataclasses.dataclass
    class Reading:
        value: float

    document = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": Reading(math.nan)}
    expected = b'{"a":null,"b":[null,null,1.5],"c":{"value":null}}'
    assert _json.dumps(document) == expected
    assert _json._dumps_stdlib(document) == expected


def test_typical_payloads_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    require("orjson")

    def refuse(value: Any) -> bytes:
        raise AssertionError("fell back to the standard library")

    monkeypatch.setattr(_json, "_dumps_stdlib", refuse)
    payload = {"id": 12345, "price": 19.99, "name": "Widget", "ratio": 0.25, "tags": ["a"]}
    assert (
        _json.dumps(payload)
        == b'{"id":12345,"price":19.99,"name":"Widget","ratio":0.25,"tags":["a"]}'
    )


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (datetime.timedelta(0), b'"PT0S"'),
        (datetime.timedelta(days=1, hours=1, minutes=30), b'"P1DT1H30M"'),
        (datetime.timedelta(seconds=1.5), b'"PT1.5S"'),
        (-datetime.timedelta(hours=2), b'"-PT2H"'),
    ],
    ids=["zero", "days-hours-minutes", "fraction", "negative"],
)
def test_timedelta_is_an_iso_8601_duration(delta: datetime.timedelta, expected: bytes) -> None:
    assert _json.dumps(delta) == expected
    assert _json._dumps_stdlib(delta) == expected


@pytest.mark.parametrize("value", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_reused_c_encoder_matches_a_fresh_stdlib_encoder(value: Any) -> None:
    fresh = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json.default
    )
    assert _json._dumps_stdlib(value) == fresh.encode(value).encode()


def test_encoder_is_reusable_after_a_failure() -> None:
    shared = [1]
    with pytest.raises(TypeError):
        _json._dumps_stdlib({"a": shared, "b": object()})
    assert _json._dumps_stdlib({"a": shared, "again": shared}) == b'{"a":[1],"again":[1]}'


def test_a_cycle_is_an_error_not_a_hang() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(RecursionError):
        _json._dumps_stdlib(cycle)


def test_pydantic_models_and_msgspec_structs_encode_identically_in_both_backends() -> None:
    pydantic = require("pydantic")
    msgspec = require("msgspec")

    class Pet(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        name: str
        born: datetime.date

    class Toy(msgspec.Struct):  # type: ignore[misc,name-defined]
        name: str
        price: Decimal

    value = {
        "pet": Pet(name="rex", born=datetime.date(2020, 1, 2)),
        "toys": [Toy(name="ball", price=Decimal("1.50"))],
        "item": Item("box", ["a"]),
    }
    expected = (
        b'{"pet":{"name":"rex","born":"2020-01-02"},'
        b'"toys":[{"name":"ball","price":"1.50"}],"item":{"name":"box","tags":["a"]}}'
    )
    assert _json.dumps(value) == expected
    assert _json._dumps_stdlib(value) == expected


def test_bytes_encode_as_utf8_text_in_both_backends() -> None:
    assert _json.dumps({"b": b"caf\xc3\xa9"}) == '{"b":"café"}'.encode()
    assert _json._dumps_stdlib({"b": b"caf\xc3\xa9"}) == '{"b":"café"}'.encode()
    for dumps in (_json.dumps, _json._dumps_stdlib):
        with pytest.raises(TypeError, match="not valid UTF-8"):
            dumps([b"\xffab"])


def test_non_finite_floats_inside_library_models_become_null_in_both_backends() -> None:
    pydantic = require("pydantic")
    msgspec = require("msgspec")

    class Point(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        x: float

    class Reading(msgspec.Struct):  # type: ignore[misc,name-defined]
        value: float

    value = [Point(x=math.nan), Reading(value=-math.inf)]
    assert _json.dumps(value) == b'[{"x":null},{"value":null}]'
    assert _json._dumps_stdlib(value) == b'[{"x":null},{"value":null}]'
