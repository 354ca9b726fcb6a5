"""Planning, at start-up, where every argument of a handler or dependency comes from."""

from __future__ import annotations

import dataclasses
import inspect
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from covet.background import BackgroundTasks
from covet.exceptions import ConfigurationError
from covet.params import REQUIRED, Depends, Param
from covet.requests import HTTPConnection, Request
from covet.responses.base import Response
from covet.routing.binding import (
    BoundParameter,
    is_many,
    is_scalar,
    is_upload,
    marker_of,
    plan_parameter,
)
from covet.routing.convertors import StringConvertor
from covet.routing.param_models import SOURCES as MODEL_SOURCES
from covet.routing.param_models import is_parameter_model, model_dependency
from covet.routing.resolver import (
    BACKGROUND,
    BOUND,
    CONNECTION,
    DEPENDS,
    PATH,
    PATH_CAST,
    RESPONSE,
    DependencyNode,
    PathValue,
    PlanEntry,
    dependency_kind,
)
from covet.routing.routes import BaseRoute, WebSocketRoute
from covet.settings import Settings
from covet.validation import compile_serializer, compile_validator
from covet.validation.models import is_msgspec_struct, is_pydantic_model
from covet.websockets import WebSocket

Overrides = Mapping[Callable[..., Any], Callable[..., Any]]


def _namespace(handler: Callable[..., Any]) -> dict[str, Any]:
    """The names a handler's string annotations may refer to: globals and closure."""
    target: Any = inspect.unwrap(
        handler if inspect.isroutine(handler) else getattr(handler, "__call__", handler)  # noqa: B004
    )
    module = None
    if isinstance(handler, type):
        # A class dependency: its annotations live in its module (an inherited __init__'s
        # module, e.g. pydantic's, must not shadow those names).
        module = sys.modules.get(handler.__module__)
        cls: Any = handler
        target = inspect.unwrap(cls.__init__)
    namespace: dict[str, Any] = dict(getattr(target, "__globals__", {}))
    namespace.update(vars(module) if module is not None else {})
    try:
        namespace.update(inspect.getclosurevars(target).nonlocals)
    except TypeError:
        pass
    return namespace


def _name(func: Any) -> str:
    module = getattr(func, "__module__", "?")
    return f"{module}.{getattr(func, '__qualname__', repr(func))}"


def _where(route: BaseRoute, chain: tuple[Callable[..., Any], ...] = ()) -> str:
    """``route '/x'``, plus the dependency chain that leads to the callable being planned."""
    if not chain:
        return f"route {route.path!r}"
    names = [_name(item) for item in chain]
    if chain[0] is not route.endpoint:
        names.insert(0, route.handler_name)
    return f"route {route.path!r}, via {' -> '.join(names)}"


def _resolve_hints(
    handler: Callable[..., Any], route: BaseRoute, chain: tuple[Callable[..., Any], ...] = ()
) -> tuple[inspect.Signature, dict[str, Any]]:
    """Resolve the annotations of ``handler``'s parameters (not its return type).

    Each parameter is resolved on its own, so an unresolvable return annotation or an
    unrelated parameter does not break the route; the error names the parameter.
    """
    try:
        signature = inspect.signature(handler, eval_str=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Cannot inspect {_name(handler)}: {exc}") from exc
    namespace = _namespace(handler)
    hints: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        hints[name] = _evaluate(
            parameter.annotation,
            namespace,
            lambda text, exc, name=name: (  # type: ignore[misc]
                f"Cannot resolve the annotation {text!r} of parameter {name!r} of "
                f"{_name(handler)} ({_where(route, chain)}): {exc}. Import the type at module "
                "level."
            ),
        )
    return signature, hints


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _is_subclass(annotation: Any, base: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, base)


def plan_arguments(
    route: BaseRoute,
    func: Callable[..., Any] | None = None,
    overrides: Overrides | None = None,
    chain: tuple[Callable[..., Any], ...] = (),
) -> list[PlanEntry]:
    """Decide, for each parameter of the handler (or of a dependency), where it comes from.

    Raises:
        ConfigurationError: naming the handler and parameter when one cannot be bound, or the
            chain of names when dependencies form a cycle.
    """
    func = route.endpoint if func is None else func
    signature, hints = _resolve_hints(func, route, chain)
    convertors = route.template.convertors
    is_websocket = isinstance(route, WebSocketRoute)
    plan: list[tuple[str, str, Any]] = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        declared = hints.get(name, parameter.annotation)
        # ``= ...`` is FastAPI's "required" (``q: Annotated[str | None, Query()] = ...``).
        default = parameter.default
        if default is parameter.empty or default is Ellipsis:
            default = REQUIRED
        declared, marker, default = marker_of(declared, default)
        annotation = _strip_annotated(declared)
        depends = _depends_of(hints.get(name, parameter.annotation), parameter.default)
        if depends is not None and depends.dependency is None:
            depends = _annotated_dependency(depends, annotation, name, func, route, chain)
        if depends is not None:
            plan.append((name, DEPENDS, plan_dependency(route, depends, overrides, chain)))
        elif _is_subclass(annotation, HTTPConnection):
            expected = WebSocket if is_websocket else Request
            if not issubclass(expected, annotation):
                raise ConfigurationError(
                    f"Parameter {name!r} of {_name(func)} asks for {annotation.__name__}, but "
                    f"route {route.path!r} provides {expected.__name__} ({_where(route, chain)})."
                )
            plan.append((name, CONNECTION, None))
        elif _is_subclass(annotation, BackgroundTasks):
            plan.append((name, BACKGROUND, None))
        elif annotation is Response:
            if is_websocket:
                raise ConfigurationError(
                    f"Parameter {name!r} of {_name(func)} asks for a Response, which WebSocket "
                    f"route {route.path!r} does not have ({_where(route, chain)})."
                )
            plan.append((name, RESPONSE, None))
        elif marker is None and name in convertors:
            if isinstance(convertors[name], StringConvertor) and declared not in _TEXT:
                plan.append((name, PATH_CAST, _path_value(route, func, name, declared, chain)))
            else:
                plan.append((name, PATH, None))
        elif (
            marker is not None and marker.source in MODEL_SOURCES and is_parameter_model(annotation)
        ):
            reader = _model_reader(route, func, name, annotation, marker, chain)
            plan.append((name, DEPENDS, plan_dependency(route, Depends(reader), overrides, chain)))
        else:
            plan.append((name, BOUND, (declared, default, marker)))
    bodies = sum(1 for _, source, spec in plan if source == BOUND and _is_body(*spec))
    # Several body parameters are each read from the body member of their name.
    return [
        (name, source, _plan_bound(route, func, name, *spec, embed=bodies > 1, chain=chain))
        if source == BOUND
        else (name, source, spec)
        for name, source, spec in plan
    ]


# Annotations a plain ``{name}`` segment needs no conversion for.
_TEXT = (str, Any, inspect.Parameter.empty)


def _path_value(
    route: BaseRoute,
    func: Callable[..., Any],
    name: str,
    declared: Any,
    chain: tuple[Callable[..., Any], ...],
) -> PathValue:
    """Validate a plain ``{name}`` segment by its annotation, as a query value would be."""
    problem = None
    if not is_scalar(declared):
        problem = "a path segment holds one value: use a scalar type (int, UUID, an Enum...)"
    else:
        try:
            validate = compile_validator(declared, loc_prefix=("path", name), mode="text")
        except TypeError as exc:
            problem = str(exc)
    if problem is not None:
        raise ConfigurationError(
            f"Path parameter {name!r} of {_name(func)} ({_where(route, chain)}) cannot be "
            f"annotated {declared!r}: {problem}"
        )
    return PathValue(declared, validate)


def _reads_model(marker: Param | None, annotation: Any) -> bool:
    return marker is not None and marker.source in MODEL_SOURCES and is_parameter_model(annotation)


def _model_reader(
    route: BaseRoute,
    func: Callable[..., Any],
    name: str,
    model: type[Any],
    marker: Param,
    chain: tuple[Callable[..., Any], ...],
) -> Callable[..., Any]:
    """The dependency reading a parameter model's fields (``Annotated[Filters, Query()]``)."""
    try:
        return model_dependency(model, marker)
    except TypeError as exc:
        raise ConfigurationError(
            f"Parameter {name!r} of {_name(func)} ({_where(route, chain)}): {exc}"
        ) from exc


def _is_body(declared: Any, default: Any, marker: Param | None) -> bool:
    if marker is not None:
        return marker.source == "body"
    return not (
        is_scalar(declared)
        or is_many(declared)
        or is_upload(declared)
        or declared is inspect.Parameter.empty
    )


def _plan_bound(
    route: BaseRoute,
    func: Callable[..., Any],
    name: str,
    declared: Any,
    default: Any,
    marker: Param | None,
    *,
    embed: bool = False,
    chain: tuple[Callable[..., Any], ...] = (),
) -> BoundParameter:
    where = f"{_name(func)} ({_where(route, chain)})"
    if marker is not None and marker.source == "path" and name not in route.template.convertors:
        raise ConfigurationError(f"Path parameter {name!r} of {where} is not in the path.")
    if isinstance(route, WebSocketRoute) and (
        (marker is not None and marker.source == "body")
        or (marker is None and not (is_scalar(declared) or is_many(declared)))
    ):
        raise ConfigurationError(f"Parameter {name!r} of {where}: WebSockets have no body.")
    annotation = Any if declared is inspect.Parameter.empty else declared
    if embed and _is_body(declared, default, marker):
        marker = dataclasses.replace(marker or Param("body"), embed=True)
    try:
        return plan_parameter(name, annotation, default, marker, _name(func))
    except TypeError as exc:
        raise ConfigurationError(f"{exc} ({_where(route, chain)})") from exc


def plan_dependency(
    route: BaseRoute,
    depends: Depends,
    overrides: Overrides | None,
    chain: tuple[Callable[..., Any], ...],
) -> DependencyNode:
    """Plan one dependency and, recursively, its own dependencies.

    Raises:
        ConfigurationError: on a cycle, naming every dependency in it; for a parameter that
            cannot be bound, naming it and the chain of dependencies leading to it.
    """
    call = depends.dependency
    if call is None:
        raise ConfigurationError(
            f"Depends() without a dependency in {_where(route, chain)} takes the parameter's "
            "annotation as the dependency, so it only works on a handler or dependency "
            "parameter: pass the callable, Depends(get_user)."
        )
    if overrides:
        call = overrides.get(call, call)
    if call in chain:
        names = " -> ".join(_name(item) for item in (*chain, call))
        raise ConfigurationError(f"Dependency cycle in route {route.path!r}: {names}")
    # A Settings class reads the environment, never the request: Depends(AppSettings) calls
    # it with no arguments (its keyword-only options are not request parameters).
    settings = isinstance(call, type) and issubclass(call, Settings)
    plan = [] if settings else plan_arguments(route, call, overrides, (*chain, call))
    app_scoped = depends.scope == "app"
    if app_scoped:
        for name, source, spec in plan:
            if source != DEPENDS or not spec.app_scoped:
                raise ConfigurationError(
                    f"App-scoped dependency {_name(call)} cannot take {name!r}: it is created "
                    "once for the whole application, so it may only depend on other "
                    f'Depends(..., scope="app") providers ({_where(route, (*chain, call))}).'
                )
    return DependencyNode(
        call, plan, depends.use_cache, dependency_kind(call), app_scoped=app_scoped
    )


def _annotated_dependency(
    depends: Depends,
    annotation: Any,
    name: str,
    func: Callable[..., Any],
    route: BaseRoute,
    chain: tuple[Callable[..., Any], ...],
) -> Depends:
    """``Depends()`` with no argument: the parameter's annotation (a class) is the dependency."""
    if not isinstance(annotation, type):
        raise ConfigurationError(
            f"Parameter {name!r} of {_name(func)} ({_where(route, chain)}) uses Depends() "
            f"without a dependency, so its annotation must be the class to call, not "
            f"{annotation!r}: annotate it with the class, or pass the callable to Depends(...)."
        )
    return dataclasses.replace(depends, dependency=annotation)


def _depends_of(declared: Any, default: Any) -> Depends | None:
    if isinstance(default, Depends):
        return default
    if typing.get_origin(declared) is typing.Annotated:
        for extra in typing.get_args(declared)[1:]:
            if isinstance(extra, Depends):
                return extra
    return None


_NO_MODEL: Any = object()


def plan_response(route: BaseRoute) -> Callable[[Any], Any] | None:
    """The serialiser that filters a handler's result through its response model, if any.

    The model is ``response_model=`` on the route (``None`` opts out) or else the handler's
    return annotation. Only annotations containing models (dataclasses, TypedDicts, pydantic,
    msgspec) get a serialiser: that is where fields not in the model must not leak. Plain
    ``dict``/``list``/scalar annotations keep the fast path untouched, but must still be
    something the JSON layer can send. Response classes in a top-level union
    (``-> JSONResponse | Item``) are dropped: a returned Response is sent as it is.

    Raises:
        ConfigurationError: the annotation cannot be resolved or serialised.
    """
    model = route.options.get("response_model", _NO_MODEL)
    if model is _NO_MODEL:
        model = _return_annotation(route)
    model = _without_responses(model)
    if model in _UNCHECKED or _mentions(model, lambda arg: _is_subclass(arg, Response)):
        return None
    if not _contains_model(model):
        # Checked only: plain annotations keep the fast path. ``object`` is Any's alias.
        if not _mentions(model, lambda arg: arg is object):
            _serializer(route, model)
        return None
    return _serializer(route, model)


def _serializer(route: BaseRoute, model: Any) -> Callable[[Any], Any]:
    try:
        serializer: Callable[[Any], Any] = compile_serializer(model)
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


def _return_annotation(route: BaseRoute) -> Any:
    handler = route.endpoint
    try:
        annotation = inspect.signature(handler, eval_str=False).return_annotation
    except (TypeError, ValueError):
        return None
    return _evaluate(
        annotation,
        _namespace(handler) if isinstance(annotation, str) else {},
        lambda text, exc: (
            f"Cannot resolve the return annotation {text!r} of {route.handler_name} "
            f"(route {route.path!r}): {exc}. Import the type at module level, or pass "
            "response_model= (None to opt out)."
        ),
    )


def _evaluate(
    annotation: Any, namespace: dict[str, Any], message: Callable[[str, Exception], str]
) -> Any:
    """Evaluate a string annotation (as ``typing.get_type_hints`` does); others pass through."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)
    except Exception as exc:
        raise ConfigurationError(message(annotation, exc)) from exc


def _contains_model(annotation: Any) -> bool:
    if isinstance(annotation, type):
        if issubclass(annotation, Response | HTTPConnection):
            return False
        return (
            dataclasses.is_dataclass(annotation)
            or typing.is_typeddict(annotation)
            or is_pydantic_model(annotation)
            or is_msgspec_struct(annotation)
        )
    return any(_contains_model(arg) for arg in typing.get_args(annotation))
