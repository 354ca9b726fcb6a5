"""msgspec, when installed, as an accelerator for plain dataclass JSON bodies.

For a body parameter annotated with a plain dataclass (fields of ``str``, ``int``, ``float``,
``bool``, lists of those, optional or not), ``msgspec.json`` decodes and type-checks the body
in one C pass instead of covet's JSON scanner plus generated validator. It only ever answers
for documents the generic path accepts with the same value:

* the document is decoded into a mirror ``msgspec.Struct`` that forbids unknown fields, so no
  part of it goes unchecked (an unknown field could hide a number or nesting covet refuses);
* a body that could hold a number longer than the digit limit is left to the generic path,
  and so is a model nested deeper than the depth limit;
* the dataclass is then built as covet's validator builds it, ``cls(**fields)`` with the
  missing defaulted fields left out.

Anything msgspec refuses (a wrong type, a missing or unknown field, malformed JSON, invalid
UTF-8, a lone surrogate, an overflowing float) returns :data:`FALLBACK`, and the caller runs
the generic path, whose answer (400, 422 and its issues) is covet's own by construction.
``tests/routing/test_msgspec_body.py`` checks both paths against each other on many hostile
and random bodies.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from typing import Any

FALLBACK: Any = object()
"""What a decoder returns when the generic path must answer instead."""

BodyDecoder = Callable[[bytes], Any]
_SCALARS = (str, int, float, bool)
# CPython refuses to convert longer digit strings to int; msgspec would not.
_INT_DIGITS_LIMIT = 4300


def body_decoder(model: Any, max_depth: int, max_number_digits: int) -> BodyDecoder | None:
    """Return a msgspec decoder for ``model`` bodies, or ``None`` when it cannot be used.

    ``None`` when msgspec is not installed, or ``model`` is not a plain dataclass this module
    can mirror exactly: a generated ``__init__``, no ``__post_init__``, no ``default_factory``,
    and every field of a supported type without ``Annotated`` metadata.
    """
    if not _is_plain_dataclass(model) or max_number_digits > _INT_DIGITS_LIMIT:
        return None
    try:
        import msgspec
    except ImportError:
        return None
    try:
        hints = typing.get_type_hints(model, include_extras=True)
    except Exception:  # an unresolvable annotation: the generic path decides
        return None
    spec: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    depth = 1
    for field in dataclasses.fields(model):
        annotation = hints.get(field.name)
        nesting = _nesting(annotation)
        if nesting is None or not field.init or field.default_factory is not dataclasses.MISSING:
            return None
        depth = max(depth, 1 + nesting)
        if field.default is dataclasses.MISSING:
            spec.append((field.name, annotation))
        else:
            spec.append((field.name, annotation | msgspec.UnsetType, msgspec.UNSET))
    if depth > max_depth:
        return None
    mirror = msgspec.defstruct(f"{model.__name__}Body", spec, forbid_unknown_fields=True)
    decode = msgspec.json.Decoder(mirror).decode
    as_dict = msgspec.structs.asdict
    unset = msgspec.UNSET
    defaulted = len(spec) > len([s for s in spec if len(s) == 2])
    long_number = re.compile(rb"[-+0-9.eE]{%d,}" % (max_number_digits + 1)).search

    def decode_body(body: bytes) -> Any:
        # The generic path's own test: only a text this long can hold an over-long number.
        if len(body) > max_number_digits and long_number(body) is not None:
            return FALLBACK
        try:
            fields = as_dict(decode(body))
        except Exception:  # any refusal is answered by the generic path
            return FALLBACK
        if defaulted:
            fields = {name: value for name, value in fields.items() if value is not unset}
        try:
            return model(**fields)
        except Exception:  # let the generic path build (and report) it
            return FALLBACK

    return decode_body


def _is_plain_dataclass(model: Any) -> bool:
    if not (isinstance(model, type) and dataclasses.is_dataclass(model)):
        return False
    code = getattr(model.__init__, "__code__", None)
    # The dataclass machinery compiles its generated __init__ from a string.
    generated = code is not None and code.co_filename == "<string>"
    return generated and not hasattr(model, "__post_init__")


def _nesting(annotation: Any) -> int | None:
    """Levels of JSON nesting ``annotation`` adds (0 for a scalar), ``None`` if unsupported."""
    if annotation in _SCALARS:
        return 0
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        others = [arg for arg in args if arg is not type(None)]
        if len(others) != 1 or len(args) != 2:
            return None
        return _nesting(others[0])
    if origin is list and len(args) == 1 and args[0] in _SCALARS:
        return 1
    return None
