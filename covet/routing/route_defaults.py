"""Options a router (or an ``include_router`` call) gives the routes it holds.

FastAPI's rule, kept here: a route's own setting wins over its router's, which wins over the
``include_router`` call's, which wins over the including router's (the app's last).
``responses`` are merged, the route's own entries winning; ``deprecated`` and a hidden
``include_in_schema`` pass down to every route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from covet.exceptions import ConfigurationError
from covet.responses.base import Response

UniqueIdFunction = Callable[[Any], str]
"""``generate_unique_id_function``: a route to its OpenAPI ``operationId``."""


@dataclass(frozen=True, slots=True)
class RouteDefaults:
    """What a router adds to each of its routes' declarations.

    Attributes:
        response_class: The class non-Response results are sent as, when the route sets none.
        responses: Extra documented responses, merged under the route's own.
        deprecated: Mark every route deprecated in the OpenAPI document.
        include_in_schema: ``False`` hides every route from the OpenAPI document.
        generate_unique_id_function: Names the operations of routes that set no
            ``operation_id`` (``route -> str``).
    """

    response_class: type[Response] | None = None
    responses: Mapping[int | str, Any] = field(default_factory=dict)
    deprecated: bool = False
    include_in_schema: bool = True
    generate_unique_id_function: UniqueIdFunction | None = None

    def __post_init__(self) -> None:
        check_response_class(self.response_class, "default_response_class")
        if not isinstance(self.responses, Mapping):
            raise ConfigurationError(
                f"responses must map status codes to response objects, not {self.responses!r}"
            )
        if self.generate_unique_id_function is not None and not callable(
            self.generate_unique_id_function
        ):
            raise ConfigurationError("generate_unique_id_function must be callable(route) -> str")

    def apply(
        self, options: dict[str, Any], include_in_schema: bool
    ) -> tuple[dict[str, Any], bool]:
        """A route's ``options`` and ``include_in_schema`` with these defaults filled in."""
        check_response_class(options.get("response_class"), "response_class")
        extra = options.get("openapi_extra")
        if extra is not None and not isinstance(extra, Mapping):
            raise ConfigurationError(f"openapi_extra must be a dict, not {extra!r}")
        merged = dict(options)
        if self.response_class is not None:
            merged.setdefault("response_class", self.response_class)
        if self.generate_unique_id_function is not None:
            merged.setdefault("generate_unique_id_function", self.generate_unique_id_function)
        if self.responses:
            merged["responses"] = {**self.responses, **options.get("responses", {})}
        if self.deprecated:
            merged["deprecated"] = True
        return merged, include_in_schema and self.include_in_schema


def check_response_class(response_class: Any, option: str) -> None:
    """Refuse a ``response_class`` that is not a :class:`~covet.responses.Response` subclass.

    Raises:
        ConfigurationError: naming ``option``.
    """
    if response_class is None:
        return
    if not isinstance(response_class, type) or not issubclass(response_class, Response):
        raise ConfigurationError(
            f"{option} must be a Response subclass (HTMLResponse, PlainTextResponse, ...), "
            f"not {response_class!r}"
        )
