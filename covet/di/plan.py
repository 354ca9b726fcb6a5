"""What a plan is made of: where each argument comes from, and what the callable is planned for.

A plan is computed once, at start-up, for a handler or a dependency; per request, the
resolution (:mod:`covet.di.resolution`) only executes it.
"""

from __future__ import annotations

import enum
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from covet._callables import CallKind

if TYPE_CHECKING:
    from covet.di.binding import BoundParameter

_C = TypeVar("_C", bound=Callable[..., Any])


class Source(enum.StrEnum):
    """Where one planned argument comes from.

    The first group is bound from the request by :mod:`covet.di.binding`; their values are
    the marker vocabulary (``Query()`` is ``Param("query")``), so a marker's ``source`` string
    converts with ``Source(marker.source)``. The others need no binding.
    """

    PATH = "path"
    """A ``Path()``-marked parameter: the segment's text, validated by its annotation."""
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"
    """The whole JSON body."""
    BODY_FIELD = "body_field"
    """One member of a JSON body object (several body parameters, or ``embed=True``)."""
    FORM = "form"
    FILE = "file"

    PATH_CONVERTED = "path_converted"
    """An unmarked path parameter, as the route's convertor produced it."""
    PATH_VALIDATED = "path_validated"
    """An unmarked plain ``{name}`` segment validated by a non-text annotation (``int``...)."""
    CONNECTION = "connection"
    BACKGROUND = "background"
    RESPONSE = "response"
    DEPENDENCY = "dependency"
    SECURITY_SCOPES = "security_scopes"
    """A :class:`~covet.params.SecurityScopes` parameter: the scopes of the chain above."""

    @property
    def is_bound(self) -> bool:
        """Whether values of this source are read from the request by binding."""
        return self in BOUND_SOURCES


BOUND_SOURCES = frozenset(
    {
        Source.PATH,
        Source.QUERY,
        Source.HEADER,
        Source.COOKIE,
        Source.BODY,
        Source.BODY_FIELD,
        Source.FORM,
        Source.FILE,
    }
)


class ConnectionKind(enum.Enum):
    """The connection a planned callable is served on."""

    HTTP = "http"
    WEBSOCKET = "websocket"
    NONE = "none"
    """Outside any request: scripts, the container, background jobs."""


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What a callable is planned against.

    Attributes:
        name: Where the callable is used, for error messages (``"route '/items/{id}'"``).
        path_params: The path parameter names available to it.
        text_path_params: Those of ``path_params`` whose value is the segment's text (no
            convertor): an annotation such as ``int`` validates them.
        connection: The connection the callable runs on.
        owner: The top-level callable (a route's handler), named in the chain of messages
            about its dependencies.
        namespace: Extra names for string annotations (``signature_namespace=``), consulted
            after the callable's own module, closure and decoration-time locals.
    """

    name: str
    path_params: frozenset[str] = frozenset()
    text_path_params: frozenset[str] = frozenset()
    connection: ConnectionKind = ConnectionKind.HTTP
    owner: Callable[..., Any] | None = None
    namespace: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PathValue:
    """A plain ``{name}`` path segment converted and validated by its annotation."""

    annotation: Any
    validate: Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """Where one parameter of a planned callable gets its value.

    Exactly one of ``parameter`` (bound sources), ``dependency`` (``DEPENDENCY``),
    ``path_value`` (``PATH_VALIDATED``) and ``scopes`` (``SECURITY_SCOPES``) is set, or none
    for the sources that need nothing.
    """

    name: str
    source: Source
    parameter: BoundParameter | None = None
    dependency: DependencyNode | None = None
    path_value: PathValue | None = None
    scopes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Arguments:
    """A callable's plan entries grouped by how the resolution produces them.

    Per request, :class:`~covet.di.resolution.Resolution` walks each group once, in this
    order (direct values, dependencies in plan order, then one binding of every bound
    parameter), instead of testing every entry's source several times.
    """

    direct: tuple[PlanEntry, ...]
    dependencies: tuple[tuple[str, DependencyNode], ...]
    bound: tuple[BoundParameter, ...]

    @classmethod
    def of(cls, entries: list[PlanEntry]) -> Arguments:
        """Group ``entries`` (keeping their order within each group)."""
        return cls(
            tuple(e for e in entries if e.parameter is None and e.dependency is None),
            tuple((e.name, e.dependency) for e in entries if e.dependency is not None),
            tuple(e.parameter for e in entries if e.parameter is not None),
        )


_BEFORE_RESPONSE: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def teardown_before_response(call: _C) -> _C:
    """Mark a generator dependency to be torn down before the response is sent.

    As if every ``Depends(call)`` said ``scope="function"``: the code after its ``yield`` runs
    when the handler returns (or raises), so an error raised there (a failed commit) is the
    response the client gets. Returns ``call`` (usable as a decorator).
    """
    _BEFORE_RESPONSE.add(call)
    return call


def is_torn_down_before_response(call: Callable[..., Any]) -> bool:
    """Whether :func:`teardown_before_response` marked ``call``."""
    try:
        return call in _BEFORE_RESPONSE
    except TypeError:  # not weak-referenceable: never marked
        return False


@dataclass(eq=False, slots=True)
class DependencyNode:
    """A dependency planned at start-up: what to call and how to get its arguments.

    ``scopes`` are the OAuth2 scopes the ``Security(..., scopes=)`` chain down to this
    dependency requires (its own last). A request caches the value by ``cache_key``: the
    callable, plus those scopes when there are any (as FastAPI does), so one dependency
    reached with different scopes runs once for each.
    """

    call: Callable[..., Any]
    plan: list[PlanEntry]
    use_cache: bool
    kind: CallKind
    app_scoped: bool = False
    before_response: bool = False
    scopes: tuple[str, ...] = ()
    arguments: Arguments = field(init=False, repr=False)
    cache_key: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.arguments = Arguments.of(self.plan)
        self.cache_key = (self.call, self.scopes) if self.scopes else self.call


@dataclass(frozen=True, slots=True)
class Plan:
    """A handler's whole plan: what runs for its effect first, then its own arguments.

    Attributes:
        entries: The handler's parameters, in signature order.
        effects: The ``dependencies=`` of the app, router and route, run first, in order.
    """

    entries: list[PlanEntry]
    effects: list[DependencyNode] = field(default_factory=list)

    def dependencies(self) -> list[DependencyNode]:
        """Every dependency at any depth, each once, effects first, providers before users."""
        found: dict[int, DependencyNode] = {}

        def walk(node: DependencyNode) -> None:
            for entry in node.plan:
                if entry.dependency is not None:
                    walk(entry.dependency)
            found.setdefault(id(node), node)

        for node in self.effects:
            walk(node)
        for entry in self.entries:
            if entry.dependency is not None:
                walk(entry.dependency)
        return list(found.values())

    def app_scoped(self) -> list[DependencyNode]:
        """The ``Depends(..., scope="app")`` providers at any depth, each callable once."""
        found: dict[Callable[..., Any], DependencyNode] = {}
        for node in self.dependencies():
            if node.app_scoped:
                found.setdefault(node.call, node)
        return list(found.values())

    @property
    def needs_teardown(self) -> bool:
        """Whether a dependency at any depth is a generator (torn down after the response)."""
        return any(node.kind.is_generator for node in self.dependencies())

    @property
    def tears_down_early(self) -> bool:
        """Whether a generator dependency is torn down before the response (``"function"``)."""
        return any(node.before_response and node.kind.is_generator for node in self.dependencies())


__all__ = [
    "BOUND_SOURCES",
    "Arguments",
    "ConnectionKind",
    "DependencyNode",
    "PathValue",
    "Plan",
    "PlanContext",
    "PlanEntry",
    "Source",
    "is_torn_down_before_response",
    "teardown_before_response",
]
