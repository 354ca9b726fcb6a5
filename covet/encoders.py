"""``jsonable_encoder``: turn any value into data ``json.dumps`` accepts, as FastAPI's does.

For porting code that calls ``fastapi.encoders.jsonable_encoder`` (to store a model as JSON, to
build a ``JSONResponse`` by hand, to merge a partial update into a stored item). The result
follows FastAPI's function, which differs from covet's response serialisation in two places:
a ``timedelta`` becomes its number of seconds (not an ISO 8601 duration) and a ``Decimal`` a
number (an ``int`` when it has no fractional digits), not a string.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import ipaddress
import re
import sys
import uuid
from collections import deque
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from pathlib import PurePath
from types import GeneratorType
from typing import Any

from covet.validation.models import is_msgspec_struct, is_pydantic_model

IncEx = Collection[int] | Collection[str] | Mapping[int, Any] | Mapping[str, Any]
"""Field names to include or exclude: a set, or pydantic's nested mapping."""

_SEQUENCES = (list, set, frozenset, tuple, deque, GeneratorType)
_AS_TEXT = (
    uuid.UUID,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    PurePath,
)


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: Mapping[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """Convert ``obj`` into dicts, lists, strings, numbers, booleans and ``None``.

    Args:
        obj: The value: a pydantic model, msgspec Struct, dataclass, mapping, sequence, Enum,
            date or time, UUID, Decimal, path... or an object whose ``vars()`` are.
        include: Keep only these fields (of a model) or keys (of a mapping).
        exclude: Drop these fields or keys.
        by_alias: Write pydantic fields under their aliases.
        exclude_unset: Drop pydantic fields that were never set.
        exclude_defaults: Drop pydantic fields equal to their default.
        exclude_none: Drop fields and keys whose value is ``None``.
        custom_encoder: ``{type: function}`` consulted first, by exact type, then by
            ``isinstance`` in order.
        sqlalchemy_safe: Drop mapping keys starting with ``_sa`` (SQLAlchemy's state).

    Raises:
        ValueError: ``obj`` is of a type with no JSON form and no ``vars()``.
    """
    encoders = dict(custom_encoder or {})
    nested: dict[str, Any] = {
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
        "custom_encoder": encoders,
        "sqlalchemy_safe": sqlalchemy_safe,
    }
    if encoders:
        custom = _custom(obj, encoders)
        if custom is not None:
            return custom(obj)
    if is_pydantic_model(type(obj)):
        dumped = obj.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )
        return jsonable_encoder(dumped, **{**nested, "exclude_unset": False})
    if is_msgspec_struct(type(obj)):
        obj = sys.modules["msgspec"].to_builtins(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = dataclasses.asdict(obj)
    if isinstance(obj, enum.Enum):
        return jsonable_encoder(obj.value, **nested)
    if obj is None or isinstance(obj, str | int | float):
        return obj
    if isinstance(obj, Mapping):
        return _mapping(obj, include, exclude, nested)
    if isinstance(obj, _SEQUENCES):
        return [jsonable_encoder(item, include, exclude, **nested) for item in obj]
    encoded = _scalar(obj)
    if encoded is not _NO_SCALAR:
        return encoded
    return jsonable_encoder(_fields_of(obj), include, exclude, **nested)


def _custom(obj: Any, encoders: Mapping[Any, Callable[[Any], Any]]) -> Callable[[Any], Any] | None:
    found = encoders.get(type(obj))
    if found is not None:
        return found
    for cls, encoder in encoders.items():
        if isinstance(cls, type) and isinstance(obj, cls):
            return encoder
    return None


def _mapping(
    obj: Mapping[Any, Any], include: IncEx | None, exclude: IncEx | None, nested: dict[str, Any]
) -> dict[Any, Any]:
    keys = set(obj)
    if include is not None:
        keys &= set(include)
    if exclude is not None:
        keys -= set(exclude)
    out: dict[Any, Any] = {}
    for key, value in obj.items():
        if key not in keys:
            continue
        if nested["sqlalchemy_safe"] and isinstance(key, str) and key.startswith("_sa"):
            continue
        if value is None and nested["exclude_none"]:
            continue
        out[jsonable_encoder(key, **nested)] = jsonable_encoder(value, **nested)
    return out


_NO_SCALAR: Any = object()


def _scalar(obj: Any) -> Any:
    if isinstance(obj, dt.date | dt.time):  # datetime is a date
        return obj.isoformat()
    if isinstance(obj, dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, Decimal):
        exponent = obj.as_tuple().exponent
        return int(obj) if isinstance(exponent, int) and exponent >= 0 else float(obj)
    if isinstance(obj, bytes):
        return obj.decode()
    if isinstance(obj, _AS_TEXT):
        return str(obj)
    if isinstance(obj, re.Pattern):
        return obj.pattern
    return _NO_SCALAR


def _fields_of(obj: Any) -> dict[Any, Any]:
    try:
        return dict(obj)
    except Exception as not_pairs:
        try:
            return dict(vars(obj))
        except TypeError as no_vars:
            raise ValueError(
                f"Cannot encode {type(obj).__name__} value {obj!r} as JSON: it is not a "
                f"mapping ({not_pairs}) and has no attributes ({no_vars})"
            ) from None


__all__ = ["IncEx", "jsonable_encoder"]
