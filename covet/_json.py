"""JSON encoding backend selector: orjson when installed, the standard library otherwise.

Both backends give byte-identical output: compact UTF-8, non-ASCII kept as is, floats as
Python's ``repr`` writes them, and non-finite floats (NaN, Infinity) as ``null``, which is
what orjson does and what JSON can express. Values the standard library cannot encode
natively (dataclasses, datetimes, UUIDs, Decimals, enums, sets) go through :func:`default`,
which mirrors orjson's native output for them; :func:`default` also dumps pydantic models and
msgspec Structs (as their libraries do) and UTF-8 ``bytes`` (as text) for both backends.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import re
import sys
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
        return iso_duration(value)
    if isinstance(value, bytes):
        return utf8_text(value)
    dumped = _library_dump(value)
    if dumped is _NOT_A_MODEL:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return dumped


def utf8_text(value: bytes) -> str:
    """Decode response ``bytes`` as UTF-8, as pydantic does; anything else is a server bug.

    Replacing undecodable bytes would silently corrupt the data, so they raise ``TypeError``
    (a 500) with a hint instead.
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TypeError(
            f"bytes value is not valid UTF-8 ({exc.reason} at byte {exc.start}) and cannot be"
            " sent as JSON text; decode it or base64-encode it in the handler"
        ) from None


_NOT_A_MODEL: Any = object()


def _library_dump(value: Any) -> Any:
    """A pydantic model or msgspec Struct as plain data, else ``_NOT_A_MODEL``.

    Neither library is imported for the check: a class of theirs exists only if the user
    imported the library, so ``sys.modules`` tells.
    """
    model = getattr(sys.modules.get("pydantic"), "BaseModel", None)
    if model is not None and isinstance(value, model):
        return value.model_dump(mode="json")
    struct = getattr(sys.modules.get("msgspec"), "Struct", None)
    if struct is not None and isinstance(value, struct):
        return sys.modules["msgspec"].to_builtins(value)
    return _NOT_A_MODEL


def iso_duration(value: datetime.timedelta) -> str:
    """Format a timedelta as an ISO 8601 duration, as pydantic does (``P1DT1H30M``, ``PT0S``)."""
    sign = "-" if value < datetime.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    date_part = f"{value.days}D" if value.days else ""
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or value.microseconds:
        fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        time_part += f"{seconds}{fraction}S"
    if not date_part and not time_part:
        time_part = "0S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


_stdlib_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=default
)


def _finite(value: Any) -> Any:
    """A copy of ``value`` with every non-finite float replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_finite(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _finite(default(value))
    dumped = _library_dump(value)  # their floats are Python floats too
    return value if dumped is _NOT_A_MODEL else _finite(dumped)


def _one_shot_encoder() -> Callable[[Any], str]:
    """``_stdlib_encoder.encode`` without rebuilding the C encoder on every call."""
    make = getattr(json.encoder, "c_make_encoder", None)  # the C accelerator, not in stubs
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return _stdlib_encoder.encode
    # No circular-reference markers: a marker dict would have to be new per call (the C
    # encoder leaves entries behind when it fails); a cycle ends in RecursionError instead.
    chunks = make(
        None, default, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


_encode = _one_shot_encoder()


def _dumps_stdlib(value: Any) -> bytes:
    try:
        return _encode(value).encode("utf-8")
    except ValueError as exc:
        if "Out of range float" not in str(exc):
            raise
        # Rare: NaN or Infinity somewhere. Encode them as null, as orjson does.
        return _stdlib_encoder.encode(_finite(value)).encode("utf-8")


# Where orjson's float formatting can differ from Python's repr: exponents ("1e-7" against
# "1e-07"), small numbers orjson writes in full ("0.00001" against "1e-05") and 17+ digit
# mantissas. Output containing none of these is identical (checked on a million random
# floats in tests/responses/test_json.py); output containing one, even inside a string,
# is re-encoded by the standard library, so identity holds by construction.
_MAY_DIFFER = re.compile(rb"[0-9][eE]|0\.0000|[0-9]{17}").search


def _select() -> tuple[str, Callable[[Any], bytes]]:
    try:
        import orjson
    except ImportError:
        return "json", _dumps_stdlib

    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS

    def dumps_orjson(value: Any) -> bytes:
        try:
            encoded: bytes = orjson.dumps(value, default=default, option=options)
        except TypeError:
            # orjson refuses what the standard library accepts (ints over 64 bits,
            # non-str keys, str/int subclasses); fall back so behaviour never differs.
            return _dumps_stdlib(value)
        if _MAY_DIFFER(encoded) is not None:
            return _dumps_stdlib(value)
        return encoded

    return "orjson", dumps_orjson


BACKEND, dumps = _select()
"""The active backend's name and its ``dumps(value) -> bytes``."""
