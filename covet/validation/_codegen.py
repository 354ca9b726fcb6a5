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
    exec(compile("\n".join(lines), f"<covet {name}>", "exec"), namespace)
    function: Callable[[Any], Any] = namespace[name]
    return function


def fast_model_validator(
    target: type[Any] | None,
    fields: Sequence[tuple[str, Callable[[Any], Any], bool]],
    fallback: Callable[[Any], Any],
) -> Callable[[Any], Any]:
    """Wrap ``fallback`` with a fast path building ``target(**fields)`` (a dict if ``None``).

    Args:
        target: The dataclass to build, or ``None`` for a TypedDict (a plain dict).
        fields: ``(name, validator, required)`` for each field.
        fallback: The generic validator, called for anything the fast path does not accept.
    """
    if target is not None and not all(_is_name(name) for name, _, _ in fields):
        return fallback
    namespace: dict[str, Any] = {"fallback": fallback, "target": target}
    values: dict[str, str] = {}
    for index, (name, validate, _) in enumerate(fields):
        namespace[f"v{index}"] = validate
        exact = unchanged_type(validate)
        if exact is None:
            values[name] = f"v{index}(value[{name!r}])"
        else:
            namespace[f"t{index}"] = exact
            values[name] = f"(x if type(x := value[{name!r}]) is t{index} else v{index}(x))"
    required = [name for name, _, is_required in fields if is_required]
    optional = [name for name, _, is_required in fields if not is_required]
    body: list[str]
    if not optional and target is not None:
        body = [f"return target({', '.join(f'{name}={values[name]}' for name in required)})"]
    else:
        body = [f"fields = {{{', '.join(f'{name!r}: {values[name]}' for name in required)}}}"]
        for name in optional:
            body += [f"if {name!r} in value:", f"    fields[{name!r}] = {values[name]}"]
        body.append("return fields" if target is None else "return target(**fields)")
    lines = [
        "def validate_model(value):",
        "    if type(value) is dict:",
        "        try:",
        *(f"            {line}" for line in body),
        # A missing key, a bad value or the model's own ValueError: the generic validator
        # finds and reports every problem.
        "        except (KeyError, ValueError):",
        "            pass",
        "    return fallback(value)",
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
