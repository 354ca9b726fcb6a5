"""Planning, at start-up, where every argument of a handler or dependency comes from."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from covet._callables import call_kind, callable_name
from covet.background import BackgroundTasks
from covet.di.annotations import parameter_hints
from covet.di.binding import (
    is_many,
    is_scalar,
    is_upload,
    marker_of,
    plan_parameter,
)
from covet.di.param_models import SOURCES as MODEL_SOURCES
from covet.di.param_models import is_parameter_model, model_dependency
from covet.di.plan import (
    ConnectionKind,
    DependencyNode,
    PathValue,
    Plan,
    PlanContext,
    PlanEntry,
    Source,
    is_torn_down_before_response,
)
from covet.exceptions import ConfigurationError, MissingDependencyError
from covet.params import REQUIRED, Depends, Param, Security, SecurityScopes
from covet.requests import HTTPConnection, Request
from covet.responses.base import Response
from covet.settings import Settings
from covet.validation import compile_validator
from covet.websockets import WebSocket

Overrides = Mapping[Callable[..., Any], Callable[..., Any]]
Chain = tuple[Callable[..., Any], ...]


def where(context: PlanContext, chain: Chain = ()) -> str:
    """``route '/x'``, plus the dependency chain that leads to the callable being planned."""
    if not chain:
        return context.name
    names = [callable_name(item) for item in chain]
    if context.owner is not None and chain[0] is not context.owner:
        names.insert(0, callable_name(context.owner))
    return f"{context.name}, via {' -> '.join(names)}"


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _is_subclass(annotation: Any, base: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, base)


# A bound parameter before the body count is known: (declared, default, marker).
_Pending = tuple[Any, Any, Param | None]


def plan_handler(
    context: PlanContext,
    handler: Callable[..., Any],
    overrides: Overrides | None = None,
    dependencies: Sequence[Depends] = (),
) -> Plan:
    """Plan a handler and the dependencies run for their effect before it (``dependencies=``).

    Raises:
        ConfigurationError: an entry of ``dependencies`` is not a ``Depends``, or anything
            :func:`plan_callable` refuses.
    """
    for depends in dependencies:
        if not isinstance(depends, Depends):
            raise ConfigurationError(
                f"dependencies= of {context.name} must hold Depends(...), got {depends!r}"
            )
    entries = plan_callable(context, handler, overrides)
    effects = [plan_dependency(context, depends, overrides) for depends in dependencies]
    plan = Plan(entries, effects)
    _check_path_taken(context, handler, plan)
    return plan


def _check_path_taken(context: PlanContext, handler: Callable[..., Any], plan: Plan) -> None:
    """Refuse a path parameter nobody takes while an unmarked parameter falls to the query.

    ``/items/{item_id}`` with ``def read(id: int)`` is a misspelling: ``id`` would silently
    become a required query parameter and ``item_id`` be ignored. A path parameter is taken
    when the handler or any dependency in its plan reads it.
    """
    taken: set[str] = set()
    queried: list[tuple[Callable[..., Any], str]] = []

    def walk(call: Callable[..., Any], entries: list[PlanEntry]) -> None:
        for entry in entries:
            if entry.source in (Source.PATH_CONVERTED, Source.PATH_VALIDATED):
                taken.add(entry.name)
            elif entry.parameter is not None and entry.parameter.source is Source.PATH:
                taken.add(entry.parameter.key)
            elif entry.parameter is not None and entry.parameter.marker is None:
                if entry.parameter.source is Source.QUERY:
                    queried.append((call, entry.name))
            elif entry.dependency is not None:
                walk(entry.dependency.call, entry.dependency.plan)

    walk(handler, plan.entries)
    for node in plan.effects:
        walk(node.call, node.plan)
    untaken = sorted(context.path_params - taken)
    if untaken and queried:
        call, name = queried[0]
        raise ConfigurationError(
            f"Path parameter {untaken[0]!r} of {context.name} is taken by no parameter of "
            f"{callable_name(handler)} or its dependencies, while parameter {name!r} of "
            f"{callable_name(call)} would be read from the query string: rename it "
            f"{untaken[0]!r} to take the path value, or mark it Query() if it is meant to "
            "be a query parameter."
        )


def plan_callable(
    context: PlanContext,
    func: Callable[..., Any],
    overrides: Overrides | None = None,
    chain: Chain = (),
    scopes: tuple[str, ...] = (),
) -> list[PlanEntry]:
    """Decide, for each parameter of a handler (or of a dependency), where it comes from.

    ``scopes`` are those the ``Security(..., scopes=)`` chain down to ``func`` requires: a
    ``SecurityScopes`` parameter receives them, and the dependencies below inherit them.

    Raises:
        ConfigurationError: naming the callable and parameter when one cannot be bound, or
            the chain of names when dependencies form a cycle.
    """
    signature, hints = parameter_hints(func, where(context, chain), context.namespace)
    is_websocket = context.connection is ConnectionKind.WEBSOCKET
    plan: list[PlanEntry | tuple[str, _Pending]] = []
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
            depends = _annotated_dependency(depends, annotation, name, func, context, chain)
        if depends is not None:
            node = plan_dependency(context, depends, overrides, chain, scopes)
            plan.append(PlanEntry(name, Source.DEPENDENCY, dependency=node))
        elif annotation is SecurityScopes:
            plan.append(PlanEntry(name, Source.SECURITY_SCOPES, scopes=scopes))
        elif _is_subclass(annotation, HTTPConnection):
            expected = WebSocket if is_websocket else Request
            if not issubclass(expected, annotation):
                raise ConfigurationError(
                    f"Parameter {name!r} of {callable_name(func)} asks for "
                    f"{annotation.__name__}, but {context.name} provides {expected.__name__} "
                    f"({where(context, chain)})."
                )
            plan.append(PlanEntry(name, Source.CONNECTION))
        elif _is_subclass(annotation, BackgroundTasks):
            plan.append(PlanEntry(name, Source.BACKGROUND))
        elif annotation is Response:
            if is_websocket:
                raise ConfigurationError(
                    f"Parameter {name!r} of {callable_name(func)} asks for a Response, which "
                    f"WebSocket {context.name} does not have ({where(context, chain)})."
                )
            plan.append(PlanEntry(name, Source.RESPONSE))
        elif marker is None and name in context.path_params:
            if name in context.text_path_params and declared not in _TEXT:
                value = _path_value(context, func, name, declared, chain)
                plan.append(PlanEntry(name, Source.PATH_VALIDATED, path_value=value))
            else:
                plan.append(PlanEntry(name, Source.PATH_CONVERTED))
        elif (
            marker is not None and marker.source in MODEL_SOURCES and is_parameter_model(annotation)
        ):
            reader = _model_reader(context, func, name, annotation, marker, chain)
            node = plan_dependency(context, Depends(reader), overrides, chain)
            plan.append(PlanEntry(name, Source.DEPENDENCY, dependency=node))
        else:
            plan.append((name, (declared, default, marker)))
    bodies = sum(1 for item in plan if isinstance(item, tuple) and _is_body(*item[1]))
    # Several body parameters are each read from the body member of their name.
    return [
        _plan_bound(context, func, item[0], *item[1], bodies > 1, chain)
        if isinstance(item, tuple)
        else item
        for item in plan
    ]


# Annotations a plain ``{name}`` segment needs no conversion for.
_TEXT = (str, Any, inspect.Parameter.empty)


def _path_value(
    context: PlanContext, func: Callable[..., Any], name: str, declared: Any, chain: Chain
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
            f"Path parameter {name!r} of {callable_name(func)} ({where(context, chain)}) "
            f"cannot be annotated {declared!r}: {problem}"
        )
    return PathValue(declared, validate)


def _model_reader(
    context: PlanContext,
    func: Callable[..., Any],
    name: str,
    model: type[Any],
    marker: Param,
    chain: Chain,
) -> Callable[..., Any]:
    """The dependency reading a parameter model's fields (``Annotated[Filters, Query()]``)."""
    try:
        return model_dependency(model, marker)
    except TypeError as exc:
        raise ConfigurationError(
            f"Parameter {name!r} of {callable_name(func)} ({where(context, chain)}): {exc}"
        ) from exc


def _is_body(declared: Any, default: Any, marker: Param | None) -> bool:
    if marker is not None:
        return marker.source == Source.BODY
    return not (
        is_scalar(declared)
        or is_many(declared)
        or is_upload(declared)
        or declared is inspect.Parameter.empty
    )


def _plan_bound(
    context: PlanContext,
    func: Callable[..., Any],
    name: str,
    declared: Any,
    default: Any,
    marker: Param | None,
    embed: bool,
    chain: Chain,
) -> PlanEntry:
    location = f"{callable_name(func)} ({where(context, chain)})"
    if marker is not None and marker.source == Source.PATH and name not in context.path_params:
        raise ConfigurationError(f"Path parameter {name!r} of {location} is not in the path.")
    if context.connection is ConnectionKind.WEBSOCKET and (
        (marker is not None and marker.source == Source.BODY)
        or (marker is None and not (is_scalar(declared) or is_many(declared)))
    ):
        raise ConfigurationError(f"Parameter {name!r} of {location}: WebSockets have no body.")
    annotation = Any if declared is inspect.Parameter.empty else declared
    if embed and _is_body(declared, default, marker):
        marker = dataclasses.replace(marker or Param("body"), embed=True)
    try:
        parameter = plan_parameter(name, annotation, default, marker, callable_name(func))
    except TypeError as exc:
        raise ConfigurationError(f"{exc} ({where(context, chain)})") from exc
    except MissingDependencyError as exc:
        raise MissingDependencyError(f"{exc} ({where(context, chain)})") from exc
    return PlanEntry(name, parameter.source, parameter=parameter)


def plan_dependency(
    context: PlanContext,
    depends: Depends,
    overrides: Overrides | None = None,
    chain: Chain = (),
    scopes: tuple[str, ...] = (),
) -> DependencyNode:
    """Plan one dependency and, recursively, its own dependencies.

    ``scopes`` are those required above it; a :class:`~covet.params.Security` adds its own.

    Raises:
        ConfigurationError: on a cycle, naming every dependency in it; for a parameter that
            cannot be bound, naming it and the chain of dependencies leading to it.
    """
    call = depends.dependency
    if call is None:
        raise ConfigurationError(
            f"Depends() without a dependency in {where(context, chain)} takes the parameter's "
            "annotation as the dependency, so it only works on a handler or dependency "
            "parameter: pass the callable, Depends(get_user)."
        )
    if overrides:
        call = overrides.get(call, call)
    if call in chain:
        names = " -> ".join(callable_name(item) for item in (*chain, call))
        raise ConfigurationError(f"Dependency cycle in {context.name}: {names}")
    # A Settings class reads the environment, never the request: Depends(AppSettings) calls
    # it with no arguments (its keyword-only options are not request parameters).
    settings = isinstance(call, type) and issubclass(call, Settings)
    if isinstance(depends, Security):
        scopes = (*scopes, *(scope for scope in depends.scopes if scope not in scopes))
    plan = [] if settings else plan_callable(context, call, overrides, (*chain, call), scopes)
    app_scoped = depends.scope == "app"
    if app_scoped:
        for entry in plan:
            if entry.dependency is None or not entry.dependency.app_scoped:
                raise ConfigurationError(
                    f"App-scoped dependency {callable_name(call)} cannot take {entry.name!r}: "
                    "it is created once for the whole application, so it may only depend on "
                    'other Depends(..., scope="app") providers '
                    f"({where(context, (*chain, call))})."
                )
    before = depends.scope == "function" or is_torn_down_before_response(call)
    return DependencyNode(
        call,
        plan,
        depends.use_cache,
        call_kind(call),
        app_scoped=app_scoped,
        before_response=before,
        scopes=scopes,
    )


def _annotated_dependency(
    depends: Depends,
    annotation: Any,
    name: str,
    func: Callable[..., Any],
    context: PlanContext,
    chain: Chain,
) -> Depends:
    """``Depends()`` with no argument: the parameter's annotation (a class) is the dependency."""
    if not isinstance(annotation, type):
        raise ConfigurationError(
            f"Parameter {name!r} of {callable_name(func)} ({where(context, chain)}) uses "
            f"Depends() without a dependency, so its annotation must be the class to call, not "
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
