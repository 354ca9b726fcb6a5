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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from covet._annotations import is_typeddict
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


@dataclass(frozen=True, slots=True)
class DumpOptions:
    """How a response model writes its fields: FastAPI's ``response_model_*`` options.

    Attributes:
        include: Write only these fields of the top-level model (``None``: all).
        exclude: Leave out these fields of the top-level model.
        exclude_unset: Leave out fields the value does not set: a key missing from a dict (not
            filled with its default), a pydantic field outside ``model_fields_set``.
        exclude_none: Leave out fields whose value is ``None``, in every model.
        by_alias: Write pydantic fields under their aliases (FastAPI's default).
    """

    include: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()
    exclude_unset: bool = False
    exclude_none: bool = False
    by_alias: bool = True

    def keeps(self, name: str) -> bool:
        """Whether the top-level field ``name`` is written."""
        return (self.include is None or name in self.include) and name not in self.exclude

    def dump_kwargs(self, top: bool) -> dict[str, Any]:
        """The matching ``model_dump`` keywords for a pydantic model (at the top, or nested)."""
        kwargs: dict[str, Any] = {
            "mode": "json",
            "by_alias": self.by_alias,
            "exclude_unset": self.exclude_unset,
            "exclude_none": self.exclude_none,
        }
        if top:
            kwargs["include"] = self.include
            kwargs["exclude"] = self.exclude or None
        return kwargs


DEFAULT_DUMP = DumpOptions()


def compile_serializer(annotation: Any, options: DumpOptions = DEFAULT_DUMP) -> Serializer:
    """Compile ``annotation`` into a function turning a value into JSON-able data.

    Raises:
        TypeError: The annotation is not supported; the message names it.
    """
    key = (annotation, repr(annotation), options)  # see compile_validator: equal is not identical
    try:
        return _CACHE[key]
    except KeyError:
        pass
    except TypeError:
        return _SerializerCompiler(options).build(annotation)
    serializer = _SerializerCompiler(options).build(annotation)
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
        return dump(mode="json", by_alias=True)  # as FastAPI's jsonable_encoder writes it
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

    def __init__(self, options: DumpOptions = DEFAULT_DUMP) -> None:
        self.building: dict[Any, list[Serializer]] = {}
        self.options = options
        # include/exclude apply to the top-level model only (through Optional and unions).
        self.depth = 0

    def nested(self, annotation: Any) -> Serializer:
        """Build the serialiser of a value inside another (an item, a field)."""
        self.depth += 1
        try:
            return self.build(annotation)
        finally:
            self.depth -= 1

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
        # A TypedDict is no runtime class: a dict is matched to it by its keys, with the models.
        branches = [
            (None if is_typeddict(a) else _runtime_class(a), self.build(a)) for a in members
        ]
        models: list[tuple[frozenset[str], Serializer]] = []
        for member, (_, serializer) in zip(members, branches, strict=True):
            names = _field_names(member)
            if names is not None:
                models.append((names, serializer))

        def serialize_union(value: Any) -> Any:
            if value is None:
                return None
            for cls, branch in branches:
                if cls is not None and isinstance(value, cls):
                    return branch(value)
            if models:
                return _best_model(value, models, annotation)
            raise SerializationError(f"{type(value).__name__} value does not match {annotation!r}")

        return serialize_union

    def _generic(self, annotation: Any, origin: Any) -> Serializer:
        origin = ABSTRACT_ORIGINS.get(origin, origin)
        args = typing.get_args(annotation)
        if origin in (list, set, frozenset) or (
            origin is tuple and (not args or (len(args) == 2 and args[1] is Ellipsis))
        ):
            item = self.nested(args[0]) if args else to_jsonable
            if item is _identity:
                return list
            return lambda value: [item(v) for v in value]
        if origin is tuple:
            items = [self.nested(a) for a in args]
            return lambda value: [f(v) for f, v in zip(items, value, strict=True)]
        if origin is dict:
            key = self.nested(args[0]) if args else to_jsonable
            val = self.nested(args[1]) if len(args) > 1 else to_jsonable
            return lambda value: {key(k): val(v) for k, v in value.items()}
        raise TypeError(f"Unsupported annotation {annotation!r}")

    def _model(self, cls: type[Any]) -> Serializer:
        top = self.depth == 0
        if cls in self.building:
            pending = self.building[cls]
            return lambda value: pending[0](value)
        if m.is_pydantic_model(cls):
            return _pydantic_serializer(cls, self.options.dump_kwargs(top))
        if m.is_msgspec_struct(cls):
            return _msgspec_serializer(cls, self.options, top)
        is_td = is_typeddict(cls)
        if not (is_td or is_dataclass_type(cls)):
            raise TypeError(f"Unsupported annotation {cls!r}")
        cell: list[Serializer] = []
        self.building[cls] = cell
        try:
            if is_td:
                specs = [
                    (n, self.nested(h), _REQUIRED if req else _omitted)
                    for n, h, req in typeddict_fields(cls)
                ]
            else:
                hints = type_hints(cls)
                specs = [
                    (f.name, self.nested(hints[f.name]), _default_of(f))
                    for f in dataclasses.fields(cls)
                ]
        finally:
            del self.building[cls]
        serializer = self._fields(cls, specs, is_td)
        cell.append(serializer)
        if top and (self.options.include is not None or self.options.exclude):
            # The model's own references (a tree's children) keep every field.
            kept = [spec for spec in specs if self.options.keeps(spec[0])]
            return self._fields(cls, kept, is_td)
        return serializer

    def _fields(
        self, cls: type[Any], specs: list[tuple[str, Serializer, Missing]], is_td: bool
    ) -> Serializer:
        options = self.options
        if options.exclude_unset:  # a missing key stays missing, whatever its default
            specs = [(n, f, _omitted if d is not _REQUIRED else d) for n, f, d in specs]
        serializer = _fields_serializer(cls.__name__, specs, options.exclude_none)
        # A dataclass instance has every field; a TypedDict's fast path needs every key.
        fast = not is_td or all(missing is _REQUIRED for _, _, missing in specs)
        if fast and not options.exclude_none:
            fields = [(name, serialize) for name, serialize, _ in specs]
            source = None if is_td else cls
            serializer = fast_fields_serializer(source, fields, serializer, _identity)
        return serializer


def _best_model(
    value: Any, models: list[tuple[frozenset[str], Serializer]], annotation: Any
) -> Any:
    """Serialise a plain value (a dict, an ORM object) as the union's model it fits best.

    pydantic's smart union, as FastAPI applies it to ``response_model=Plane | Car``: of the
    models that accept the value, the one declaring most of its keys wins; ties go to the
    first declared.
    """
    keys = set(value) if isinstance(value, Mapping) else set(getattr(value, "__dict__", ()))
    ranked = sorted(models, key=lambda model: -len(keys & model[0]))
    problems = []
    for _, serializer in ranked:
        try:
            return serializer(value)
        except (SerializationError, ValueError) as exc:  # pydantic's ValidationError is one
            problems.append(str(exc).splitlines()[0])
    raise SerializationError(
        f"{type(value).__name__} value matches no member of {annotation!r}: {'; '.join(problems)}"
    )


def _field_names(annotation: Any) -> frozenset[str] | None:
    """The field names of a model annotation; ``None`` for anything else."""
    annotation, _ = unwrap_annotated(annotation)
    if not isinstance(annotation, type):
        return None
    if m.is_pydantic_model(annotation):
        return frozenset(getattr(annotation, "model_fields", ()))
    if m.is_msgspec_struct(annotation):
        return frozenset(getattr(annotation, "__struct_fields__", ()))
    if is_typeddict(annotation):
        return frozenset(name for name, _, _ in typeddict_fields(annotation))
    if is_dataclass_type(annotation):
        return frozenset(field.name for field in dataclasses.fields(annotation))
    return None


def _runtime_class(annotation: Any) -> type[Any] | None:
    annotation, _ = unwrap_annotated(annotation)
    base = typing.get_origin(annotation) or annotation
    base = ABSTRACT_ORIGINS.get(base, base)
    if not isinstance(base, type) or is_typeddict(base):
        return dict if isinstance(base, type) else None
    return base


# What a field missing from the value becomes: an error, nothing, or its default.
Missing = Callable[[], Any] | None
_REQUIRED: Missing = None


def _omitted() -> Any:
    return _MISSING


def _default_of(field: dataclasses.Field[Any]) -> Missing:
    """A dataclass field's default, as a function (a factory is called for each value)."""
    if field.default is not dataclasses.MISSING:
        default = field.default
        return lambda: default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory
    return _REQUIRED


def _fields_serializer(
    name: str, specs: list[tuple[str, Serializer, Missing]], exclude_none: bool = False
) -> Serializer:
    def serialize_model(value: Any) -> dict[str, Any]:
        get = value.get if isinstance(value, Mapping) else None
        out: dict[str, Any] = {}
        for key, serializer, missing in specs:
            raw = get(key, _MISSING) if get is not None else getattr(value, key, _MISSING)
            if raw is _MISSING:
                # A dict result lacking a defaulted field gets the default, as pydantic
                # fills it when FastAPI validates the result into the model.
                if missing is None:
                    raise SerializationError(f"{name} field {key!r} is missing from the value")
                raw = missing()
                if raw is _MISSING:
                    continue
            if raw is None and exclude_none:
                continue
            out[key] = serializer(raw)
        return out

    return serialize_model


def _pydantic_serializer(model: Any, dump: dict[str, Any]) -> Serializer:
    adapter: list[Callable[..., Any]] = []

    def dump_as_declared(value: Any) -> Any:
        # A subclass instance's model_dump writes every field it has; the declared model's
        # own serialiser writes only the declared fields (FastAPI's filtering). Built on
        # first use, when forward references are sure to be resolved.
        if not adapter:
            adapter.append(sys.modules["pydantic"].TypeAdapter(model).dump_python)
        return adapter[0](value, **dump)

    def serialize_pydantic(value: Any) -> Any:
        if type(value) is not model and not isinstance(value, model):
            value = model.model_validate(value, from_attributes=True)
        if type(value) is model:  # PERF: the common case, the declared class itself
            return value.model_dump(**dump)
        return dump_as_declared(value)

    return serialize_pydantic


def _msgspec_serializer(struct: Any, options: DumpOptions, top: bool) -> Serializer:
    serializer = _msgspec_dump(struct)
    keeps = options.keeps if top else None
    if keeps is None and not options.exclude_none:
        return serializer
    # An instance sets every field, so exclude_unset leaves it whole; by_alias is msgspec's
    # own (to_builtins writes the renamed names).

    def serialize_filtered(value: Any) -> Any:
        out = serializer(value)
        return {
            key: item
            for key, item in out.items()
            if (keeps is None or keeps(key)) and not (item is None and options.exclude_none)
        }

    return serialize_filtered


def _msgspec_dump(struct: Any) -> Serializer:
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
            or is_typeddict(annotation)
        ):
            return True
        pending.extend(typing.get_args(annotation))
    return False
