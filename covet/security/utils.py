"""Helpers shared by the schemes (FastAPI's ``fastapi.security.utils``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """Split an ``Authorization`` value into its scheme and its parameter (``"", ""`` if none)."""
    if not authorization_header_value:
        return "", ""
    scheme, _, param = authorization_header_value.partition(" ")
    return scheme, param


def with_annotations(function: _F, returns: Any, **annotations: Any) -> _F:
    """``function`` with a signature annotating its parameters (for dependencies built at run
    time around an object, such as a scheme instance ``Depends`` must read)."""
    signature = inspect.signature(function)
    parameters = [
        parameter.replace(annotation=annotations[name])
        for name, parameter in signature.parameters.items()
    ]
    function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=returns
    )
    return function
