"""The JSON backend: orjson when installed, output matching the standard library."""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from covet import _json


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
    orjson = pytest.importorskip("orjson")
    assert orjson is not None
    assert _json.BACKEND == "orjson"
