"""What dependencies add to the OpenAPI document: security schemes, requirements, responses.

A dependency (a function, a class or a callable object) contributes by exposing
``openapi_contribution()`` returning an :class:`OpenAPIContribution`; every operation whose
plan uses it, at any depth, gets its security requirements and responses, and the document
gets its security schemes. A dependency reached through ``Security(..., scopes=[...])`` (at any
depth above it) requires those scopes too: they are added to each of its requirements, as
FastAPI lists them. An API-key header dependency, say::

    class APIKeyHeader:
        def __init__(self, name: str) -> None:
            self.name = name

        def openapi_contribution(self) -> OpenAPIContribution:
            scheme = {"type": "apiKey", "in": "header", "name": self.name}
            return OpenAPIContribution({"ApiKey": scheme}, security=[{"ApiKey": []}])

        def __call__(self, request: Request) -> str: ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from covet._callables import callable_name
from covet.di.plan import Plan
from covet.exceptions import ConfigurationError


@dataclass(frozen=True, slots=True)
class OpenAPIContribution:
    """What one dependency adds to the document.

    Attributes:
        security_schemes: ``components.securitySchemes`` entries by name; a name declared
            twice must be declared identically.
        security: Security requirement objects (``{"ApiKey": []}``) added to each operation
            that uses the dependency.
        responses: Responses by status code (``{429: {"description": "Too many"}}``) added
            to each such operation, unless the route documents that status itself.
    """

    security_schemes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    security: Sequence[Mapping[str, Sequence[str]]] = ()
    responses: Mapping[int | str, Mapping[str, Any]] = field(default_factory=dict)


@runtime_checkable
class ContributesToOpenAPI(Protocol):
    """A dependency that adds to the OpenAPI document of the operations using it."""

    def openapi_contribution(self) -> OpenAPIContribution:
        """Return what this dependency adds to the document."""


def contributions(plan: Plan) -> list[tuple[str, OpenAPIContribution]]:
    """``(dependency name, contribution)`` of every contributing dependency in ``plan``.

    The scopes a dependency is reached with are added to its security requirements.

    Raises:
        ConfigurationError: ``openapi_contribution`` cannot be called without arguments or
            returns something else than an :class:`OpenAPIContribution`.
    """
    found = []
    seen: set[tuple[int, tuple[str, ...]]] = set()
    for node in plan.dependencies():
        hook = getattr(node.call, "openapi_contribution", None)
        if hook is None or (id(node.call), node.scopes) in seen:
            continue
        seen.add((id(node.call), node.scopes))
        name = callable_name(node.call)
        try:
            contribution = hook()
        except TypeError as exc:
            raise ConfigurationError(
                f"openapi_contribution of dependency {name} must be callable without "
                f"arguments (a method of an instance, or a classmethod of a class): {exc}"
            ) from exc
        if not isinstance(contribution, OpenAPIContribution):
            raise ConfigurationError(
                f"openapi_contribution of dependency {name} returned {contribution!r}, not an "
                "OpenAPIContribution."
            )
        if node.scopes:
            contribution = _with_scopes(contribution, node.scopes)
        found.append((name, contribution))
    return found


def _with_scopes(contribution: OpenAPIContribution, scopes: Sequence[str]) -> OpenAPIContribution:
    security = [
        {
            name: [*declared, *(scope for scope in scopes if scope not in declared)]
            for name, declared in requirement.items()
        }
        for requirement in contribution.security
    ]
    return OpenAPIContribution(contribution.security_schemes, security, contribution.responses)


class SecuritySchemes:
    """The document's ``components.securitySchemes``, refusing conflicting definitions."""

    def __init__(self) -> None:
        self.schemes: dict[str, dict[str, Any]] = {}
        self._declared_by: dict[str, str] = {}

    def add(self, dependency: str, schemes: Mapping[str, Mapping[str, Any]]) -> None:
        """Add ``dependency``'s schemes.

        Raises:
            ConfigurationError: a scheme of the same name was declared differently.
        """
        for name, scheme in schemes.items():
            scheme = dict(scheme)
            existing = self.schemes.setdefault(name, scheme)
            if existing != scheme:
                raise ConfigurationError(
                    f"Security scheme {name!r} is declared differently by dependencies "
                    f"{self._declared_by[name]} ({existing!r}) and {dependency} ({scheme!r}): "
                    "give each its own name."
                )
            self._declared_by.setdefault(name, dependency)


def apply(
    operation: dict[str, Any],
    found: Sequence[tuple[str, OpenAPIContribution]],
    schemes: SecuritySchemes,
) -> None:
    """Merge the contributions of one operation's dependencies into it (and ``schemes``)."""
    security: list[dict[str, list[str]]] = []
    for dependency, contribution in found:
        schemes.add(dependency, contribution.security_schemes)
        for requirement in contribution.security:
            item = {name: list(scopes) for name, scopes in requirement.items()}
            if item not in security:
                security.append(item)
        responses = operation.setdefault("responses", {})
        for status, response in contribution.responses.items():
            responses.setdefault(str(status), dict(response))
    if security:
        operation["security"] = security


__all__ = ["ContributesToOpenAPI", "OpenAPIContribution"]
