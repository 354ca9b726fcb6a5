"""Planning, at start-up, how a handler's result is filtered through its response model."""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from covet._annotations import is_typeddict
from covet.di.annotations import return_hint
from covet.exceptions import ConfigurationError
from covet.requests import HTTPConnection
from covet.responses.base import Response
from covet.routing.routes import BaseRoute
from covet.validation import compile_serializer
from covet.validation.models import is_msgspec_struct, is_pydantic_model
from covet.validation.serialization import DEFAULT_DUMP, DumpOptions

_NO_MODEL: Any = object()


def plan_response(route: BaseRoute, model: Any = _NO_MODEL) -> Callable[[Any], Any] | None:
    """The serialiser that filters a handler's result through its response model, if any.

    The model is ``model`` when given (a generator handler's item type), else
    ``response_model=`` on the route (``None`` opts out) or else the handler's return
    annotation. Only annotations containing models (dataclasses, TypedDicts, pydantic,
    msgspec) get a serialiser: that is where fields not in the model must not leak. Plain
    ``dict``/``list``/scalar annotations keep the fast path untouched, but must still be
    something the JSON layer can send. Response classes in a top-level union
    (``-> JSONResponse | Item``) are dropped: a returned Response is sent as it is.

    Raises:
        ConfigurationError: the annotation cannot be resolved or serialised.
    """
    options = dump_options(route)
    if model is _NO_MODEL:
        model = route.options.get("response_model", _NO_MODEL)
    if model is _NO_MODEL:
        model = return_annotation(route)
    model = _without_responses(model)
    if model in _UNCHECKED or _mentions(model, lambda arg: _is_subclass(arg, Response)):
        model = None
    elif not _contains_model(model):
        # Checked only: plain annotations keep the fast path. ``object`` is Any's alias.
        if not _mentions(model, lambda arg: arg is object):
            _serializer(route, model, options)
        model = None
    if model is None:
        if options != DEFAULT_DUMP:
            raise ConfigurationError(
                f"{route.handler_name} (route {route.path!r}) sets response_model_* options "
                "but has no response model for them to shape: declare response_model= (or a "
                "return annotation) naming a dataclass, TypedDict, pydantic or msgspec model."
            )
        return None
    return _serializer(route, model, options)


_OPTION_PREFIX = "response_model_"


def dump_options(route: BaseRoute) -> DumpOptions:
    """The route's ``response_model_include=`` ... ``response_model_by_alias=`` options.

    Raises:
        ConfigurationError: an option of the wrong type.
    """
    given = {
        name[len(_OPTION_PREFIX) :]: value
        for name, value in route.options.items()
        if name.startswith(_OPTION_PREFIX) and value is not None
    }
    where = f"{route.handler_name} (route {route.path!r})"
    for name in ("include", "exclude"):
        if name in given:
            given[name] = _field_names(given[name], f"response_model_{name}", where)
    for name in ("exclude_unset", "exclude_none", "by_alias"):
        if name in given and not isinstance(given[name], bool):
            raise ConfigurationError(
                f"response_model_{name}={given[name]!r} on {where} must be True or False."
            )
    return DumpOptions(**given)


def _field_names(value: Any, option: str, where: str) -> frozenset[str]:
    # FastAPI also takes pydantic's nested form ({"field": {...}}); only the top level is
    # supported, so a nested spec is refused rather than half applied.
    if isinstance(value, dict):
        nested = [key for key, inner in value.items() if inner is not True and inner is not ...]
        if nested:
            raise ConfigurationError(
                f"{option} on {where}: nested field selections ({nested!r}) are not supported; "
                "give a set of top-level field names."
            )
        value = list(value)
    if isinstance(value, str) or not isinstance(value, set | frozenset | list | tuple):
        raise ConfigurationError(f"{option}={value!r} on {where} must be a set of field names.")
    if not all(isinstance(name, str) for name in value):
        raise ConfigurationError(f"{option}={value!r} on {where} must name fields as strings.")
    return frozenset(value)


def _serializer(route: BaseRoute, model: Any, options: DumpOptions) -> Callable[[Any], Any]:
    try:
        serializer: Callable[[Any], Any] = compile_serializer(model, options)
    except TypeError as exc:
        raise ConfigurationError(
            f"Response model of {route.handler_name} (route {route.path!r}): {exc}. Return "
            "JSON-able data (dict, list, scalars, dataclasses, TypedDicts, pydantic or msgspec "
            "models) or a Response, annotate the return type accordingly, or pass "
            "response_model=None to opt out."
        ) from exc
    return serializer


# Return annotations that say nothing about the result's shape.
_UNCHECKED = (None, inspect.Signature.empty, object, typing.NoReturn, typing.Never)


def _without_responses(model: Any) -> Any:
    """Drop Response classes from a top-level union: a returned Response is sent as is."""
    if typing.get_origin(model) not in (typing.Union, types.UnionType):
        return model
    args = typing.get_args(model)
    kept = tuple(arg for arg in args if not _is_subclass(arg, Response))
    if len(kept) == len(args):
        return model
    return typing.Union[kept] if kept else None  # noqa: UP007


def _mentions(annotation: Any, test: Callable[[Any], bool]) -> bool:
    """Whether ``annotation`` or any type argument in it, at any depth, passes ``test``."""
    return test(annotation) or any(_mentions(arg, test) for arg in typing.get_args(annotation))


def return_annotation(route: BaseRoute) -> Any:
    """The resolved return annotation of ``route``'s handler (``None`` if unreadable).

    Raises:
        ConfigurationError: the annotation names something that cannot be resolved.
    """
    return return_hint(
        route.endpoint,
        lambda text, exc: (
            f"Cannot resolve the return annotation {text!r} of {route.handler_name} "
            f"(route {route.path!r}): {exc}. Import the type at module level, or pass "
            "response_model= (None to opt out)."
        ),
        route.namespace,
    )


def _is_subclass(annotation: Any, base: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, base)


def _contains_model(annotation: Any) -> bool:
    if isinstance(annotation, type):
        if issubclass(annotation, Response | HTTPConnection):
            return False
        return (
            dataclasses.is_dataclass(annotation)
            or is_typeddict(annotation)
            or is_pydantic_model(annotation)
            or is_msgspec_struct(annotation)
        )
    return any(_contains_model(arg) for arg in typing.get_args(annotation))
