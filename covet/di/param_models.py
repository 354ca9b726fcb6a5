"""Parameter models: ``filters: Annotated[Filters, Query()]`` reads each field from the query.

As in FastAPI 0.115, a dataclass, TypedDict, pydantic model or msgspec Struct marked with
``Query()``, ``Header()``, ``Cookie()`` or ``Form()`` gathers several parameters of that
source. It is planned as a dependency whose parameters are the model's fields, each marked
with the same source, so binding, one 422 for every issue (located at ``("query", field)``),
caching and the OpenAPI document (one parameter per field) all work as for any dependency.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from collections.abc import Callable
from typing import Annotated, Any

from covet._annotations import is_typeddict
from covet.di.plan import Source
from covet.params import REQUIRED, Param
from covet.requests import HTTPConnection, Request
from covet.validation import (
    RequestValidationError,
    ValidationError,
    ValidationIssue,
    compile_validator,
)
from covet.validation._typing import is_dataclass_type, type_hints, typeddict_fields
from covet.validation.models import forbids_extra as marked_forbid_extra
from covet.validation.models import is_msgspec_struct, is_pydantic_model

SOURCES = frozenset({Source.QUERY, Source.HEADER, Source.COOKIE, Source.FORM})

# A field the client did not send: left out, so the model applies its own default.
_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()


def is_parameter_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a model class whose fields can be read as parameters."""
    return isinstance(annotation, type) and (
        is_dataclass_type(annotation)
        or is_typeddict(annotation)
        or is_pydantic_model(annotation)
        or is_msgspec_struct(annotation)
    )


def model_dependency(model: type[Any], marker: Param) -> Callable[..., Any]:
    """A dependency reading ``model``'s fields from ``marker.source`` and building the model.

    Raises:
        TypeError: a field's name or annotation cannot be read from that source.
    """
    source = marker.source
    fields = _fields(model)
    validate = compile_validator(model, loc_prefix=(source,))
    names = [f"field_{index}" for index in range(len(fields))]
    wire = {name: field for name, (field, _, _, _) in zip(names, fields, strict=True)}

    def build_model(**values: Any) -> Any:
        given = {wire[name]: value for name, value in values.items() if value is not _UNSET}
        try:
            return validate(given)
        except ValidationError as exc:  # the model's own checks, after each field's
            raise RequestValidationError(exc.issues) from None

    parameters = []
    keys: set[str] = set()
    for name, (field, annotation, required, alias) in zip(names, fields, strict=True):
        if is_parameter_model(typing.get_origin(annotation) or annotation):
            raise TypeError(
                f"field {field!r} of {model.__name__} is itself a model, which one {source} "
                "value cannot hold; parameter models are flat"
            )
        converts = source == "header" and marker.convert_underscores
        key = alias or (field.replace("_", "-") if converts else field)
        keys.add(key.lower() if source == "header" else key)
        field_marker = dataclasses.replace(
            marker,
            default=REQUIRED,
            alias=key,
            constraints=None,
            description=None,
            title=None,
            openapi_examples=None,
        )
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=REQUIRED if required else _UNSET,
                annotation=Annotated[annotation, field_marker],
            )
        )
    reader = build_model
    if forbids_extra(model):
        reader = _refusing_extra(build_model, Source(source), frozenset(keys))
        parameters.append(
            inspect.Parameter(
                _CONNECTION, inspect.Parameter.KEYWORD_ONLY, annotation=HTTPConnection
            )
        )
    reader.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    reader.__annotations__ = {p.name: p.annotation for p in parameters}
    reader.__name__ = reader.__qualname__ = f"{model.__name__}_from_{source}"
    return reader


# The connection parameter of a reader that refuses extra keys (fields are ``field_<n>``).
_CONNECTION = "connection"


def forbids_extra(model: type[Any]) -> bool:
    """Whether ``model`` refuses unknown keys: pydantic ``extra="forbid"``, msgspec
    ``forbid_unknown_fields=True``, a dataclass or TypedDict marked with
    :func:`covet.validation.forbid_extra`. Otherwise extra keys are ignored, as pydantic's
    default ``extra="ignore"`` does."""
    if is_pydantic_model(model):
        return bool(model.model_config.get("extra") == "forbid")
    if is_msgspec_struct(model):
        return bool(model.__struct_config__.forbid_unknown_fields)
    return marked_forbid_extra(model)


def _refusing_extra(
    build_model: Callable[..., Any], source: Source, keys: frozenset[str]
) -> Callable[..., Any]:
    """``build_model``, after refusing (422 ``extra_forbidden``) the keys it does not declare.

    Every key the client sent in that source counts, as in FastAPI: for a header model,
    every request header the model does not declare.
    """

    async def build_refusing_extra(**values: Any) -> Any:
        connection: HTTPConnection = values.pop(_CONNECTION)
        issues = [
            ValidationIssue(
                (source.value, key), "Extra inputs are not permitted", "extra_forbidden", value
            )
            for key, value in await _sent(connection, source)
            if (key.lower() if source is Source.HEADER else key) not in keys
        ]
        if issues:
            raise RequestValidationError(issues)
        return build_model(**values)

    return build_refusing_extra


async def _sent(connection: HTTPConnection, source: Source) -> list[tuple[str, Any]]:
    """Every ``(key, value)`` the client sent in ``source``."""
    if source is Source.QUERY:
        return connection.query_params.multi_items()
    if source is Source.HEADER:
        return connection.headers.multi_items()
    if source is Source.COOKIE:
        return list(connection.cookies.items())
    if isinstance(connection, Request):
        form = await connection.form()  # already parsed to bind the fields: cached
        return [
            (key, value if isinstance(value, str) else value.filename)
            for key, value in form.multi_items()
        ]
    return []


def _fields(model: type[Any]) -> list[tuple[str, Any, bool, str | None]]:
    """``(name, annotation, required, alias)`` of each field of ``model``."""
    if is_pydantic_model(model):
        return [
            (name, info.rebuild_annotation(), info.is_required(), info.alias)
            for name, info in model.model_fields.items()
        ]
    if is_msgspec_struct(model):
        structs = sys.modules["msgspec"].structs
        hints = type_hints(model)
        return [
            (
                field.name,
                hints[field.name],
                field.required,
                field.encode_name if field.encode_name != field.name else None,
            )
            for field in structs.fields(model)
        ]
    if is_typeddict(model):
        return [(name, hint, required, None) for name, hint, required in typeddict_fields(model)]
    hints = type_hints(model)
    return [
        (
            field.name,
            hints[field.name],
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
            None,
        )
        for field in dataclasses.fields(model)
        if field.init
    ]
