"""Resolving the (possibly string) annotations of handlers and dependencies."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

from covet._callables import call_target, callable_name
from covet.exceptions import ConfigurationError


def namespace_of(
    func: Callable[..., Any], extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The names ``func``'s string annotations may use: globals, closure, then ``extra``."""
    target: Any = inspect.unwrap(call_target(func))
    module = None
    if isinstance(func, type):
        # A class dependency: its annotations live in its module (an inherited __init__'s
        # module, e.g. pydantic's, must not shadow those names).
        module = sys.modules.get(func.__module__)
        cls: Any = func
        target = inspect.unwrap(cls.__init__)
    namespace: dict[str, Any] = dict(getattr(target, "__globals__", {}))
    namespace.update(vars(module) if module is not None else {})
    try:
        namespace.update(inspect.getclosurevars(target).nonlocals)
    except TypeError:
        pass
    if extra:
        namespace.update(extra)
    return namespace


def caller_namespace(depth: int = 2) -> dict[str, Any]:
    """A snapshot of the local names of the frame ``depth`` levels up, if it is a function's.

    A decorator calls it to remember where a handler was decorated, so that string
    annotations (``from __future__ import annotations``) of a handler defined inside an app
    factory or a test may name what that function imported or defined before it, as
    pydantic does for models. At module level the globals already serve, so nothing is kept.
    """
    frame: Any = sys._getframe(depth)
    # Registration done by CovetPy itself (a Controller's routes, an included copy) stands
    # for the user code that asked for it: the first frame outside the package.
    while frame is not None and frame.f_globals.get("__name__", "").startswith("covet."):
        frame = frame.f_back
    if frame is None or frame.f_locals is frame.f_globals:
        return {}
    return dict(frame.f_locals)


def evaluate(
    annotation: Any, namespace: dict[str, Any], message: Callable[[str, Exception], str]
) -> Any:
    """Evaluate a string annotation (as ``typing.get_type_hints`` does); others pass through.

    Raises:
        ConfigurationError: with ``message(text, exc)`` when the string cannot be evaluated.
    """
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)
    except Exception as exc:
        raise ConfigurationError(message(annotation, exc)) from exc


def parameter_hints(
    func: Callable[..., Any],
    where: str,
    extra: Mapping[str, Any] | None = None,
) -> tuple[inspect.Signature, dict[str, Any]]:
    """Resolve the annotations of ``func``'s parameters (not its return type).

    Each parameter is resolved on its own, so an unresolvable return annotation or an
    unrelated parameter does not break the route; the error names the parameter.

    Raises:
        ConfigurationError: the signature cannot be read or an annotation resolved.
    """
    try:
        signature = inspect.signature(func, eval_str=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"Cannot inspect {callable_name(func)}: {exc}") from exc
    namespace = namespace_of(func, extra)
    hints: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        hints[name] = evaluate(
            parameter.annotation,
            namespace,
            lambda text, exc, name=name: (  # type: ignore[misc]
                f"Cannot resolve the annotation {text!r} of parameter {name!r} of "
                f"{callable_name(func)} ({where}): {exc}. Import the type at module level, or "
                "pass it in signature_namespace= (on the route, router or app)."
            ),
        )
    return signature, hints


def return_hint(
    func: Callable[..., Any],
    message: Callable[[str, Exception], str],
    extra: Mapping[str, Any] | None = None,
) -> Any:
    """``func``'s resolved return annotation (``None`` if it has no readable signature).

    ``extra`` adds names as for :func:`parameter_hints` (where the handler was decorated,
    ``signature_namespace=``).

    Raises:
        ConfigurationError: with ``message(text, exc)`` when it cannot be resolved.
    """
    try:
        annotation = inspect.signature(func, eval_str=False).return_annotation
    except (TypeError, ValueError):
        return None
    namespace = namespace_of(func, extra) if isinstance(annotation, str) else {}
    return evaluate(annotation, namespace, message)
