"""Annotation introspection shared by the validator and serialiser compilers (startup only)."""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import types
import typing
from typing import Any, Literal, NotRequired, Required, Union

from covet.validation.constraints import Constraints, constraints_from

NoneType = type(None)

#: Abstract container origins mapped to the concrete type built for them.
ABSTRACT_ORIGINS: dict[Any, type] = {
    cabc.Sequence: list,
    cabc.MutableSequence: list,
    cabc.Iterable: list,
    cabc.Collection: list,
    cabc.Set: frozenset,
    cabc.MutableSet: set,
    cabc.Mapping: dict,
    cabc.MutableMapping: dict,
}


def unwrap_annotated(annotation: Any) -> tuple[Any, Constraints | None]:
    """Strip ``Annotated`` layers, merging the constraints their metadata declare.

    See :func:`~covet.validation.constraints.constraints_from` for what declares constraints.
    """
    found: Constraints | None = None
    while typing.get_origin(annotation) is typing.Annotated:
        for meta in annotation.__metadata__:
            declared = constraints_from(meta)
            if declared is not None:
                found = declared if found is None else declared.merged(found)
        annotation = annotation.__origin__
    return annotation, found


def is_union(origin: Any) -> bool:
    """Whether ``origin`` is ``typing.Union`` or a PEP 604 ``X | Y``."""
    return origin is Union or origin is types.UnionType


def is_literal(origin: Any) -> bool:
    """Whether ``origin`` is ``typing.Literal``."""
    return origin is Literal


def is_dataclass_type(annotation: Any) -> bool:
    """Whether ``annotation`` is a dataclass class (not an instance)."""
    return isinstance(annotation, type) and dataclasses.is_dataclass(annotation)


def type_hints(cls: Any) -> dict[str, Any]:
    """Resolve a class's field annotations, failing with a ``TypeError`` that names it."""
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:  # NameError, TypeError, ... from user annotations
        raise TypeError(f"Cannot resolve the annotations of {cls!r}: {exc}") from exc


def typeddict_fields(td: Any) -> list[tuple[str, Any, bool]]:
    """Return ``(name, annotation, required)`` for each key of a TypedDict."""
    required_keys: frozenset[str] = getattr(td, "__required_keys__", frozenset())
    out = []
    for name, hint in type_hints(td).items():
        required = name in required_keys
        origin = typing.get_origin(hint)
        if origin is Required or origin is NotRequired:
            required = origin is Required
            hint = typing.get_args(hint)[0]
        out.append((name, hint, required))
    return out
