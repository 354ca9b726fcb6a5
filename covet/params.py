"""Parameter markers: say where a handler parameter comes from and how it is constrained.

Use them as defaults (``limit: int = Query(20, ge=1)``) or inside ``Annotated``
(``limit: Annotated[int, Query(ge=1)] = 20``). Without a marker, a parameter named in the path
is a path parameter, a scalar (or a list of scalars) is a query parameter, and a model
(dataclass, TypedDict, pydantic or msgspec) is the JSON body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from covet.exceptions import ConfigurationError
from covet.validation import Constraints


class _Required:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final[Any] = _Required()
"""The default of a parameter that must be supplied."""


@dataclass(frozen=True, slots=True)
class Param:
    """Where a parameter comes from, plus its documentation and constraints.

    Attributes:
        source: ``"path"``, ``"query"``, ``"header"``, ``"cookie"``, ``"body"``, ``"form"``
            or ``"file"``.
        default: The value used when the client sends none (``REQUIRED``, or ``...`` as
            FastAPI writes it, if none).
        alias: The name on the wire, when it differs from the parameter name.
        description: Documentation (used by OpenAPI).
        examples: Example values (used by OpenAPI).
        deprecated: Whether to mark the parameter deprecated in the docs.
        constraints: Limits on the converted value.
        embed: For a body parameter, read it from ``body[name]`` instead of the whole body.
        title: The ``title`` of the parameter's schema (used by OpenAPI).
        include_in_schema: ``False`` leaves the parameter out of the OpenAPI document (it is
            still read and validated).
        openapi_examples: Named OpenAPI Example Objects (``{"normal": {"summary": ...,
            "value": ...}}``), shown by Swagger UI in a drop-down.
        convert_underscores: For a header, read ``x_token`` from ``X-Token`` (``False``:
            from ``x_token`` itself).
    """

    source: str
    default: Any = REQUIRED
    alias: str | None = None
    description: str | None = None
    examples: list[Any] | None = None
    deprecated: bool = False
    constraints: Constraints | None = None
    embed: bool = False
    title: str | None = None
    include_in_schema: bool = True
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None
    convert_underscores: bool = True

    def __post_init__(self) -> None:
        # FastAPI's spelling of "required" is an Ellipsis default (``Query(...)``).
        if self.default is Ellipsis:
            object.__setattr__(self, "default", REQUIRED)
        if self.openapi_examples is not None:
            _check_examples(self.openapi_examples)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        """Let pydantic enforce this marker's constraints (e.g. on a dataclass field inside a
        pydantic model); only pydantic calls this."""
        if self.constraints is None:
            return handler(source)
        return self.constraints.__get_pydantic_core_schema__(source, handler)


_EXAMPLE_KEYS = frozenset({"summary", "description", "value", "externalValue"})


def _check_examples(examples: Any) -> None:
    if not isinstance(examples, Mapping) or not all(
        isinstance(name, str) and isinstance(example, Mapping) for name, example in examples.items()
    ):
        raise ConfigurationError(
            "openapi_examples must map names to OpenAPI Example Objects, e.g. "
            '{"normal": {"summary": "A normal item", "value": {...}}}'
        )
    for name, example in examples.items():
        unknown = {key for key in example if not str(key).startswith("x-")} - _EXAMPLE_KEYS
        if unknown:
            raise ConfigurationError(
                f"openapi_examples[{name!r}] has unknown keys {sorted(unknown)}; an Example "
                f"Object takes {sorted(_EXAMPLE_KEYS)} (and x- extensions)"
            )
        # Imported here: markers are built long after covet is imported, and only a marker
        # with examples needs the OpenAPI layer.
        from covet.openapi.schema import json_value

        try:
            json_value(example)
        except TypeError as exc:
            raise ConfigurationError(
                f"openapi_examples[{name!r}] must hold JSON data (dicts, lists, strings, "
                f"numbers...): {exc}"
            ) from None


def _marker(
    source: str,
    default: Any = REQUIRED,
    *,
    alias: str | None,
    description: str | None,
    examples: list[Any] | None,
    deprecated: bool,
    title: str | None,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None,
    include_in_schema: bool = True,
    embed: bool = False,
    convert_underscores: bool = True,
    **limits: Any,
) -> Any:
    given = {name: value for name, value in limits.items() if value is not None}
    constraints = Constraints(**given) if given else None
    return Param(
        source,
        default,
        alias=alias,
        description=description,
        examples=examples,
        deprecated=deprecated,
        constraints=constraints,
        embed=embed,
        title=title,
        include_in_schema=include_in_schema,
        openapi_examples=openapi_examples,
        convert_underscores=convert_underscores,
    )


def Path(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Any:
    """Mark a path parameter (with constraints and documentation)."""
    return _marker("path", **locals())


def Query(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    include_in_schema: bool = True,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Any:
    """Mark a query-string parameter; ``list[X]`` annotations collect repeated keys."""
    return _marker("query", **locals())


def Header(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    include_in_schema: bool = True,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    convert_underscores: bool = True,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Any:
    """Mark a header; ``x_token`` reads ``X-Token`` (unless ``alias``, or
    ``convert_underscores=False``: then ``x_token``)."""
    return _marker("header", **locals())


def Cookie(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    include_in_schema: bool = True,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Any:
    """Mark a cookie."""
    return _marker("cookie", **locals())


def Body(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    include_in_schema: bool = True,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    embed: bool = False,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Any:
    """Mark a JSON body parameter; with ``embed=True`` it is read from ``body[name]``."""
    return _marker("body", **locals())


@dataclass(frozen=True, slots=True)
class Depends:
    """Inject the result of ``dependency`` (resolved per request, then cached).

    ``dependency`` is any callable whose own parameters are bound like a handler's (query,
    headers, body, ``Request``, other ``Depends``...). Async and sync functions work (sync ones
    run in the thread pool); generator functions are set up before the handler and torn down
    after the response, seeing the handler's exception if it raised.

    With ``scope="app"`` the value is created once for the whole application (by the lifespan,
    before serving, for the providers routes use), shared by every request, and torn down at
    shutdown in reverse order of creation; such a dependency may only depend on other
    app-scoped ones. With ``scope="function"`` a generator dependency is torn down as soon as
    the handler returns (or raises), before the response is sent, so what it does there (a
    commit) can still fail the request; FastAPI spells it the same way.

    Without ``dependency`` (``commons: Annotated[CommonParams, Depends()]`` or
    ``commons: CommonParams = Depends()``) the parameter's annotation is the dependency:
    the class is called with its ``__init__`` parameters bound from the request.

    Attributes:
        dependency: The callable to run (``None``: the parameter's annotation).
        use_cache: Reuse the value when the same dependency is needed again in one request.
        scope: ``"request"`` (default), ``"app"`` or ``"function"``.
    """

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True
    scope: Literal["request", "app", "function"] = "request"

    def __post_init__(self) -> None:
        if self.scope not in ("request", "app", "function"):
            raise ConfigurationError(
                f"Depends scope must be 'request', 'app' or 'function', not {self.scope!r}"
            )


@dataclass(frozen=True, slots=True)
class Security(Depends):
    """Inject ``dependency`` as :class:`Depends` does, requiring OAuth2 ``scopes`` of it.

    The scopes add to those of every ``Security`` above it in the dependency chain; a
    :class:`SecurityScopes` parameter of the dependency (or of any dependency below it)
    receives them all, and the OpenAPI document lists them in the operation's security
    requirement of the scheme the chain ends in.

    Attributes:
        scopes: The scopes this use of the dependency requires.
    """

    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        Depends.__post_init__(self)
        scopes: Any = self.scopes  # a list, as FastAPI's users write it
        if isinstance(scopes, str) or not all(isinstance(scope, str) for scope in scopes or ()):
            raise ConfigurationError(
                f"Security scopes must be a list of strings, e.g. scopes=['items'], not {scopes!r}"
            )
        object.__setattr__(self, "scopes", tuple(scopes or ()))


class SecurityScopes:
    """The OAuth2 scopes required by the ``Security(..., scopes=)`` chain above a dependency.

    Declare a parameter of this type in a dependency to receive them.

    Attributes:
        scopes: Every scope required, outermost ``Security`` first.
        scope_str: The scopes separated by spaces, as a ``WWW-Authenticate`` header's
            ``scope="..."`` takes them.
    """

    __slots__ = ("scope_str", "scopes")

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = list(scopes or ())
        self.scope_str: str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"


def Form(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    include_in_schema: bool = True,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Any:
    """Mark a form field (urlencoded or multipart); ``list[X]`` collects repeated fields.

    Values are strings converted like query parameters (``age: int = Form()`` accepts
    ``"42"``). A handler with form parameters does not read a JSON body: the request body is
    the form.
    """
    return _marker("form", **locals())


def File(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    title: str | None = None,
    include_in_schema: bool = True,
    openapi_examples: Mapping[str, Mapping[str, Any]] | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Any:
    """Mark an uploaded file of a multipart form.

    Annotate it :class:`~covet.forms.UploadFile` for the upload itself, ``bytes`` for its
    whole content, or ``list[UploadFile]`` / ``list[bytes]`` for every file sent under the key.
    ``min_length`` and ``max_length`` bound each file's size in bytes (422 outside them).
    """
    return _marker(
        "file",
        default,
        alias=alias,
        description=description,
        examples=examples,
        deprecated=deprecated,
        title=title,
        include_in_schema=include_in_schema,
        openapi_examples=openapi_examples,
        min_length=min_length,
        max_length=max_length,
    )
