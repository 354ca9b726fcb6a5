"""Turning type hints into JSON Schema (2020-12, as OpenAPI 3.1 uses) with shared components.

Models (dataclasses, TypedDicts, pydantic models, msgspec Structs) become
``#/components/schemas/Name`` references, each class defined once. Names are stable and
collision-safe: the first class registered under a name keeps it, a different class with the same
``__name__`` gets its module prefixed (``other_module__Item``), then a counter if that is taken too.

pydantic models and msgspec Structs are described by their own library (the one that validates
them); the components they define are renamed to this registry's names, so a class nested in two
models is one component and two ``Item`` classes from two modules stay apart.

Choices made where JSON has no native type: ``bytes`` is a (UTF-8) string; ``Decimal`` is a
number or a numeric string (CovetPy accepts both, and sends a string, which keeps every digit).
Bounds on a ``Decimal`` are stated on the number form; JSON Schema cannot state them on a string.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import sys
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from covet._annotations import is_typeddict
from covet.validation import Constraints
from covet.validation.constraints import constraints_from
from covet.validation.models import forbids_extra, is_msgspec_struct, is_pydantic_model

Schema = dict[str, Any]

REF_PREFIX = "#/components/schemas/"
# msgspec's $refs are written with this placeholder, then rewritten to the registry's names.
_MSGSPEC_PREFIX = "msgspec:"
# pydantic's $refs likewise, from definitions mapped back to their classes.
_PYDANTIC_PREFIX = "pydantic:"
_MSGSPEC_NAMED = ("StructType", "TypedDictType", "DataclassType", "NamedTupleType", "EnumType")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")

_SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bytes: {"type": "string"},
    decimal.Decimal: {
        "anyOf": [
            {"type": "number"},
            {
                "type": "string",
                "pattern": r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
            },
        ]
    },
    uuid.UUID: {"type": "string", "format": "uuid"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    datetime.timedelta: {"type": "string", "format": "duration"},
    type(None): {"type": "null"},
}
_ARRAYS = (list, set, frozenset, tuple, Sequence, typing.List, typing.Set)  # noqa: UP006
_UNIQUE = (set, frozenset)
_OBJECTS = (dict, Mapping, typing.Dict)  # noqa: UP006
_KEY_MARKERS = (typing.Required, typing.NotRequired)
_NUMBER_KEYWORDS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
}
_LENGTH_KEYWORDS = {
    "string": ("minLength", "maxLength"),
    "array": ("minItems", "maxItems"),
    "object": ("minProperties", "maxProperties"),
}


def json_value(value: Any) -> Any:
    """``value`` as plain JSON data for a ``default`` or an example, or raise ``TypeError``."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return json_value(value.value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    raise TypeError(f"{value!r} is not JSON data")


def apply_constraints(schema: Schema, constraints: Constraints | None) -> Schema:
    """Add the JSON Schema keywords for ``constraints`` to ``schema`` (a new dict)."""
    if constraints is None:
        return schema
    if "anyOf" in schema:
        branches = [
            branch if branch.get("type") == "null" else apply_constraints(branch, constraints)
            for branch in schema["anyOf"]
        ]
        return {**schema, "anyOf": branches}
    result = dict(schema)
    for name, keyword in _NUMBER_KEYWORDS.items():
        value = getattr(constraints, name)
        if value is not None:
            result[keyword] = float(value) if isinstance(value, decimal.Decimal) else value
    low, high = _LENGTH_KEYWORDS.get(schema.get("type", "string"), ("minLength", "maxLength"))
    if constraints.min_length is not None:
        result[low] = constraints.min_length
    if constraints.max_length is not None:
        result[high] = constraints.max_length
    if constraints.pattern is not None:
        result["pattern"] = constraints.pattern
    return result


class SchemaRegistry:
    """Build schemas for annotations, collecting model schemas as named components.

    Attributes:
        components: ``#/components/schemas`` content, by component name.
    """

    def __init__(self) -> None:
        self.components: dict[str, Schema] = {}
        self._names: dict[Any, str] = {}

    def schema(self, annotation: Any, constraints: Constraints | None = None) -> Schema:
        """The JSON Schema of values of ``annotation`` (unknown types give ``{}``, any value)."""
        return apply_constraints(self._schema(annotation), constraints)

    def name_of(self, cls: Any) -> str:
        """The component name of ``cls``, chosen once: stable and distinct from other classes."""
        name = self._names.get(cls)
        if name is not None:
            return name
        base = _NOT_IN_NAME.sub("_", _class_name(cls))
        module = str(getattr(cls, "__module__", "")).replace(".", "_")
        candidates = [base, f"{module}__{base}"]
        taken = set(self._names.values()) | set(self.components)
        name = next((c for c in candidates if c not in taken), None)
        counter = 2
        while name is None or name in taken:
            name = f"{candidates[1]}_{counter}"
            counter += 1
        self._names[cls] = name
        return name

    def _schema(self, annotation: Any) -> Schema:
        if annotation is Any or annotation is object:
            return {}
        scalar = _SCALARS.get(annotation)
        if scalar is not None:
            return dict(scalar)
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return self._annotated(annotation)
        if origin in _KEY_MARKERS:  # a TypedDict key's Required[...] / NotRequired[...]
            return self._schema(typing.get_args(annotation)[0])
        if origin in (typing.Union, types.UnionType):
            return self._union(typing.get_args(annotation))
        if origin is typing.Literal:
            return _literal(typing.get_args(annotation))
        if origin in _ARRAYS or annotation in _ARRAYS:
            return self._array(origin or annotation, typing.get_args(annotation))
        if origin in _OBJECTS or annotation in _OBJECTS:
            return self._object(typing.get_args(annotation))
        if isinstance(annotation, type):
            return self._class(annotation)
        return {}

    def _annotated(self, annotation: Any) -> Schema:
        base, *extras = typing.get_args(annotation)
        schema = self._schema(base)
        for extra in extras:
            try:
                constraints = constraints_from(extra)
            except TypeError:  # refused by the validator compiler, which names the handler
                constraints = None
            if constraints is not None:
                schema = apply_constraints(schema, constraints)
        return schema

    def _union(self, args: tuple[Any, ...]) -> Schema:
        branches: list[Schema] = []
        for arg in args:
            branch = self._schema(arg)
            if branch not in branches:
                branches.append(branch)
        return branches[0] if len(branches) == 1 else {"anyOf": branches}

    def _array(self, origin: Any, args: tuple[Any, ...]) -> Schema:
        schema: Schema = {"type": "array"}
        if origin is tuple and args and args[-1] is not Ellipsis:
            items = [self._schema(arg) for arg in args]
            return {**schema, "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        if args:
            schema["items"] = self._schema(args[0])
        if origin in _UNIQUE:
            schema["uniqueItems"] = True
        return schema

    def _object(self, args: tuple[Any, ...]) -> Schema:
        schema: Schema = {"type": "object"}
        if len(args) == 2 and args[1] is not Any:
            schema["additionalProperties"] = self._schema(args[1])
        return schema

    def _class(self, cls: type) -> Schema:
        if issubclass(cls, enum.Enum):
            return _enum(cls)
        if issubclass(cls, bool | int | float | str | bytes):
            for base in (bool, int, float, str, bytes):
                if issubclass(cls, base):
                    return dict(_SCALARS[base])
        if dataclasses.is_dataclass(cls) or is_typeddict(cls) or is_pydantic_model(cls):
            return self._component(cls)
        if is_msgspec_struct(cls):
            return self._component(cls)
        return {}

    def _component(self, cls: type) -> Schema:
        known = cls in self._names
        name = self.name_of(cls)
        ref = {"$ref": REF_PREFIX + name}
        if known:
            return ref
        # Registered before its fields are visited, so recursive models end in a $ref.
        self.components[name] = {}
        if is_pydantic_model(cls):
            self.components[name] = self._pydantic(cls)
        elif is_msgspec_struct(cls):
            self.components[name] = self._msgspec(cls)
        else:
            self.components[name] = self._fields(cls)
        return ref

    def _pydantic(self, model: Any) -> Schema:
        """pydantic's schema of ``model``; the classes it names become components here too."""
        key, classes, definitions = _pydantic_definitions(model)
        names = {def_key: self.name_of(cls) for def_key, cls in classes.items()}
        names[key] = self.name_of(model)
        for def_key in definitions.keys() - names.keys():
            # A definition whose class pydantic did not expose: never shared.
            names[def_key] = self.name_of((model, def_key))
        renames = {_PYDANTIC_PREFIX + k: REF_PREFIX + name for k, name in names.items()}
        for def_key, definition in definitions.items():
            if def_key != key:
                # The first schema of a class wins (a dataclass may be described here already).
                self.components.setdefault(names[def_key], _renamed(definition, renames))
        return typing.cast(Schema, _renamed(definitions[key], renames))

    def _msgspec(self, struct: type) -> Schema:
        """msgspec's schema of ``struct``; the classes it names become components here too."""
        msgspec = sys.modules["msgspec"]
        try:
            classes = _msgspec_classes(msgspec, struct)
            refs, components = msgspec.json.schema_components(
                classes, schema_hook=self._msgspec_hook, ref_template=_MSGSPEC_PREFIX + "{name}"
            )
        except (TypeError, NameError):  # a field type msgspec cannot resolve or describe
            return {}
        keys = [ref["$ref"].removeprefix(_MSGSPEC_PREFIX) for ref in refs]
        names = {key: self.name_of(cls) for key, cls in zip(keys, classes, strict=True)}
        for key in components.keys() - names.keys():
            # A named kind of type the walk does not know (a newer msgspec): never shared.
            names[key] = self.name_of((struct, key))
        renames = {_MSGSPEC_PREFIX + key: REF_PREFIX + name for key, name in names.items()}
        for key, definition in components.items():
            if key != keys[0]:
                # The first schema of a class wins (a dataclass may be described here already).
                self.components.setdefault(names[key], _renamed(definition, renames))
        return typing.cast(Schema, _renamed(components[keys[0]], renames))

    def _msgspec_hook(self, cls: type) -> Schema:
        """Describe for msgspec a type it does not know (a pydantic model, say)."""
        schema = self._schema(cls)
        if not schema:
            # msgspec's schema_hook protocol: NotImplementedError means "not a type I know",
            # and msgspec then reports the type as unsupported (not a placeholder).
            raise NotImplementedError(cls)
        return schema

    def _fields(self, cls: type) -> Schema:
        hints = typing.get_type_hints(cls, include_extras=True)
        properties: dict[str, Schema] = {}
        required: list[str] = []
        if is_typeddict(cls):
            required_keys = getattr(cls, "__required_keys__", frozenset(hints))
            for name, hint in hints.items():
                properties[name] = self._schema(hint)
                # The marker wins over __required_keys__, which misses it in string
                # annotations (``from __future__ import annotations``); as the validator does.
                marker = typing.get_origin(hint)
                if marker is typing.Required or (
                    marker is not typing.NotRequired and name in required_keys
                ):
                    required.append(name)
        else:
            for field in dataclasses.fields(cls):
                prop = self._schema(hints.get(field.name, Any))
                if field.default is not dataclasses.MISSING:
                    prop = _with_default(prop, field.default)
                elif field.default_factory is dataclasses.MISSING:
                    required.append(field.name)
                properties[field.name] = prop
        schema: Schema = {"type": "object", "title": cls.__name__, "properties": properties}
        if required:
            schema["required"] = required
        if forbids_extra(cls):
            schema["additionalProperties"] = False
        return schema


def _class_name(cls: Any) -> str:
    """``Item``, or ``Page[Item]`` for a parametrised generic (as msgspec names them)."""
    if isinstance(cls, tuple):  # (struct, msgspec's key) for a type the registry cannot see
        return str(cls[-1])
    origin = typing.get_origin(cls)
    if origin is None:
        return str(getattr(cls, "__name__", "Model"))
    args = ", ".join(_class_name(arg) for arg in typing.get_args(cls))
    return f"{_class_name(origin)}[{args}]"


def _msgspec_classes(msgspec: Any, struct: type) -> list[Any]:
    """Every class msgspec makes a component of to describe ``struct``, ``struct`` first."""
    mi = msgspec.inspect
    named = tuple(getattr(mi, kind) for kind in _MSGSPEC_NAMED)
    found: dict[Any, None] = {}

    def visit(node: Any) -> None:
        if isinstance(node, tuple):
            for item in node:
                visit(item)
            return
        if not isinstance(node, mi.Type | mi.Field):
            return
        if isinstance(node, named):
            if node.cls in found:
                return
            found[node.cls] = None
        for field in msgspec.structs.fields(node):
            visit(getattr(node, field.name))

    visit(mi.type_info(struct))
    return list(found)


def _pydantic_definitions(model: Any) -> tuple[str, dict[str, Any], dict[str, Schema]]:
    """pydantic's definitions for ``model``: its own key, the class of each key, and the schemas.

    A first pass records the class behind every definition pydantic makes (keyed by its core
    reference); a second asks for the reference of each of those classes, so every definition
    key is tied to its class whatever name pydantic chose (``Item``, ``pa__Item``, ...).
    """
    from pydantic.json_schema import GenerateJsonSchema
    from pydantic_core import core_schema

    found: dict[str, Any] = {}

    class Recorder(GenerateJsonSchema):
        def generate_inner(self, schema: Any) -> Any:
            ref, cls = schema.get("ref"), schema.get("cls")
            if isinstance(ref, str) and isinstance(cls, type):
                found.setdefault(ref, cls)
            return super().generate_inner(schema)

    template = _PYDANTIC_PREFIX + "{model}"
    # Through model_json_schema, which also finishes a model whose forward references resolve now.
    model.model_json_schema(ref_template=template, schema_generator=Recorder)
    inputs: list[Any] = [("", "validation", model.__pydantic_core_schema__)]
    inputs += [(ref, "validation", core_schema.definition_reference_schema(ref)) for ref in found]
    generator = GenerateJsonSchema(ref_template=template)
    refs, generated = generator.generate_definitions(inputs)
    definitions: dict[str, Schema] = {str(key): schema for key, schema in generated.items()}
    keys = {
        ref: str(schema["$ref"]).removeprefix(_PYDANTIC_PREFIX)
        for (ref, _), schema in refs.items()
        if "$ref" in schema
    }
    top = refs[("", "validation")]
    if "$ref" not in top:  # described inline (a custom __get_pydantic_json_schema__)
        definitions[""] = top
    classes = {keys[ref]: cls for ref, cls in found.items() if ref in keys}
    return keys.get("", ""), classes, definitions


def _renamed(node: Any, refs: Mapping[str, str]) -> Any:
    """``node`` with placeholder references (``$ref``, discriminator mapping) renamed.

    Tuples (msgspec leaves a tuple default as one) become lists: plain JSON data, like the rest.
    """
    if isinstance(node, list | tuple):
        return [_renamed(item, refs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _renamed(value, refs) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str):
        out["$ref"] = refs.get(ref, ref)
    discriminator = out.get("discriminator")
    if isinstance(discriminator, dict) and isinstance(discriminator.get("mapping"), dict):
        mapping = {tag: refs.get(ref, ref) for tag, ref in discriminator["mapping"].items()}
        out["discriminator"] = {**discriminator, "mapping": mapping}
    return out


def _with_default(schema: Schema, default: Any) -> Schema:
    try:
        value = json_value(default)
    except TypeError:
        return schema
    if "$ref" in schema:
        # A sibling of $ref is allowed in 2020-12, but keep the reference itself untouched.
        return {"allOf": [schema], "default": value}
    return {**schema, "default": value}


def _literal(values: tuple[Any, ...]) -> Schema:
    plain = [json_value(value) for value in values]
    return {"const": plain[0]} if len(plain) == 1 else {"enum": plain}


def _enum(cls: type[enum.Enum]) -> Schema:
    values = [json_value(member.value) for member in cls]
    schema: Schema = {"title": cls.__name__, "enum": values}
    kinds = {type(value) for value in values}
    if kinds == {str}:
        schema["type"] = "string"
    elif kinds == {int}:
        schema["type"] = "integer"
    return schema


__all__ = ["REF_PREFIX", "Schema", "SchemaRegistry", "apply_constraints", "json_value"]
