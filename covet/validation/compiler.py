"""Compile type annotations into validators, once, at startup.

``compile_validator(int)`` returns a plain function that converts one input value or raises
:class:`~covet.validation.errors.ValidationError` listing every problem. All annotation
inspection happens here; the returned functions only check values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from covet._annotations import is_typeddict
from covet.validation import containers as c
from covet.validation import functional as f
from covet.validation import models as m
from covet.validation import scalars as s
from covet.validation._typing import (
    ABSTRACT_ORIGINS,
    NoneType,
    is_dataclass_type,
    is_literal,
    is_union,
    type_hints,
    typeddict_fields,
    unwrap_annotated,
)
from covet.validation.constraints import Constraints, constrain
from covet.validation.errors import Loc, ValidationError

Validator = Callable[[Any], Any]
Mode = Literal["json", "text"]

_BOUNDED = (int, float, Decimal)
_SIZED = (str, bytes, list, set, frozenset, tuple, dict)
_CACHE: dict[Any, Validator] = {}


def compile_validator(
    annotation: Any,
    *,
    loc_prefix: Loc = (),
    constraints: Constraints | None = None,
    mode: Mode = "json",
) -> Validator:
    """Compile ``annotation`` into a function that validates and converts one value.

    Args:
        annotation: A type hint (``int``, ``list[Item]``, ``Annotated[str, Constraints(...)]``...).
        loc_prefix: Prepended to every issue's location (e.g. ``("query", "limit")``).
        constraints: Extra limits applied after conversion.
        mode: ``"json"`` for decoded JSON (strict types); ``"text"`` for strings from the query,
            headers, cookies or path (``"42"`` becomes ``42``, ``"yes"`` becomes ``True``).

    Returns:
        A validator; the same object is returned for the same arguments.

    Raises:
        TypeError: The annotation (or a constraint on it) is not supported; the message names it.
    """
    if mode not in ("json", "text"):
        raise ValueError(f"mode must be 'json' or 'text', not {mode!r}")
    # repr tells apart annotations that compare equal but validate differently
    # (``int | float == float | int``, yet the branch order decides the result).
    key: Any = (annotation, repr(annotation), constraints, mode, tuple(loc_prefix))
    try:
        return _CACHE[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: compile without caching
        key = None
    validator = _Compiler(mode).build(annotation, constraints)
    if loc_prefix:
        validator = _prefixed(validator, tuple(loc_prefix))
    if key is not None:
        _CACHE[key] = validator
    return validator


def _prefixed(validator: Validator, prefix: Loc) -> Validator:
    def validate_at(value: Any) -> Any:
        try:
            return validator(value)
        except ValidationError as exc:
            raise exc.located(prefix, value) from None

    return validate_at


class _Compiler:
    """One compilation: tracks models being built so recursive models compile."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.building: dict[Any, list[Validator]] = {}
        self.built: dict[Any, Validator] = {}

    def build(self, annotation: Any, constraints: Constraints | None) -> Validator:
        """The validator for ``annotation``: one per distinct annotation in a compilation, so
        the fields of several models that share a type share its validator."""
        key: Any = (annotation, repr(annotation), constraints)
        try:
            return self.built[key]
        except KeyError:
            pass
        except TypeError:  # unhashable metadata: not shared
            return self._build(annotation, constraints)
        # A recursive model refers to this annotation while it is being built: it gets a
        # stand-in that calls the finished validator, so both are the same one.
        cell: list[Validator] = []
        self.built[key] = lambda value: cell[0](value)
        validator = self.built[key] = self._build(annotation, constraints)
        cell.append(validator)
        return validator

    def _build(self, annotation: Any, constraints: Constraints | None) -> Validator:
        steps = f.steps_of(annotation)
        if not steps:
            return self._typed(annotation, constraints, steps)
        return f.with_steps(lambda: self._typed(annotation, constraints, steps), steps)

    def _typed(
        self, annotation: Any, constraints: Constraints | None, steps: tuple[f.Step, ...]
    ) -> Validator:
        annotation, found = unwrap_annotated(annotation)
        if found is not None:
            constraints = found if constraints is None else found.merged(constraints)
        origin = typing.get_origin(annotation)
        if is_union(origin):  # limits apply in each branch, before the transforms
            return f.transformed(self._union(annotation, constraints), steps)
        if is_literal(origin):
            self._no_constraints(annotation, constraints)
            return c.literal_validator(typing.get_args(annotation), self.mode)
        allow_inf_nan = constraints is not None and constraints.allow_inf_nan
        validator = f.transformed(self._unconstrained(annotation, origin, allow_inf_nan), steps)
        if constraints is None:
            return validator
        base = origin or annotation
        bounds = isinstance(base, type) and issubclass(base, _BOUNDED) and base is not bool
        lengths = isinstance(base, type) and issubclass(base, _SIZED)
        self._check_applicable(annotation, constraints, bounds, lengths, base is str)
        return constrain(validator, constraints, bounds=bounds, lengths=lengths)

    def _check_applicable(
        self, annotation: Any, cons: Constraints, bounds: bool, lengths: bool, text: bool
    ) -> None:
        bad = []
        if cons.has_bounds and not bounds:
            bad.append("gt/ge/lt/le/multiple_of")
        if cons.has_lengths and not lengths:
            bad.append("min_length/max_length")
        if cons.pattern is not None and not text:
            bad.append("pattern")
        if bad:
            raise TypeError(f"Constraints {', '.join(bad)} do not apply to {annotation!r}")

    def _no_constraints(self, annotation: Any, constraints: Constraints | None) -> None:
        if constraints is not None and constraints != Constraints(
            allow_inf_nan=constraints.allow_inf_nan
        ):
            raise TypeError(f"Constraints do not apply to {annotation!r}")

    def _union(self, annotation: Any, constraints: Constraints | None) -> Validator:
        args = typing.get_args(annotation)
        members = [a for a in args if a is not NoneType and a is not None]
        if not members:
            return c.none_validator
        branches = [self.build(a, constraints) for a in members]
        if len(branches) == 1:
            inner = branches[0]
        else:
            names = " | ".join(_name(a) for a in members)
            inner = c.union_validator(branches, names)
        return c.optional_validator(inner) if len(members) < len(args) else inner

    def _unconstrained(self, annotation: Any, origin: Any, allow_inf_nan: bool) -> Validator:
        if annotation is Any:
            return c.any_validator
        if annotation is None or annotation is NoneType:
            return c.none_validator
        if origin is not None:
            return self._generic(annotation, origin)
        if isinstance(annotation, type):
            scalar = self._scalar(annotation, allow_inf_nan)
            if scalar is not None:
                return scalar
            if annotation in (list, set, frozenset, tuple, dict) or annotation in ABSTRACT_ORIGINS:
                return self._generic(annotation, annotation)
            return self._model(annotation)
        raise TypeError(f"Unsupported annotation {annotation!r}")

    def _scalar(self, cls: type[Any], allow_inf_nan: bool) -> Validator | None:
        mode = self.mode
        if issubclass(cls, enum.Enum):
            return s.enum_validator(cls, mode)
        simple: dict[type[Any], Callable[[str], Validator]] = {
            str: s.str_validator,
            int: s.int_validator,
            bool: s.bool_validator,
            bytes: s.bytes_validator,
            uuid.UUID: s.uuid_validator,
            dt.timedelta: s.timedelta_validator,
        }
        if cls in simple:
            return simple[cls](mode)
        if cls is float:
            return s.float_validator(mode, allow_inf_nan)
        if cls is Decimal:
            return s.decimal_validator(mode, allow_inf_nan)
        iso = {dt.datetime: "datetime", dt.date: "date", dt.time: "time"}
        if cls in iso:
            return s.iso_validator(cls, iso[cls])
        return None

    def _generic(self, annotation: Any, origin: Any) -> Validator:
        origin = ABSTRACT_ORIGINS.get(origin, origin)
        args = typing.get_args(annotation)
        if origin is list:
            return c.list_validator(self._item(args, 0))
        if origin is set or origin is frozenset:
            return c.set_validator(self._item(args, 0), origin)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return c.variadic_tuple_validator(self.build(args[0], None))
            if not args and annotation is not tuple:  # tuple[()]
                return c.fixed_tuple_validator([])
            if not args:
                return c.variadic_tuple_validator(c.any_validator)
            return c.fixed_tuple_validator([self.build(a, None) for a in args])
        if origin is dict:
            key = _Compiler("text" if self.mode == "json" else self.mode).build(
                args[0] if args else str, None
            )
            return c.dict_validator(key, self._item(args, 1))
        raise TypeError(f"Unsupported annotation {annotation!r}")

    def _item(self, args: tuple[Any, ...], index: int) -> Validator:
        return self.build(args[index], None) if len(args) > index else c.any_validator

    def _model(self, cls: type[Any]) -> Validator:
        if cls in self.building:
            pending = self.building[cls]
            return lambda value: pending[0](value)
        if m.is_pydantic_model(cls):
            return m.pydantic_validator(cls)
        if m.is_msgspec_struct(cls):
            return m.msgspec_validator(cls)
        is_td = is_typeddict(cls)
        if not (is_td or is_dataclass_type(cls)):
            raise TypeError(f"Unsupported annotation {cls!r}")
        cell: list[Validator] = []
        self.building[cls] = cell
        try:
            validator = self._typeddict(cls) if is_td else self._dataclass(cls)
        finally:
            del self.building[cls]
        cell.append(validator)
        return validator

    def _dataclass(self, cls: type[Any]) -> Validator:
        hints = type_hints(cls)
        plans = []
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            required = (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            )
            plans.append(m.FieldPlan(field.name, self.build(hints[field.name], None), required))
        return m.dataclass_validator(cls, plans)

    def _typeddict(self, td: type[Any]) -> Validator:
        plans = [
            m.FieldPlan(name, self.build(hint, None), required)
            for name, hint, required in typeddict_fields(td)
        ]
        return m.typeddict_validator(td, plans)


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)
