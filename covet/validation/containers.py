"""Validators for containers and type combinators: list, set, tuple, dict, Union, Literal."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from covet.validation._codegen import unchanged_type
from covet.validation.errors import (
    MAX_ISSUES,
    ValidationError,
    ValidationIssue,
    expected,
    invalid,
)

Validator = Callable[[Any], Any]


def _items(value: Any, what: str, sets: bool = False) -> Sequence[Any]:
    if isinstance(value, list | tuple):
        return value
    if sets and isinstance(value, set | frozenset):
        return list(value)
    raise invalid(f"Input should be a valid {what}", f"{what}_type")


def list_validator(item: Validator) -> Validator:
    """Validate every item of a JSON array (or tuple), collecting every bad item's issues."""
    exact = unchanged_type(item)

    def validate_list(value: Any) -> list[Any]:
        if exact is not None and type(value) is list:
            # PERF: a list of values its item validator would return unchanged (``list[str]``
            # holding only strs) is the result as it is.
            for raw in value:
                if type(raw) is not exact:
                    break
            else:
                return value
        return _each(itertools.repeat(item), _items(value, "list"))

    return validate_list


def _each(checks: Iterable[Validator], values: Sequence[Any]) -> list[Any]:
    """Validate ``values[i]`` with the i-th check; every bad item's issues, located by index."""
    out: list[Any] = []
    issues: list[ValidationIssue] = []
    # Not strict: ``checks`` is endless for a list (the length of a fixed tuple is checked).
    for index, (check, raw) in enumerate(zip(checks, values, strict=False)):
        try:
            out.append(check(raw))
        except ValidationError as exc:
            issues.extend(i.with_prefix((index,)) for i in exc.issues)
            if len(issues) > MAX_ISSUES:
                break
    if issues:
        raise ValidationError(issues)
    return out


def set_validator(item: Validator, factory: type[set[Any]] | type[frozenset[Any]]) -> Validator:
    """Validate items like a list, then build a set or frozenset (hashable items only)."""
    as_list = list_validator(item)
    what = factory.__name__

    def validate_set(value: Any) -> Any:
        items = _items(value, what, sets=True)
        try:
            return factory(as_list(items))
        except TypeError:
            raise invalid(f"Items of a {what} should be hashable", f"{what}_type") from None

    return validate_set


def variadic_tuple_validator(item: Validator) -> Validator:
    """Validate ``tuple[X, ...]``."""
    as_list = list_validator(item)

    def validate_tuple(value: Any) -> tuple[Any, ...]:
        return tuple(as_list(_items(value, "tuple")))

    return validate_tuple


def fixed_tuple_validator(items: Sequence[Validator]) -> Validator:
    """Validate ``tuple[X, Y]``: exact length, one validator per position."""
    size = len(items)

    def validate_tuple(value: Any) -> tuple[Any, ...]:
        raw = _items(value, "tuple")
        if len(raw) != size:
            code = "too_short" if len(raw) < size else "too_long"
            raise invalid(f"Tuple should have exactly {size} items, not {len(raw)}", code)
        return tuple(_each(items, raw))

    return validate_tuple


def dict_validator(key: Validator, val: Validator) -> Validator:
    """Validate a JSON object's keys and values; a bad key is reported at ``(key, "[key]")``."""

    def validate_dict(value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise invalid("Input should be a valid dictionary", "dict_type")
        out: dict[Any, Any] = {}
        issues: list[ValidationIssue] = []
        for raw_key, raw_val in value.items():
            loc = raw_key if isinstance(raw_key, str | int) else str(raw_key)
            try:
                new_key = key(raw_key)
            except ValidationError as exc:
                issues.extend(i.with_prefix((loc, "[key]")) for i in exc.issues)
                continue
            try:
                out[new_key] = val(raw_val)
            except ValidationError as exc:
                issues.extend(i.with_prefix((loc,)) for i in exc.issues)
            if len(issues) > MAX_ISSUES:
                break
        if issues:
            raise ValidationError(issues)
        return out

    return validate_dict


def optional_validator(inner: Validator) -> Validator:
    """Accept ``None`` or whatever ``inner`` accepts."""

    def validate_optional(value: Any) -> Any:
        if value is None:
            return None
        return inner(value)

    return validate_optional


def none_validator(value: Any) -> None:
    """Accept only ``None``."""
    if value is not None:
        raise invalid("Input should be null", "none_required")


def union_validator(branches: Sequence[Validator], names: str) -> Validator:
    """Try each branch in order; when none matches, report a ``union`` issue and every branch's.

    The last value refused is remembered (validators are pure, so the same value gets the
    same answer): in a recursive union such as ``child: A | B`` where both ``A`` and ``B``
    hold a ``child``, each branch would otherwise validate the same subtree again, doubling
    the work at every level of nesting.
    """
    last_refused: list[tuple[Any, ValidationError]] = []

    def validate_union(value: Any) -> Any:
        if last_refused and last_refused[0][0] is value:
            raise last_refused[0][1]
        issues = [ValidationIssue((), f"Input should match one of: {names}", "union")]
        for branch in branches:
            try:
                return branch(value)
            except ValidationError as exc:
                issues.extend(exc.issues)
        error = ValidationError(issues)
        last_refused[:] = [(value, error)]
        raise error

    return validate_union


def literal_validator(values: Sequence[Any], mode: str) -> Validator:
    """Accept exactly one of ``values`` (``1`` and ``True`` are told apart)."""
    exact = {(type(v), v): v for v in values}
    text = {_text_form(v): v for v in values} if mode == "text" else {}
    allowed = expected(values)

    def validate_literal(value: Any) -> Any:
        try:
            found = exact.get((type(value), value), _MISSING)
            if found is _MISSING and isinstance(value, str):
                found = text.get(value, _MISSING)
        except TypeError:
            found = _MISSING
        if found is _MISSING:
            raise invalid(f"Input should be {allowed}", "literal_error", ctx={"expected": allowed})
        return found

    return validate_literal


_MISSING: Any = object()


def _text_form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(getattr(value, "value", value))


def any_validator(value: Any) -> Any:
    """Accept anything unchanged."""
    return value
