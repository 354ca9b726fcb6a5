"""Declarative value constraints (bounds, lengths, pattern) applied after conversion."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Annotated, Any

from covet.exceptions import ConfigurationError
from covet.validation.errors import ValidationError, ValidationIssue
from covet.validation.functional import is_inert, is_step

Validator = Callable[[Any], Any]
Number = int | float | Decimal

_BOUNDS = ("gt", "ge", "lt", "le", "multiple_of")
_LENGTHS = ("min_length", "max_length")


@dataclass(frozen=True, slots=True)
class Constraints:
    """Limits a converted value must respect; checked when built so mistakes fail at startup.

    Attributes:
        gt: Exclusive lower bound.
        ge: Inclusive lower bound.
        lt: Exclusive upper bound.
        le: Inclusive upper bound.
        multiple_of: The value must be a multiple of this (positive) number.
        min_length: Minimum length of a string, bytes or collection.
        max_length: Maximum length of a string, bytes or collection.
        pattern: Regular expression a string must match (``re.search``).
        allow_inf_nan: Accept NaN and infinities for ``float`` and ``Decimal``.
    """

    gt: Number | None = None
    ge: Number | None = None
    lt: Number | None = None
    le: Number | None = None
    multiple_of: Number | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    allow_inf_nan: bool = False
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in _BOUNDS:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, Number)):
                raise ConfigurationError(f"Constraint {name}={value!r} must be a number.")
        for name in _LENGTHS:
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                raise ConfigurationError(f"Constraint {name}={value!r} must be an int >= 0.")
        self._check_order()
        if self.pattern is not None:
            try:
                object.__setattr__(self, "_regex", re.compile(self.pattern))
            except (re.error, TypeError) as exc:
                raise ConfigurationError(
                    f"Constraint pattern={self.pattern!r} is not a valid regular expression: {exc}"
                ) from exc

    def _check_order(self) -> None:
        if self.multiple_of is not None and not self.multiple_of > 0:
            raise ConfigurationError(f"Constraint multiple_of={self.multiple_of!r} must be > 0.")
        if (
            self.min_length is not None
            and self.max_length is not None
            and self.min_length > self.max_length
        ):
            raise ConfigurationError(
                f"Constraint min_length={self.min_length} exceeds max_length={self.max_length}."
            )
        low = self.ge if self.ge is not None else self.gt
        high = self.le if self.le is not None else self.lt
        if low is not None and high is not None and low > high:
            raise ConfigurationError(
                f"Constraint lower bound {low!r} exceeds upper bound {high!r}."
            )

    @property
    def has_bounds(self) -> bool:
        """Whether any numeric bound or ``multiple_of`` is set."""
        return any(getattr(self, name) is not None for name in _BOUNDS)

    @property
    def has_lengths(self) -> bool:
        """Whether ``min_length`` or ``max_length`` is set."""
        return self.min_length is not None or self.max_length is not None

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled ``pattern``, if any."""
        return self._regex

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """Let pydantic enforce these constraints too (a dataclass field inside a pydantic
        model is validated by pydantic, which otherwise ignores metadata it does not know).

        Only pydantic calls this, so pydantic is already imported when it runs.
        """
        from pydantic import Field

        given: dict[str, Any] = {
            name: getattr(self, name)
            for name in (*_BOUNDS, *_LENGTHS, "pattern")
            if getattr(self, name) is not None
        }
        if self.allow_inf_nan:
            given["allow_inf_nan"] = True
        return handler(Annotated[source, Field(**given)] if given else source)

    def merged(self, other: Constraints) -> Constraints:
        """Return these constraints overridden by the fields ``other`` sets."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        for f in fields(other):
            if f.init and getattr(other, f.name) != f.default:
                values[f.name] = getattr(other, f.name)
        return Constraints(**values)


def _check_bounds(c: Constraints, value: Any) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    try:
        if c.gt is not None and not value > c.gt:
            issues.append(_bound("greater than", "greater_than", "gt", c.gt))
        if c.ge is not None and not value >= c.ge:
            issues.append(_bound("greater than or equal to", "greater_than_equal", "ge", c.ge))
        if c.lt is not None and not value < c.lt:
            issues.append(_bound("less than", "less_than", "lt", c.lt))
        if c.le is not None and not value <= c.le:
            issues.append(_bound("less than or equal to", "less_than_equal", "le", c.le))
        if c.multiple_of is not None and not _is_multiple(value, c.multiple_of):
            issues.append(_bound("a multiple of", "multiple_of", "multiple_of", c.multiple_of))
    except (ArithmeticError, TypeError):
        issues.append(
            ValidationIssue((), "Input cannot be compared with its bounds", "value_error")
        )
    return issues


def _bound(words: str, type_: str, name: str, limit: Number) -> ValidationIssue:
    return ValidationIssue((), f"Input should be {words} {limit}", type_, ctx={name: limit})


def _is_multiple(value: Any, step: Number) -> bool:
    if isinstance(value, float) or isinstance(step, float):
        quotient = float(value) / float(step)
        if not math.isfinite(quotient):
            return False
        return abs(quotient - round(quotient)) <= 1e-9 * max(1.0, abs(quotient))
    return bool(value % step == 0)


def _check_lengths(c: Constraints, value: Any) -> list[ValidationIssue]:
    size = len(value)
    # Worded and typed as pydantic words them, so clients see the same errors.
    if isinstance(value, str):
        what, prefix = "String", "string_"
        unit = "character"
    else:
        what, prefix = "Input", ""
        unit = "byte" if isinstance(value, bytes | bytearray) else "item"
    if c.min_length is not None and size < c.min_length:
        count = _plural(c.min_length, unit)
        ctx = _length_ctx(value, "min_length", c.min_length, size)
        return [
            ValidationIssue(
                (), f"{what} should have at least {count}", f"{prefix}too_short", ctx=ctx
            )
        ]
    if c.max_length is not None and size > c.max_length:
        count = _plural(c.max_length, unit)
        ctx = _length_ctx(value, "max_length", c.max_length, size)
        return [
            ValidationIssue((), f"{what} should have at most {count}", f"{prefix}too_long", ctx=ctx)
        ]
    return []


def _length_ctx(value: Any, name: str, limit: int, size: int) -> dict[str, Any]:
    """pydantic's ``ctx``: the limit alone for text, plus the kind and size for collections."""
    if isinstance(value, str | bytes | bytearray):
        return {name: limit}
    kind = _KINDS.get(type(value), type(value).__name__.capitalize())
    return {"field_type": kind, name: limit, "actual_length": size}


_KINDS: dict[type[Any], str] = {dict: "Dictionary", frozenset: "Frozenset"}


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


_KNOWN = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern")
_FOREIGN = ("annotated_types", "pydantic")


def constraints_from(meta: Any) -> Constraints | None:
    """The constraints one ``Annotated`` metadata item declares, if it declares any.

    Understood: :class:`Constraints`, covet's parameter markers (``Query(gt=0)`` and the like,
    also on model fields), ``annotated_types`` limits (``Gt``, ``MinLen``, ``Interval``...) and
    the constraints of a pydantic ``Field``. Other metadata is not about validation and is
    ignored; so are the validator functions :mod:`covet.validation.functional` applies.

    Raises:
        TypeError: an ``annotated_types`` item that is not a bound, length, pattern or
            predicate (``Timezone``, ``Unit``...): refused rather than silently not enforced.
    """
    if isinstance(meta, Constraints):
        return meta
    marker_constraints = getattr(meta, "constraints", None)
    if isinstance(marker_constraints, Constraints):
        return marker_constraints
    module = type(meta).__module__.split(".", 1)[0]
    if module not in _FOREIGN or is_step(meta) or is_inert(meta):
        return None
    found: Constraints | None = None
    nested = getattr(meta, "metadata", None)  # a pydantic FieldInfo's list of limits
    for item in nested if isinstance(nested, list) else ():
        inner = constraints_from(item)
        if inner is not None:
            found = inner if found is None else found.merged(inner)
    values = {name: getattr(meta, name) for name in _KNOWN if getattr(meta, name, None) is not None}
    if values:
        own = Constraints(**values)
        found = own if found is None else found.merged(own)
    if found is None and module == "annotated_types":
        raise TypeError(f"Constraint {meta!r} is not supported (bounds, lengths and patterns are)")
    return found


def constrain(validator: Validator, c: Constraints, *, bounds: bool, lengths: bool) -> Validator:
    """Wrap ``validator`` so its result is checked against ``c``.

    Args:
        validator: Converts the raw input.
        c: The constraints to enforce.
        bounds: Whether numeric bounds apply to this type.
        lengths: Whether length limits and ``pattern`` (strings only) apply.
    """
    regex = c.regex
    check_bounds = bounds and c.has_bounds
    check_lengths = lengths and c.has_lengths
    if not (check_bounds or check_lengths or regex is not None):
        return validator

    def constrained(raw: Any) -> Any:
        value = validator(raw)
        issues = _check_bounds(c, value) if check_bounds else []
        if check_lengths:
            issues += _check_lengths(c, value)
        if regex is not None and isinstance(value, str) and regex.search(value) is None:
            issues.append(
                ValidationIssue(
                    (),
                    f"String should match pattern {c.pattern!r}",
                    "string_pattern_mismatch",
                    ctx={"pattern": c.pattern},
                )
            )
        if issues:
            raise ValidationError(issues)
        return value

    return constrained
