"""Compile annotations into serialisers producing JSON-able data filtered by the annotation.

A model annotation is a whitelist: only its declared fields are read from the returned object
(by attribute, or by key for mappings), so extra attributes such as ``password_hash`` never leak,
even when the object is of another class, including a pydantic or msgspec subclass of the
declared model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import sys
import typing
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from covet._json import iso_duration, utf8_text
from covet.validation import models as m
from covet.validation._codegen import fast_fields_serializer
from covet.validation._typing import (
    ABSTRACT_ORIGINS,
    NoneType,
    is_dataclass_type,
    is_literal,
    is_union,
    type_hints,
    typeddict_fields,
    unwrap_annotated,
)
from covet.validation.errors import SerializationError

Serializer = Callable[[Any], Any]
_CACHE: dict[Any, Serializer] = {}
_MISSING: Any = object()


def compile_serializer(annotation: Any) -> Serializer:
    """Compile ``annotation`` into a function turning a value into JSON-able data.

    Raises:
        TypeError: The annotation is not supported; the message names it.
    """
    key = (annotation, repr(annotation))  # see compile_validator: equal is not identical
    try:
        return _CACHE[key]
    except KeyError:
        pass
    except TypeError:
        return _SerializerCompiler().build(annotation)
    serializer = _SerializerCompiler().build(annotation)
    _CACHE[key] = serializer
    return serializer


def to_jsonable(value: Any) -> Any:
    """Convert a value of unknown type into JSON-able data (used for ``Any``)."""
    if value is None or isinstance(value, str | int | float):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, Mapping):
        return {to_jsonable(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if dump is not None and m.is_pydantic_model(type(value)):
        return dump(mode="json")
    if m.is_msgspec_struct(type(value)):
        return sys.modules["msgspec"].to_builtins(value)
    return _scalar_jsonable(value)


def _scalar_jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes):
        # UTF-8 as text, as pydantic does; undecodable bytes are a server bug, not data to
        # corrupt with replacement characters (covet._json.default refuses them too).
        try:
            return utf8_text(value)
        except TypeError as exc:
            raise SerializationError(str(exc)) from None
    return value


def _identity(value: Any) -> Any:
    return value


class _SerializerCompiler:
    """One compilation: tracks models being built so recursive models compile."""

    def __init__(self) -> None:
        self.building: dict[Any, list[Serializer]] = {}

    def build(self, annotation: Any) -> Serializer:
        annotation, _ = unwrap_annotated(annotation)
        origin = typing.get_origin(annotation)
        if annotation is Any:
            return to_jsonable
        if annotation is None or annotation is NoneType or annotation in (str, int, float, bool):
            return _identity
        if is_literal(origin):
            return to_jsonable
        if is_union(origin):
            return self._union(annotation)
        if origin is not None or annotation in (list, set, frozenset, tuple, dict):
            return self._generic(annotation, origin or annotation)
        if isinstance(annotation, type):
            if issubclass(annotation, enum.Enum | dt.date | dt.time | dt.timedelta | uuid.UUID):
                return _scalar_jsonable
            if annotation in (Decimal, bytes):
                return _scalar_jsonable
            return self._model(annotation)
        raise TypeError(f"Unsupported annotation {annotation!r}")

    def _union(self, annotation: Any) -> Serializer:
        members = [a for a in typing.get_args(annotation) if a is not NoneType]
        if len(members) == 1:
            inner = self.build(members[0])
            return lambda value: None if value is None else inner(value)
        branches = [(_runtime_class(a), self.build(a)) for a in members]

        def serialize_union(value: Any) -> Any:
            if value is None:
                return None
            for cls, branch in branches:
                if cls is not None and isinstance(value, cls):
                    return branch(value)
            raise SerializationError(f"{type(value).__name__} value does not match {annotation!r}")

        return serialize_union

    def _generic(self, annotation: Any, origin: Any) -> Serializer:
        origin = ABSTRACT_ORIGINS.get(origin, origin)
        args = typing.get_args(annotation)
        if origin in (list, set, frozenset) or (
            origin is tuple and (not args or (len(args) == 2 and args[1] is Ellipsis))
        ):
            item = self.build(args[0]) if args else to_jsonable
            if item is _identity:
                return list
            return lambda value: [item(v) for v in value]
        if origin is tuple:
            items = [self.build(a) for a in args]
            return lambda value: [f(v) for f, v in zip(items, value, strict=True)]
        if origin is dict:
            key = self.build(args[0]) if args else to_jsonable
            val = self.build(args[1]) if len(args) > 1 else to_jsonable
            return lambda value: {key(k): val(v) for k, v in value.items()}
        raise TypeError(f"Unsupported annotation {annotation!r}")

    def _model(self, cls: type[Any]) -> Serializer:
        if cls in self.building:
            pending = self.building[cls]
            return lambda value: pending[0](value)
        if m.is_pydantic_model(cls):
            return _pydantic_serializer(cls)
        if m.is_msgspec_struct(cls):
            return _msgspec_serializer(cls)
        is_td = typing.is_typeddict(cls)
        if not (is_td or is_dataclass_type(cls)):
            raise TypeError(f"Unsupported annotation {cls!r}")
        cell: list[Serializer] = []
        self.building[cls] = cell
        try:
            if is_td:
                specs = [(n, self.build(h), req) for n, h, req in typeddict_fields(cls)]
            else:
                hints = type_hints(cls)
                specs = [(f.name, self.build(hints[f.name]), True) for f in dataclasses.fields(cls)]
        finally:
            del self.building[cls]
        serializer = _fields_serializer(cls.__name__, specs)
        if all(required for _, _, required in specs):
            fields = [(name, serialize) for name, serialize, _ in specs]
            source = None if is_td else cls
            serializer = fast_fields_serializer(source, fields, serializer, _identity)
        cell.append(serializer)
        return serializer


def _runtime_class(annotation: Any) -> type[Any] | None:
    annotation, _ = unwrap_annotated(annotation)
    base = typing.get_origin(annotation) or annotation
    base = ABSTRACT_ORIGINS.get(base, base)
    if not isinstance(base, type) or typing.is_typeddict(base):
        return dict if isinstance(base, type) else None
    return base


def _fields_serializer(name: str, specs: list[tuple[str, Serializer, bool]]) -> Serializer:
    def serialize_model(value: Any) -> dict[str, Any]:
        get = value.get if isinstance(value, Mapping) else None
        out: dict[str, Any] = {}
        for key, serializer, required in specs:
            raw = get(key, _MISSING) if get is not None else getattr(value, key, _MISSING)
            if raw is _MISSING:
                if required:
                    raise SerializationError(f"{name} field {key!r} is missing from the value")
                continue
            out[key] = serializer(raw)
        return out

    return serialize_model


def _pydantic_serializer(model: Any) -> Serializer:
    adapter: list[Callable[..., Any]] = []

    def dump_as_declared(value: Any) -> Any:
        # A subclass instance's model_dump writes every field it has; the declared model's
        # own serialiser writes only the declared fields (FastAPI's filtering). Built on
        # first use, when forward references are sure to be resolved.
        if not adapter:
            adapter.append(sys.modules["pydantic"].TypeAdapter(model).dump_python)
        return adapter[0](value, mode="json")

    def serialize_pydantic(value: Any) -> Any:
        if type(value) is not model and not isinstance(value, model):
            value = model.model_validate(value, from_attributes=True)
        if type(value) is model:  # PERF: the common case, the declared class itself
            return value.model_dump(mode="json")
        return dump_as_declared(value)

    return serialize_pydantic


def _msgspec_serializer(struct: Any) -> Serializer:
    msgspec = sys.modules["msgspec"]
    nested: list[bool] = []

    def serialize_msgspec(value: Any) -> Any:
        # convert(from_attributes=True) builds a new ``struct`` from anything else, a subclass
        # instance included, reading only the declared fields (and rebuilding nested values
        # that are not exactly of their declared type).
        if type(value) is not struct:
            value = _convert(value, struct, from_attributes=True)
        if not nested:
            nested.append(_holds_models(struct))
        if not nested[0]:
            return msgspec.to_builtins(value)  # PERF: no model inside, nothing to filter
        # An exact struct can still hold a subclass instance in a model-typed field, which
        # to_builtins would dump whole; a round trip through the declared type filters it.
        plain = msgspec.to_builtins(value)
        return msgspec.to_builtins(_convert(plain, struct))

    return serialize_msgspec


def _convert(value: Any, struct: Any, **options: Any) -> Any:
    msgspec = sys.modules["msgspec"]
    try:
        return msgspec.convert(value, struct, **options)
    except msgspec.ValidationError as exc:
        raise SerializationError(
            f"The value does not match the response model {struct.__name__}: {exc}"
        ) from None


def _holds_models(struct: Any) -> bool:
    """Whether a field of ``struct`` is typed (anywhere inside) as a Struct or dataclass."""
    try:
        fields = sys.modules["msgspec"].structs.fields(struct)
    except Exception:  # an unresolvable annotation: assume the worst, filter
        return True
    pending = [field.type for field in fields]
    seen: set[int] = set()
    while pending:
        annotation = pending.pop()
        if id(annotation) in seen:
            continue
        seen.add(id(annotation))
        if isinstance(annotation, type) and (
            m.is_msgspec_struct(annotation)
            or is_dataclass_type(annotation)
            or typing.is_typeddict(annotation)
        ):
            return True
        pending.extend(typing.get_args(annotation))
    return False
