"""Binding handler parameters to query, header, cookie, path, JSON body and form values.

Each parameter's source, wire name and validator are decided once, when routes compile;
per request, :func:`bind` only fetches raw values and runs the validators, collecting every
issue before answering 422.

The JSON body and the form are each read at most once per request, and only when a parameter
needs them. A request body is either JSON or a form: a handler mixing ``Body`` and
``Form``/``File`` parameters gets a 415 from whichever of the two it reads first.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from covet._annotations import is_typeddict
from covet._optional import require
from covet.di.plan import Source
from covet.exceptions import MissingDependencyError
from covet.forms import FormData, UploadFile
from covet.params import REQUIRED, Param
from covet.requests import HTTPConnection, Request
from covet.validation import (
    Constraints,
    Mode,
    RequestValidationError,
    ValidationError,
    ValidationIssue,
    Validator,
    compile_validator,
)
from covet.validation._typing import unwrap_annotated
from covet.validation.models import is_msgspec_struct, is_pydantic_model

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
    source: Source
    key: str
    validator: Validator
    default: Any
    many: bool
    read_bytes: bool = False
    annotation: Any = None
    marker: Any = None


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
        source = Source(marker.source)
        default = marker.default if default is REQUIRED else default
    elif annotation is Any or is_scalar(annotation) or is_many(annotation):
        source = Source.QUERY
    elif is_upload(annotation):
        source = Source.FILE  # as FastAPI does: ``f: UploadFile`` needs no File()
    else:
        source = Source.BODY
    if marker is not None and marker.alias:
        key = marker.alias
    elif source is Source.HEADER and (marker is None or marker.convert_underscores):
        key = name.replace("_", "-")
    else:
        key = name
    if source is Source.FILE:
        limits = marker.constraints if marker is not None else None
        planned = _plan_file(name, annotation, default, key, handler, limits)
        return dataclasses.replace(planned, annotation=annotation, marker=marker)
    if source in _TEXT_SOURCES:
        _check_text(name, annotation, source, handler)
    many = source in _REPEATABLE and is_many(annotation)
    embed = marker is not None and marker.embed
    location = (source.value, key) if source is not Source.BODY or embed else ("body",)
    mode: Mode = "json" if source is Source.BODY else "text"
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
        name,
        source if not embed else Source.BODY_FIELD,
        key,
        validator,
        default,
        many,
        annotation=annotation,
        marker=marker,
    )


# Sources whose values are strings; cookies and path segments hold one value each.
_TEXT_SOURCES = frozenset({Source.QUERY, Source.HEADER, Source.COOKIE, Source.PATH, Source.FORM})
_ONE_VALUE = frozenset({Source.COOKIE, Source.PATH})
_REPEATABLE = frozenset({Source.QUERY, Source.HEADER, Source.FORM})


def _check_text(name: str, annotation: Any, source: Source, handler: str) -> None:
    """Refuse, at start-up, an annotation no string (or repeated strings) can ever bind to."""
    one = source in _ONE_VALUE
    if annotation is Any or is_scalar(annotation) or (is_many(annotation) and not one):
        return
    takes = "a scalar" if one else "a scalar or a list of scalars"
    if is_upload(annotation):
        advice = "for an uploaded file, use File() (or no marker)"
    elif is_many(annotation):
        advice = f"a {source} holds one value: take it as str and split it yourself"
    elif _mentions_model(annotation):
        advice = (
            "declare each field as its own parameter; for a JSON body, use Body() or no marker"
            if source is Source.PATH
            else f"to read each field of a model from the {source}, annotate the class itself "
            f"(Annotated[Model, {source.value.capitalize()}()]), not a union or container of it"
        )
    else:
        advice = "for structured data, take a JSON body (Body()) or read the Request's raw values"
    raise TypeError(
        f"Parameter {name!r} of {handler}: a {source} value is text, so it must be {takes} "
        f"(str, int, float, bool, UUID, a date or time, an Enum, a Literal...), not "
        f"{annotation!r}; {advice}."
    )


def _mentions_model(annotation: Any) -> bool:
    return _is_model(annotation) or any(_mentions_model(arg) for arg in typing.get_args(annotation))


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and (
        dataclasses.is_dataclass(annotation)
        or is_typeddict(annotation)
        or is_pydantic_model(annotation)
        or is_msgspec_struct(annotation)
    )


def is_upload(annotation: Any) -> bool:
    """Whether ``annotation`` is ``UploadFile`` or a list of them (optional or not)."""
    kind = _file_kind(annotation)
    return kind is not None and not kind[1]


def _plan_file(
    name: str,
    annotation: Any,
    default: Any,
    key: str,
    handler: str,
    limits: Constraints | None = None,
) -> BoundParameter:
    kind = _file_kind(annotation)
    try:
        # Uploads only arrive in multipart bodies: refuse at start-up, not at the first upload.
        require("python_multipart", extra="multipart")
    except MissingDependencyError as exc:
        raise MissingDependencyError(
            f"Parameter {name!r} of {handler} takes an uploaded file: {exc}"
        ) from exc.__cause__
    if kind is None:
        raise TypeError(
            f"Parameter {name!r} of {handler}: a File() parameter must be annotated "
            f"UploadFile, bytes, list[UploadFile] or list[bytes], not {annotation!r}"
        )
    _, declared = unwrap_annotated(annotation)  # Constraints(...) beside the marker
    if declared is not None:
        limits = declared if limits is None else declared.merged(limits)
    if limits is not None and (limits.has_bounds or limits.pattern is not None):
        raise TypeError(
            f"Parameter {name!r} of {handler}: a file takes only min_length/max_length "
            "(its size in bytes)"
        )
    many, read_bytes = kind
    validator = _file_validator(key, many, limits)
    return BoundParameter(name, Source.FILE, key, validator, default, many, read_bytes)


def _file_kind(annotation: Any) -> tuple[bool, bool] | None:
    """``(many, read_bytes)`` for a file annotation, or ``None`` if it is not one."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _file_kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _file_kind(args[0]) if len(args) == 1 else None
    many = origin in (list, Sequence)
    item = annotation
    if many:
        items = typing.get_args(annotation)
        item = items[0] if len(items) == 1 else None
    if item is UploadFile:
        return many, False
    if item is bytes:
        return many, True
    return None


def _file_validator(key: str, many: bool, limits: Constraints | None = None) -> Validator:
    smallest = limits.min_length if limits is not None else None
    largest = limits.max_length if limits is not None else None

    def validate_file(raw: Any) -> Any:
        items = raw if many else [raw]
        issues = []
        for index, item in enumerate(items):
            problem = _file_problem(item, smallest, largest)
            if problem is not None:
                loc = ("file", key, index) if many else ("file", key)
                issues.append(ValidationIssue(loc, *problem))
        if issues:
            raise ValidationError(issues)
        return raw

    return validate_file


def _file_problem(item: Any, smallest: int | None, largest: int | None) -> tuple[str, str] | None:
    """``(message, type)`` of what is wrong with one uploaded value, if anything."""
    if not isinstance(item, UploadFile):
        return "Expected an uploaded file, got a text field.", "file_expected"
    if largest is not None and item.size > largest:
        return f"File should have at most {largest} bytes", "file_too_large"
    if smallest is not None and item.size < smallest:
        return f"File should have at least {smallest} bytes", "file_too_small"
    return None


# PERF: module globals, not ``Source.X`` attribute lookups, in the per-request code below.
_QUERY, _HEADER, _COOKIE = Source.QUERY, Source.HEADER, Source.COOKIE
_BODY, _BODY_FIELD, _FORM, _FILE = Source.BODY, Source.BODY_FIELD, Source.FORM, Source.FILE


async def bind(parameters: Sequence[BoundParameter], request: HTTPConnection) -> dict[str, Any]:
    """Read and validate every bound parameter; raise 422 with all the issues at once."""
    values: dict[str, Any] = {}
    issues: list[ValidationIssue] = []
    body: Any = _MISSING
    form: FormData | None = None
    for parameter in parameters:
        source = parameter.source
        if source is _BODY or source is _BODY_FIELD:
            if body is _MISSING:
                body = await _read_body(request)
            raw = body
            if source is _BODY_FIELD:
                raw = body.get(parameter.key, _MISSING) if isinstance(body, dict) else _MISSING
        elif source is _FORM or source is _FILE:
            if form is None:
                form = await _read_form(request)
            raw = _fetch_form(parameter, form)
        else:
            raw = _fetch(parameter, request)
        if raw is _MISSING:
            if parameter.default is REQUIRED:
                location: tuple[str | int, ...] = (
                    ("body",) if source is _BODY else (_wire(source), parameter.key)
                )
                issues.append(ValidationIssue(location, "Field required", "missing"))
            else:
                values[parameter.name] = parameter.default
            continue
        try:
            values[parameter.name] = parameter.validator(raw)
        except ValidationError as exc:
            issues.extend(exc.issues)
            continue
        if parameter.read_bytes:
            values[parameter.name] = await _contents(raw, parameter.many)
    if issues:
        raise RequestValidationError(issues)
    return values


def _wire(source: Source) -> str:
    return "body" if source is _BODY_FIELD else source.value


def _fetch(parameter: BoundParameter, request: HTTPConnection) -> Any:
    source, key = parameter.source, parameter.key
    if source is _QUERY:
        if parameter.many:
            found = request.query_params.getlist(key)
            return found if found else _MISSING
        return request.query_params.get(key, _MISSING)
    if source is _HEADER:
        if parameter.many:
            found = request.headers.getlist(key)
            return found if found else _MISSING
        return request.headers.get(key, _MISSING)
    if source is _COOKIE:
        return request.cookies.get(key, _MISSING)
    value = request.path_params.get(key, _MISSING)
    return value if value is _MISSING or isinstance(value, str) else str(value)


async def _read_form(request: HTTPConnection) -> FormData:
    if not isinstance(request, Request):
        return FormData()
    if "content-type" not in request.headers and not await request.body():
        # An empty POST with no fields sent is an empty form: its missing fields get a 422
        # (as in FastAPI). A body with no or another content type still gets the 415.
        return FormData()
    return await request.form()


def _fetch_form(parameter: BoundParameter, form: FormData) -> Any:
    if parameter.many:
        found = form.getlist(parameter.key)
        return found if found else _MISSING
    return form.get(parameter.key, _MISSING)


async def _contents(raw: Any, many: bool) -> Any:
    """The whole content of one upload, or of each in a list (read from the start)."""
    uploads: list[UploadFile] = raw if many else [raw]
    contents = []
    for upload in uploads:
        await upload.seek(0)
        contents.append(await upload.read())
    return contents if many else contents[0]


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


__all__ = [
    "BoundParameter",
    "bind",
    "is_many",
    "is_scalar",
    "is_upload",
    "marker_of",
    "plan_parameter",
]
