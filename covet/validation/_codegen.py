"""Generated straight-line fast paths for model validators and serialisers.

A model's generic validator walks its field plans in a loop, collecting every issue. The
function generated here handles the common case (a dict with a valid value for every field)
in one expression, and hands anything else to the generic validator, which then reports
exactly what is wrong; the results are the same, only the common case is faster. A field
value of the exact type its validator passes through unchanged (a ``str`` for ``str``) is
not even passed to the validator.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from covet._generated import compile_generated
from covet.validation.errors import ValidationError

_F = TypeVar("_F", bound=Callable[..., Any])
_UNCHANGED: dict[Callable[[Any], Any], type[Any]] = {}


def passes_unchanged(validator: _F, cls: type[Any]) -> _F:
    """Record that ``validator`` returns values of exactly type ``cls`` as they are."""
    _UNCHANGED[validator] = cls
    return validator


def unchanged_type(validator: Callable[[Any], Any]) -> type[Any] | None:
    """The type whose exact instances ``validator`` returns unchanged, if it declared one."""
    return _UNCHANGED.get(validator)


def _is_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _define(name: str, lines: list[str], namespace: dict[str, Any]) -> Callable[[Any], Any]:
    exec(compile_generated("\n".join(lines), name), namespace)
    function: Callable[[Any], Any] = namespace[name]
    return function


def fast_model_validator(
    target: type[Any] | None,
    fields: Sequence[tuple[str, Callable[[Any], Any], bool]],
    fallback: Callable[..., Any],
    allowed: frozenset[str] | None = None,
) -> Callable[[Any], Any]:
    """Wrap ``fallback`` with a fast path building ``target(**fields)`` (a dict if ``None``).

    Args:
        target: The dataclass to build, or ``None`` for a TypedDict (a plain dict).
        fields: ``(name, validator, required)`` for each field, in the order ``fallback``
            validates them.
        fallback: The generic validator, called as ``fallback(value)`` for anything that is
            not a dict, and as ``fallback(value, done, error)`` to finish what the fast path
            started: ``done`` holds the fields it validated, ``error`` the ``ValidationError``
            of the field it stopped at (``None`` when a required key was missing or the
            model itself refused the values).
        allowed: The only keys the object may have (``None``: any); an object with another
            key goes to ``fallback``, which reports it.
    """
    namespace: dict[str, Any] = {
        "fallback": fallback,
        "target": target,
        "ValidationError": ValidationError,
        "allowed": allowed,
    }
    steps: list[str] = []
    for index, (name, validate, required) in enumerate(fields):
        namespace[f"v{index}"] = validate
        exact = unchanged_type(validate)
        if exact is None:
            value = f"v{index}(value[{name!r}])"
        else:
            namespace[f"t{index}"] = exact
            value = f"(x if type(x := value[{name!r}]) is t{index} else v{index}(x))"
        if required:
            steps.append(f"fields[{name!r}] = {value}")
        else:
            steps += [f"if {name!r} in value:", f"    fields[{name!r}] = {value}"]
    build = (
        ["return fields"]
        if target is None
        else [
            "try:",
            "    return target(**fields)",
            "except ValueError:",  # the model's own check: reported by the generic validator
            "    return fallback(value, fields, None)",
        ]
    )
    lines = [
        "def validate_model(value):",
        "    if type(value) is not dict:",
        "        return fallback(value)",
        *(
            ["    if not value.keys() <= allowed:", "        return fallback(value)"]
            if allowed is not None
            else []
        ),
        "    fields = {}",
        "    try:",
        *(f"        {step}" for step in steps),
        "    except KeyError:",
        "        return fallback(value, fields, None)",
        "    except ValidationError as error:",
        "        return fallback(value, fields, error)",
        *(f"    {line}" for line in build),
    ]
    return _define("validate_model", lines, namespace)


def fast_fields_serializer(
    source: type[Any] | None,
    fields: Sequence[tuple[str, Callable[[Any], Any]]],
    fallback: Callable[[Any], Any],
    identity: Callable[[Any], Any],
) -> Callable[[Any], Any]:
    """Wrap ``fallback`` with a fast path for values of exactly ``source`` (a dict if ``None``).

    Every field must be present (read by attribute, or by key for a dict); a field whose
    serialiser is ``identity`` is copied as it is.
    """
    if source is not None and not all(_is_name(name) for name, _ in fields):
        return fallback
    namespace: dict[str, Any] = {"fallback": fallback, "source": source or dict}
    items = []
    for index, (name, serialize) in enumerate(fields):
        read = f"value[{name!r}]" if source is None else f"value.{name}"
        if serialize is not identity:
            namespace[f"s{index}"] = serialize
            read = f"s{index}({read})"
        items.append(f"{name!r}: {read}")
    missing = "KeyError" if source is None else "AttributeError"
    lines = [
        "def serialize_model(value):",
        "    if type(value) is source:",
        "        try:",
        f"            return {{{', '.join(items)}}}",
        f"        except {missing}:",
        "            pass",
        "    return fallback(value)",
    ]
    return _define("serialize_model", lines, namespace)
