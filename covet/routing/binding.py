"""Binding handler parameters to query, header, cookie, path and JSON body values.

Each parameter's source, wire name and validator are decided once, when routes compile;
per request, :func:`bind` only fetches raw values and runs the validators, collecting every
issue before answering 422.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from covet.params import REQUIRED, Param
from covet.requests import HTTPConnection, Request
from covet.validation import (
    Mode,
    RequestValidationError,
    ValidationError,
    ValidationIssue,
    Validator,
    compile_validator,
)

_SCALARS = (
    str,
    int,
    float,
    bool,
    bytes,
    decimal.Decimal,
    uuid.UUID,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
)
_SEQUENCES = (list, set, frozenset, tuple, Sequence)
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class BoundParameter:
    """How one handler parameter is read and validated."""

    name: str
    source: str
    key: str
    validator: Validator
    default: Any
    many: bool


def is_scalar(annotation: Any) -> bool:
    """Whether values of ``annotation`` can come from one string (query, header, cookie)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return is_scalar(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return all(arg is type(None) or is_scalar(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal or annotation is Any:
        return True
    return isinstance(annotation, type) and (
        issubclass(annotation, _SCALARS) or issubclass(annotation, enum.Enum)
    )


def is_many(annotation: Any) -> bool:
    """Whether ``annotation`` is a collection of scalars (``list[int]``), read from repeats."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return is_many(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return len(args) == 1 and is_many(args[0])
    items = typing.get_args(annotation)
    return origin in _SEQUENCES and all(arg is Ellipsis or is_scalar(arg) for arg in items)


def plan_parameter(
    name: str, annotation: Any, default: Any, marker: Param | None, handler: str
) -> BoundParameter:
    """Decide where ``name`` comes from and compile its validator.

    Raises:
        TypeError: naming the handler and parameter, for an annotation that cannot be bound.
    """
    if marker is not None:
        source = marker.source
        default = marker.default if default is REQUIRED else default
    elif annotation is Any or is_scalar(annotation) or is_many(annotation):
        source = "query"
    else:
        source = "body"
    many = source in ("query", "header") and is_many(annotation)
    if marker is not None and marker.alias:
        key = marker.alias
    elif source == "header":
        key = name.replace("_", "-")
    else:
        key = name
    embed = marker is not None and marker.embed
    location = (source, key) if source != "body" or embed else ("body",)
    mode: Mode = "json" if source == "body" else "text"
    try:
        validator = compile_validator(
            annotation,
            loc_prefix=location,
            constraints=marker.constraints if marker is not None else None,
            mode=mode,
        )
    except TypeError as exc:
        raise TypeError(f"Parameter {name!r} of {handler}: {exc}") from exc
    return BoundParameter(
        name, source if not embed else "body_field", key, validator, default, many
    )


async def bind(parameters: Sequence[BoundParameter], request: HTTPConnection) -> dict[str, Any]:
    """Read and validate every bound parameter; raise 422 with all the issues at once."""
    values: dict[str, Any] = {}
    issues: list[ValidationIssue] = []
    body: Any = _MISSING
    for parameter in parameters:
        source = parameter.source
        if source in ("body", "body_field"):
            if body is _MISSING:
                body = await _read_body(request)
            raw = body
            if source == "body_field":
                raw = body.get(parameter.key, _MISSING) if isinstance(body, dict) else _MISSING
        else:
            raw = _fetch(parameter, request)
        if raw is _MISSING:
            if parameter.default is REQUIRED:
                location: tuple[str | int, ...] = (
                    ("body",) if source == "body" else (_wire(source), parameter.key)
                )
                issues.append(ValidationIssue(location, "Field required", "missing"))
            else:
                values[parameter.name] = parameter.default
            continue
        try:
            values[parameter.name] = parameter.validator(raw)
        except ValidationError as exc:
            issues.extend(exc.issues)
    if issues:
        raise RequestValidationError(issues)
    return values


def _wire(source: str) -> str:
    return "body" if source == "body_field" else source


def _fetch(parameter: BoundParameter, request: HTTPConnection) -> Any:
    source, key = parameter.source, parameter.key
    if source == "query":
        if parameter.many:
            found = request.query_params.getlist(key)
            return found if found else _MISSING
        return request.query_params.get(key, _MISSING)
    if source == "header":
        if parameter.many:
            found = request.headers.getlist(key)
            return found if found else _MISSING
        return request.headers.get(key, _MISSING)
    if source == "cookie":
        return request.cookies.get(key, _MISSING)
    value = request.path_params.get(key, _MISSING)
    return value if value is _MISSING or isinstance(value, str) else str(value)


async def _read_body(request: HTTPConnection) -> Any:
    if not isinstance(request, Request) or not await request.body():
        return _MISSING
    return await request.json()


def marker_of(annotation: Any, default: Any) -> tuple[Any, Param | None, Any]:
    """Split ``Annotated[X, Query(...)]`` / ``= Query(...)`` into (type, marker, default)."""
    marker: Param | None = None
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, Param):
                marker = extra
        if marker is not None:
            rest = [extra for extra in extras if not isinstance(extra, Param)]
            annotation = typing.Annotated[(base, *rest)] if rest else base
    if isinstance(default, Param):
        marker = default
        default = REQUIRED
    return annotation, marker, default


__all__ = ["BoundParameter", "bind", "is_many", "is_scalar", "marker_of", "plan_parameter"]
