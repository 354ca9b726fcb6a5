"""Schemas derived from mapped classes: a dataclass per shape, for responses and bodies."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Final

from sqlalchemy import String
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ColumnProperty

from covet.exceptions import ConfigurationError
from covet.validation import Constraints, forbid_extra


class _Unset:
    """The type of :data:`UNSET`."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


#: The value of an input schema's field the client did not send.
UNSET: Final = _Unset()


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
    columns, relationships = _columns_and_relationships(model)
    nested = dict(nested or {})
    unknown = set(exclude) - set(columns) - relationships
    unknown |= set(include or ()) - set(columns)
    unknown |= set(nested) - relationships
    _refuse_unknown(
        "schema_from_model", model, unknown, columns, "(or relationships, for nested=) "
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


def input_schema_from_model(
    model: type[Any],
    *,
    partial: bool = False,
    exclude: Collection[str] = (),
    include: Collection[str] | None = None,
    read_only: Collection[str] = (),
    name: str | None = None,
) -> type[Any]:
    """A dataclass for request bodies that create (or, ``partial``, update) rows of ``model``.

    Generated columns (an autoincrementing primary key, computed and identity columns) and
    ``read_only`` ones are left out, and the body may hold no key the schema lacks: a client
    sending ``id`` gets a 422 at ``id``, never a row with the id it chose. String lengths
    become ``maxLength`` (a 422, not a database error). For creation, a column is required
    unless it is nullable or has a default; with ``partial=True`` (PATCH) every field may be
    left out. Fields the client did not send hold :data:`UNSET`, and
    ``body.model_values()`` gives only those it did, ready for ``Model.create(session,
    **values)`` or ``row.update(session, **values)``: an omitted field keeps its database
    default, or its current value.

    Args:
        model: The mapped class.
        partial: Every field optional (an update); default: the shape of a creation.
        exclude: Columns to leave out (``{"password_hash"}``); a body holding one is a 422.
        include: Only these columns (default: all but the generated ones); an included
            generated column is writable.
        read_only: More columns a client may not set (``{"created_at"}``).
        name: The schema's name (default: the model's name + ``"Create"`` or ``"Update"``).

    Raises:
        ConfigurationError: a name is not a column of the model.
    """
    columns, _ = _columns_and_relationships(model)
    unknown = (set(exclude) | set(include or ()) | set(read_only)) - set(columns)
    _refuse_unknown("input_schema_from_model", model, unknown, columns, "")
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for key, prop in columns.items():
        column = prop.columns[0]
        if include is not None:
            if key not in include:
                continue
        elif _generated(column):
            continue
        if key in exclude or key in read_only:
            continue
        annotation = _python_type(column)
        length = getattr(column.type, "length", None)
        if isinstance(column.type, String) and isinstance(length, int):
            annotation = Annotated[annotation, Constraints(max_length=length)]
        if column.nullable:
            annotation = annotation | None
        default = _input_default(column)
        if partial:
            fields.append((key, annotation, dataclasses.field(default=UNSET)))
        elif default is dataclasses.MISSING:
            fields.append((key, annotation))
        else:
            fields.append((key, annotation, dataclasses.field(default=default)))
    required = [f for f in fields if len(f) == 2]
    optional = [f for f in fields if len(f) == 3]
    schema = dataclasses.make_dataclass(
        name or f"{model.__name__}{'Update' if partial else 'Create'}",
        [*required, *optional],
        frozen=True,
        namespace={"model_values": _model_values},
    )
    schema.__module__ = model.__module__
    schema.__doc__ = (
        f"The fields of a {model.__name__} a client may "
        f"{'change (each may be left out)' if partial else 'set when creating one'}."
    )
    return forbid_extra(schema)


def _model_values(self: Any) -> dict[str, Any]:
    """The fields the client sent (and defaults that are plain values), by column name."""
    return {
        field.name: value
        for field in dataclasses.fields(self)
        if (value := getattr(self, field.name)) is not UNSET
    }


def _generated(column: Any) -> bool:
    """Whether the database makes the column's value: no client should send it."""
    if column.computed is not None or column.identity is not None:
        return True
    return column.primary_key and column.table.autoincrement_column is column


def _input_default(column: Any) -> Any:
    """The field's default: a plain column default, ``UNSET`` for database-made ones."""
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg
    if default is not None or column.server_default is not None:
        return UNSET  # a callable or SQL default: omitted, so the model applies it
    if column.nullable:
        return None
    return dataclasses.MISSING


def _columns_and_relationships(model: type[Any]) -> tuple[dict[str, Any], set[str]]:
    mapper = sa_inspect(model)
    columns = {prop.key: prop for prop in mapper.attrs if isinstance(prop, ColumnProperty)}
    return columns, set(mapper.relationships.keys())


def _refuse_unknown(
    function: str, model: type[Any], unknown: set[str], columns: Mapping[str, Any], also: str
) -> None:
    if unknown:
        raise ConfigurationError(
            f"{function}({model.__name__}): {sorted(unknown)} are not columns "
            f"{also}of {model.__name__}; columns: {sorted(columns)}."
        )


def _python_type(column: Any) -> Any:
    try:
        found: Any = column.type.python_type
    except NotImplementedError:
        return Any
    return found


__all__ = ["UNSET", "input_schema_from_model", "schema_from_model"]
