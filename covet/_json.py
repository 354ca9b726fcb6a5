"""JSON encoding backend selector: orjson when installed, the standard library otherwise.

Both produce compact UTF-8 (no spaces, non-ASCII kept as is). Values the standard library
cannot encode natively (dataclasses, datetimes, UUIDs, Decimals, enums, sets) go through
:func:`default`, which mirrors orjson's native output for them.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Callable
from typing import Any


def default(value: Any) -> Any:
    """Convert a value JSON does not know into one it does (``TypeError`` otherwise)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_stdlib_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=default
)


def _dumps_stdlib(value: Any) -> bytes:
    return _stdlib_encoder.encode(value).encode("utf-8")


def _select() -> tuple[str, Callable[[Any], bytes]]:
    try:
        import orjson
    except ImportError:
        return "json", _dumps_stdlib

    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS

    def dumps_orjson(value: Any) -> bytes:
        try:
            return orjson.dumps(value, default=default, option=options)
        except TypeError:
            # orjson refuses what the standard library accepts (ints over 64 bits,
            # non-str keys, str/int subclasses); fall back so behaviour never differs.
            return _dumps_stdlib(value)

    return "orjson", dumps_orjson


BACKEND, dumps = _select()
"""The active backend's name and its ``dumps(value) -> bytes``."""
