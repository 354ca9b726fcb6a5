"""Validators for models: dataclasses, TypedDicts, and pydantic/msgspec adapters.

pydantic and msgspec are never imported here: a class is recognised as theirs only when the
library is already in ``sys.modules`` (it must be, for the user to have defined the class).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from covet.validation._codegen import fast_model_validator
from covet.validation.errors import (
    MAX_ISSUES,
    NO_INPUT,
    Loc,
    ValidationError,
    ValidationIssue,
    invalid,
)

Validator = Callable[[Any], Any]
_T = TypeVar("_T")
_FORBID_EXTRA = "__covet_forbid_extra__"


def forbid_extra(cls: _T) -> _T:
    """Class decorator: the dataclass or TypedDict refuses JSON keys it does not declare.

    An unknown key is a 422 issue at that key (``"extra_forbidden"``, as pydantic's
    ``extra="forbid"``), and the OpenAPI schema says ``additionalProperties: false``. Without
    it, unknown keys are ignored.
    """
    setattr(cls, _FORBID_EXTRA, True)
    return cls


def forbids_extra(cls: Any) -> bool:
    """Whether :func:`forbid_extra` marked ``cls``."""
    return getattr(cls, _FORBID_EXTRA, False) is True


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How one model field is validated: its key, validator and default."""

    name: str
    validate: Validator
    required: bool


def _validate_fields(
    fields: Sequence[FieldPlan],
    value: Any,
    what: str,
    done: dict[str, Any] | None,
    failed: ValidationError | None,
    allowed: frozenset[str] | None = None,
) -> tuple[dict[str, Any], list[ValidationIssue]]:
    """Validate every field, collecting every issue.

    ``done`` and ``failed`` resume the generated fast path (see ``_codegen``): the fields it
    validated, in order, and the error of the field it stopped at (the next one present).
    They are reused, never validated again, so a failure deep in a recursive model costs
    one pass, not one per level.
    """
    if not isinstance(value, dict):
        raise invalid(f"Input should be an object ({what})", "model_type")
    out: dict[str, Any] = {}
    issues: list[ValidationIssue] = []
    for plan in fields:
        name = plan.name
        if done is not None and name in done:
            out[name] = done[name]
            continue
        if name not in value:
            if plan.required:
                issues.append(ValidationIssue((name,), "Field required", "missing"))
            continue
        if failed is not None:
            error, failed = failed, None
        else:
            try:
                out[name] = plan.validate(value[name])
                continue
            except ValidationError as exc:
                error = exc
        issues.extend(i.with_prefix((name,)) for i in error.issues)
        if len(issues) > MAX_ISSUES:
            return out, issues
    if allowed is not None:
        for key in value:
            if key not in allowed:
                issues.append(
                    ValidationIssue(
                        (key,), "Extra inputs are not permitted", "extra_forbidden", value[key]
                    )
                )
                if len(issues) > MAX_ISSUES:
                    break
    return out, issues


def _allowed_keys(cls: Any, fields: Sequence[FieldPlan]) -> frozenset[str] | None:
    return frozenset(plan.name for plan in fields) if forbids_extra(cls) else None


def dataclass_validator(cls: type[Any], fields: Sequence[FieldPlan]) -> Validator:
    """Build ``cls`` from a JSON object; every bad field reported.

    Unknown keys are ignored, or refused when the class is marked with :func:`forbid_extra`.
    """
    what = cls.__name__
    allowed = _allowed_keys(cls, fields)

    def validate_dataclass(
        value: Any, done: dict[str, Any] | None = None, failed: ValidationError | None = None
    ) -> Any:
        if isinstance(value, cls):
            return value
        kwargs, issues = _validate_fields(fields, value, what, done, failed, allowed)
        if issues:
            raise ValidationError(issues)
        try:
            return cls(**kwargs)
        except ValueError as exc:
            raise invalid(f"Value error, {exc}", "value_error", ctx={"error": exc}) from None

    return fast_model_validator(cls, _field_specs(fields), validate_dataclass, allowed)


def typeddict_validator(td: type[Any], fields: Sequence[FieldPlan]) -> Validator:
    """Build a plain dict with the TypedDict's keys; unknown keys are ignored (or refused)."""
    name = td.__name__
    allowed = _allowed_keys(td, fields)

    def validate_typeddict(
        value: Any, done: dict[str, Any] | None = None, failed: ValidationError | None = None
    ) -> dict[str, Any]:
        out, issues = _validate_fields(fields, value, name, done, failed, allowed)
        if issues:
            raise ValidationError(issues)
        return out

    return fast_model_validator(None, _field_specs(fields), validate_typeddict, allowed)


def _field_specs(fields: Sequence[FieldPlan]) -> list[tuple[str, Validator, bool]]:
    return [(plan.name, plan.validate, plan.required) for plan in fields]


def is_pydantic_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a pydantic v2 model class (without importing pydantic)."""
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None) if pydantic is not None else None
    return base is not None and isinstance(annotation, type) and issubclass(annotation, base)


def is_msgspec_struct(annotation: Any) -> bool:
    """Whether ``annotation`` is a msgspec Struct class (without importing msgspec)."""
    msgspec = sys.modules.get("msgspec")
    base = getattr(msgspec, "Struct", None) if msgspec is not None else None
    return base is not None and isinstance(annotation, type) and issubclass(annotation, base)


def pydantic_validator(model: Any) -> Validator:
    """Validate with ``model.model_validate`` and translate pydantic's errors."""
    error_cls = sys.modules["pydantic"].ValidationError

    def validate_pydantic(value: Any) -> Any:
        try:
            return model.model_validate(value)
        except error_cls as exc:
            errors = itertools.islice(exc.errors(include_url=False), MAX_ISSUES + 1)
            raise ValidationError(
                ValidationIssue(
                    tuple(e["loc"]),
                    str(e["msg"]),
                    str(e["type"]),
                    input=e.get("input", NO_INPUT),
                    ctx=e.get("ctx"),
                )
                for e in errors
            ) from None

    return validate_pydantic


_MSGSPEC_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(-?\d+)\]|\[\.\.\.\]")


def msgspec_loc(path: str) -> Loc:
    """Turn a msgspec path such as ``.items[0].name`` into ``("items", 0, "name")``."""
    loc: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        if index:
            loc.append(int(index))
        elif name:  # "[...]" (a dict key msgspec does not name) adds nothing
            loc.append(name)
    return tuple(loc)


def msgspec_validator(struct: Any) -> Validator:
    """Validate with ``msgspec.convert`` and translate its single error message."""
    msgspec = sys.modules["msgspec"]

    def validate_msgspec(value: Any) -> Any:
        try:
            return msgspec.convert(value, struct)
        except msgspec.ValidationError as exc:
            match = _MSGSPEC_AT.match(str(exc))
            msg = match["msg"] if match else str(exc)
            path = match["path"] if match and match["path"] else ""
            raise invalid(msg, "msgspec_validation", msgspec_loc(path)) from None

    return validate_msgspec
