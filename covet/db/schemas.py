"""Schemas derived from mapped classes: a dataclass per shape, for responses and bodies."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ColumnProperty

from covet.exceptions import ConfigurationError


def schema_from_model(
    model: type[Any],
    *,
    exclude: Collection[str] = (),
    include: Collection[str] | None = None,
    nested: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> type[Any]:
    """A dataclass with the model's columns, for a return annotation or ``response_model=``.

    ORM objects serialise through it field by field (only its fields are read, so excluded
    columns never leak) and it documents itself in OpenAPI like any dataclass. Nullable
    columns are ``T | None``. Relationships are left out unless ``nested`` names them with
    their annotation (``nested={"posts": list[PostOut]}``); they must then be loaded in the
    query, or serialising fails naming the attribute.

    Args:
        model: The mapped class.
        exclude: Columns to leave out (``{"password_hash"}``).
        include: Only these columns (default: all).
        nested: Relationship name -> annotation of its value.
        name: The schema's name (default: the model's name + ``"Out"``).

    Raises:
        ConfigurationError: a name is not a column (or relationship) of the model.
    """
    mapper = sa_inspect(model)
    columns = {prop.key: prop for prop in mapper.attrs if isinstance(prop, ColumnProperty)}
    relationships = set(mapper.relationships.keys())
    nested = dict(nested or {})
    unknown = set(exclude) - set(columns) - relationships
    unknown |= set(include or ()) - set(columns)
    unknown |= set(nested) - relationships
    if unknown:
        raise ConfigurationError(
            f"schema_from_model({model.__name__}): {sorted(unknown)} are not columns "
            f"(or relationships, for nested=) of {model.__name__}; columns: {sorted(columns)}."
        )
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for key, prop in columns.items():
        if key in exclude or (include is not None and key not in include):
            continue
        column = prop.columns[0]
        annotation = _python_type(column)
        if getattr(column, "nullable", False):
            fields.append((key, annotation | None, dataclasses.field(default=None)))
        else:
            fields.append((key, annotation))
    required = [f for f in fields if len(f) == 2]
    optional = [f for f in fields if len(f) == 3]
    extra = list(nested.items())
    schema = dataclasses.make_dataclass(
        name or f"{model.__name__}Out",
        [*required, *extra, *optional],
        frozen=True,
    )
    schema.__module__ = model.__module__
    schema.__doc__ = f"{model.__name__} as the API shows it."
    return schema


def _python_type(column: Any) -> Any:
    try:
        found: Any = column.type.python_type
    except NotImplementedError:
        return Any
    return found


__all__ = ["schema_from_model"]
