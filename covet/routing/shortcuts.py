"""``get``/``post``/... decorators shared by the Router and the application."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class MethodShortcuts(abc.ABC):
    """Per-method decorators, all defined in terms of :meth:`route`.

    Each takes the path and the options of :meth:`Router.route <covet.routing.Router.route>`,
    which describes them.
    """

    @abc.abstractmethod
    def route(
        self, path: str, *, methods: Iterable[str] = ("GET",), **kwargs: Any
    ) -> Callable[[_F], _F]:
        """Register the decorated handler for ``methods`` on ``path``."""

    def get(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a GET handler (it answers HEAD too)."""
        return self.route(path, methods=("GET",), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a POST handler."""
        return self.route(path, methods=("POST",), **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a PUT handler."""
        return self.route(path, methods=("PUT",), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a PATCH handler."""
        return self.route(path, methods=("PATCH",), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a DELETE handler."""
        return self.route(path, methods=("DELETE",), **kwargs)

    def head(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register a HEAD handler."""
        return self.route(path, methods=("HEAD",), **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Register an OPTIONS handler (replacing the automatic ``Allow`` answer)."""
        return self.route(path, methods=("OPTIONS",), **kwargs)


# Every shortcut's docstring ends with the options it passes on to ``route``, kept in one place
# (tests/examples/test_docs.py checks the list names every route option).
_OPTIONS_DOC = """

        Options (see :meth:`route`): ``status_code``, ``response_model``, ``tags``,
        ``dependencies``, ``summary``, ``description``, ``response_description``, ``responses``,
        ``operation_id``, ``deprecated``, ``name``, ``middleware``, ``include_in_schema``,
        ``max_body_size``, ``opt``, ``response_model_include``, ``response_model_exclude``,
        ``response_model_exclude_unset``, ``response_model_exclude_none``,
        ``response_model_by_alias``, ``response_class``, ``openapi_extra``,
        ``generate_unique_id_function``.
        """
for _shortcut in (
    MethodShortcuts.get,
    MethodShortcuts.post,
    MethodShortcuts.put,
    MethodShortcuts.patch,
    MethodShortcuts.delete,
    MethodShortcuts.head,
    MethodShortcuts.options,
):
    _shortcut.__doc__ = (_shortcut.__doc__ or "") + _OPTIONS_DOC
del _shortcut
