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

from covet.di.plan import Source
from covet.params import REQUIRED, Param
from covet.validation import RequestValidationError, ValidationError, compile_validator
from covet.validation._typing import is_dataclass_type, type_hints, typeddict_fields
from covet.validation.models import is_msgspec_struct, is_pydantic_model

SOURCES = frozenset({Source.QUERY, Source.HEADER, Source.COOKIE, Source.FORM})

# A field the client did not send: left out, so the model applies its own default.
_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()


def is_parameter_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a model class whose fields can be read as parameters."""
    return isinstance(annotation, type) and (
        is_dataclass_type(annotation)
        or typing.is_typeddict(annotation)
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
    for name, (field, annotation, required, alias) in zip(names, fields, strict=True):
        if is_parameter_model(typing.get_origin(annotation) or annotation):
            raise TypeError(
                f"field {field!r} of {model.__name__} is itself a model, which one {source} "
                "value cannot hold; parameter models are flat"
            )
        converts = source == "header" and marker.convert_underscores
        key = alias or (field.replace("_", "-") if converts else field)
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
    build_model.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    build_model.__annotations__ = {p.name: p.annotation for p in parameters}
    build_model.__name__ = build_model.__qualname__ = f"{model.__name__}_from_{source}"
    return build_model


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
    if typing.is_typeddict(model):
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
