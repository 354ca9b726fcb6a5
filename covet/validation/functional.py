"""Validator functions declared in ``Annotated`` metadata, applied as pydantic applies them.

Understood: pydantic's ``AfterValidator``, ``BeforeValidator``, ``PlainValidator`` and
``WrapValidator``; ``annotated_types.Predicate`` and ``Not``; the ``strip_whitespace``,
``to_lower`` and ``to_upper`` options of pydantic's ``StringConstraints``. pydantic is never
imported: its metadata is recognised by class name and module. Metadata that looks like a
validator but is none of these is refused at start-up, never ignored.

Steps wrap the type's own validator in declaration order, as in pydantic: an after-validator
runs on the converted value, a before-validator on the raw input (the last declared runs
first), a plain validator replaces everything declared before it, a wrap validator receives
``(value, handler)``. Bounds and lengths declared beside them are checked on the converted
value, before any step (pydantic checks them where they appear in the metadata).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from covet.validation.errors import ValidationError, invalid

Validator = Callable[[Any], Any]
Kind = Literal["after", "before", "plain", "wrap", "transform"]

_PYDANTIC_KINDS: dict[str, Kind] = {
    "AfterValidator": "after",
    "BeforeValidator": "before",
    "PlainValidator": "plain",
    "WrapValidator": "wrap",
}
# pydantic metadata that changes validation in ways covet does not reproduce.
_PYDANTIC_REFUSED = frozenset({"InstanceOf", "SkipValidation", "ValidateAs", "GetPydanticSchema"})
# pydantic metadata known to leave validation alone (schema, serialisation, union tags).
_PYDANTIC_INERT = frozenset(
    {"Tag", "Discriminator", "WithJsonSchema", "PlainSerializer", "WrapSerializer"}
)
_TEXT_CASES = {"to_lower": str.lower, "to_upper": str.upper}


@dataclass(frozen=True, slots=True)
class Step:
    """One declared function: when it runs relative to the type's own validator."""

    kind: Kind
    func: Callable[..., Any]


def steps_of(annotation: Any) -> tuple[Step, ...]:
    """The functional steps in ``annotation``'s ``Annotated`` metadata, in declaration order.

    Raises:
        TypeError: metadata that looks like a validator covet cannot apply (one taking
            pydantic's ``ValidationInfo``, ``InstanceOf``, an unknown pydantic validator...).
    """
    steps: list[Step] = []
    while typing.get_origin(annotation) is typing.Annotated:
        for meta in _flattened(annotation.__metadata__):
            steps.extend(_steps_from(meta))
        annotation = annotation.__origin__
    return tuple(steps)


def is_step(meta: Any) -> bool:
    """Whether ``meta`` is metadata this module applies (or refuses), not a constraint."""
    module, name = _origin(meta)
    return (module == "annotated_types" and name in ("Predicate", "Not")) or (
        module == "pydantic" and (name in _PYDANTIC_KINDS or _looks_like_validator(meta, name))
    )


def is_inert(meta: Any) -> bool:
    """Whether ``meta`` is known metadata with no bearing on validation (documentation)."""
    module, name = _origin(meta)
    return (module == "annotated_types" and name == "DocInfo") or (
        module == "pydantic" and name in _PYDANTIC_INERT
    )


def with_steps(typed: Callable[[], Validator], steps: tuple[Step, ...]) -> Validator:
    """Wrap the validator ``typed()`` builds with ``steps`` (the after, before, plain and wrap
    ones; transforms go in :func:`transformed`).

    ``typed`` is only called when no plain validator replaces it, so a type covet cannot
    validate itself is fine under ``PlainValidator``.
    """
    outer = [step for step in steps if step.kind != "transform"]
    plain = [i for i, step in enumerate(outer) if step.kind == "plain"]
    if plain:  # what was declared before the last plain validator never runs
        func = outer[plain[-1]].func
        validator: Validator = lambda value: _call(func, value)  # noqa: E731
        outer = outer[plain[-1] + 1 :]
    else:
        validator = typed()
    for step in outer:
        validator = _wrapped(step, validator)
    return validator


def transformed(validator: Validator, steps: tuple[Step, ...]) -> Validator:
    """Apply the text transforms among ``steps`` to the converted value (before its limits)."""
    funcs = [step.func for step in steps if step.kind == "transform"]
    if not funcs:
        return validator

    def validate_transformed(value: Any) -> Any:
        result = validator(value)
        if isinstance(result, str):
            for func in funcs:
                result = func(result)
        return result

    return validate_transformed


def _flattened(metadata: Iterable[Any]) -> Iterable[Any]:
    for meta in metadata:
        nested = getattr(meta, "metadata", None)  # a pydantic FieldInfo's list of limits
        if _origin(meta) == ("pydantic", "FieldInfo") and isinstance(nested, list):
            yield from nested
        else:
            yield meta


def _origin(meta: Any) -> tuple[str, str]:
    cls = type(meta)
    return cls.__module__.split(".", 1)[0], cls.__name__


def _looks_like_validator(meta: Any, name: str) -> bool:
    return name in _PYDANTIC_REFUSED or (name.endswith("Validator") and name not in _PYDANTIC_KINDS)


def _steps_from(meta: Any) -> list[Step]:
    module, name = _origin(meta)
    if module == "annotated_types" and name in ("Predicate", "Not"):
        return [Step("after", _predicate(meta.func, negated=name == "Not"))]
    if module == "pydantic" and name in _PYDANTIC_KINDS:
        kind = _PYDANTIC_KINDS[name]
        _refuse_info_argument(meta.func, kind, name)
        return [Step(kind, meta.func)]
    if module == "pydantic" and _looks_like_validator(meta, name):
        raise TypeError(f"{name} is not supported: covet cannot apply {meta!r}")
    if module == "pydantic" and name == "StringConstraints":
        steps = [Step("transform", str.strip)] if getattr(meta, "strip_whitespace", None) else []
        steps += [
            Step("transform", func)
            for option, func in _TEXT_CASES.items()
            if getattr(meta, option, None)
        ]
        return steps
    if module not in ("covet", "pydantic") and hasattr(meta, "__get_pydantic_core_schema__"):
        raise TypeError(
            f"{meta!r} customises pydantic validation, which covet does not run; use "
            "AfterValidator/BeforeValidator/PlainValidator, or validate in a pydantic model"
        )
    return []


def _refuse_info_argument(func: Callable[..., Any], kind: Kind, name: str) -> None:
    """pydantic passes a ``ValidationInfo`` to functions taking one more positional argument;
    covet has none to give, so such a function is refused rather than called wrongly."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) > (2 if kind == "wrap" else 1):
        raise TypeError(
            f"{name}({getattr(func, '__qualname__', func)!r}) takes a ValidationInfo argument, "
            "which covet does not provide; validate with a function of the value alone"
        )


def _wrapped(step: Step, inner: Validator) -> Validator:
    func = step.func
    if step.kind == "after":
        return lambda value: _call(func, inner(value))
    if step.kind == "before":
        return lambda value: inner(_call(func, value))
    return lambda value: _call(func, value, inner)


def _call(func: Callable[..., Any], *args: Any) -> Any:
    """Run a user's validator, reporting ``ValueError``/``AssertionError`` as pydantic does."""
    try:
        return func(*args)
    except ValidationError:
        raise
    except AssertionError as exc:
        raise invalid(f"Assertion failed, {exc}", "assertion_error", ctx={"error": exc}) from None
    except ValueError as exc:
        # pydantic's PydanticCustomError/PydanticKnownError carry their own type and message.
        code, message = getattr(exc, "type", None), getattr(exc, "message", None)
        if isinstance(code, str) and callable(message):
            raise invalid(str(message()), code, ctx=getattr(exc, "context", None)) from None
        raise invalid(f"Value error, {exc}", "value_error", ctx={"error": exc}) from None


def _predicate(func: Callable[[Any], Any], *, negated: bool) -> Callable[[Any], Any]:
    qualname = getattr(func, "__qualname__", None)
    named = f"{qualname!r} " if qualname is not None else ""
    code, msg = (
        ("not_operation_failed", f"Not of {named}failed")
        if negated
        else ("predicate_failed", f"Predicate {named}failed")
    )

    def check_predicate(value: Any) -> Any:
        if bool(func(value)) is negated:
            raise invalid(msg, code)
        return value

    return check_predicate
