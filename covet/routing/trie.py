"""Segment trie: route lookup whose cost depends on path depth, not on the number of routes.

Static segments live in dicts. At each position the matcher tries, in order: the static
child, whole-segment typed parameters, mixed segments (``{name}.{ext}``), plain string
parameters, and finally a ``path`` parameter that swallows the rest. It backtracks, so a
typed branch that fails deeper down falls back to the next candidate.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from covet.exceptions import RouteConflictError
from covet.routing.compiled import Matcher, compile_trie
from covet.routing.convertors import NO_MATCH
from covet.routing.patterns import (
    MixedSegment,
    ParamSegment,
    PathTemplate,
    StaticSegment,
    split_path,
)

_V = TypeVar("_V")


class UnreachableRouteWarning(UserWarning):
    """A route can never be matched because an earlier route matches the same paths."""


class Node(Generic[_V]):
    """One position in the trie."""

    __slots__ = ("branches", "dynamic", "leaf", "matchers", "static", "tail")

    def __init__(self) -> None:
        self.static: dict[str, Node[_V]] = {}
        # (segment, child) sorted by priority; typed before mixed before str.
        self.dynamic: list[tuple[ParamSegment | MixedSegment, Node[_V]]] = []
        # PERF: the same list flattened to (parse, name or None for mixed, child) so the
        # matcher calls the convertor directly.
        self.matchers: list[tuple[Callable[[str], Any], str | None, Node[_V]]] = []
        # A trailing ``path`` parameter: (name, leaf value).
        self.tail: tuple[str, _V] | None = None
        self.leaf: _V | None = None
        # True when the node has parameter or tail children (a possible branch point).
        self.branches = False


class Trie(Generic[_V]):
    """Maps compiled path templates to values (the per-path method tables)."""

    def __init__(self) -> None:
        self.root: Node[_V] = Node()
        # PERF: fully static paths skip the trie walk entirely.
        self.static_paths: dict[str, _V] = {}
        # The generated matcher, once compile() ran (None also for tries too deep for it).
        self.compiled: Matcher | None = None
        # Its generated source (the factories' text), for reading and debugging.
        self.sources: list[str] = []

    def compile(self) -> None:
        """Generate the specialised matcher (done at start-up; see :mod:`.compiled`)."""
        self.compiled, self.sources = compile_trie(self.root, self.static_paths)
        compiled = self.compiled
        self.__dict__.pop("match", None)
        if compiled is not None:
            # PERF: callers reach the generated function without a method call in between.
            self.match = compiled  # type: ignore[method-assign,assignment]

    def find_or_insert(self, template: PathTemplate, factory: type[_V]) -> _V:
        """Return the value stored for ``template`` (or an equivalent one), creating it."""
        # The generated matcher no longer describes the trie: forget it until the owner
        # (the router, when it rebuilds) compiles again; the generic walker answers meanwhile.
        self.compiled = None
        self.sources = []
        self.__dict__.pop("match", None)
        if template.is_static:
            value = self.static_paths.get(template.path)
            if value is None:
                value = self.static_paths[template.path] = factory()
            return value
        node = self.root
        segments = template.segments
        for index, segment in enumerate(segments):
            if isinstance(segment, StaticSegment):
                node = node.static.setdefault(segment.text, Node())
            elif isinstance(segment, ParamSegment) and segment.convertor.spans_segments:
                if node.tail is None:
                    node.tail = (segment.name, factory())
                    node.branches = True
                assert index == len(segments) - 1  # enforced by compile_path
                return node.tail[1]
            else:
                node = self._dynamic_child(node, segment, template)
        if node.leaf is None:
            node.leaf = factory()
        return node.leaf

    def _dynamic_child(
        self, node: Node[_V], segment: ParamSegment | MixedSegment, template: PathTemplate
    ) -> Node[_V]:
        for existing, existing_child in node.dynamic:
            if existing.key == segment.key:
                return existing_child
            if (
                isinstance(existing, ParamSegment)
                and isinstance(segment, ParamSegment)
                and existing.convertor.regex == segment.convertor.regex
            ):
                warnings.warn(
                    f"Route {template.path!r}: parameter {segment.name!r} uses a convertor "
                    f"that matches exactly what an earlier route's {existing.name!r} matches, "
                    "so paths reaching this position may never be routed here.",
                    UnreachableRouteWarning,
                    stacklevel=6,
                )
        child: Node[_V] = Node()
        node.dynamic.append((segment, child))
        node.dynamic.sort(key=lambda pair: pair[0].priority)
        node.branches = True
        node.matchers = [
            (m.convertor.parse, m.name, c) if isinstance(m, ParamSegment) else (m.parse, None, c)
            for m, c in node.dynamic
        ]
        return child

    def match(self, path: str) -> tuple[_V, dict[str, Any]] | None:
        """Return the first value whose template matches ``path``, with the parameters.

        Until :meth:`compile` runs (and for tries too deep to compile) this is the generic
        walker; after it, the generated function answers instead of this method.
        """
        return self.walk(path)

    def walk(self, path: str) -> tuple[_V, dict[str, Any]] | None:
        """The generic matcher (the reference the generated one must agree with)."""
        value = self.static_paths.get(path)
        if value is not None:
            return value, {}
        params: dict[str, Any] = {}
        found = _walk(self.root, path[1:].split("/"), 0, params)
        if found is None:
            return None
        return found, params

    def match_all(self, path: str) -> list[tuple[_V, dict[str, Any]]]:
        """Every value whose template matches ``path``, best first (for method fallback)."""
        results: list[tuple[_V, dict[str, Any]]] = []
        value = self.static_paths.get(path)
        if value is not None:
            results.append((value, {}))
        _walk_all(self.root, split_path(path), 0, {}, results)
        return results


def _walk(node: Node[_V], segments: list[str], index: int, params: dict[str, Any]) -> _V | None:
    last = len(segments) - 1
    # PERF: descend iteratively while a node offers nothing but static children, and read
    # the leaf directly at the last segment instead of recursing once more.
    while True:
        if index > last:
            return node.leaf
        segment = segments[index]
        child = node.static.get(segment)
        if node.branches:
            break
        if child is None:
            return None
        node = child
        index += 1
    if child is not None:
        found = child.leaf if index == last else _walk(child, segments, index + 1, params)
        if found is not None:
            return found
    if segment:
        for parse, name, sub in node.matchers:
            value = parse(segment)
            if value is NO_MATCH:
                continue
            found = sub.leaf if index == last else _walk(sub, segments, index + 1, params)
            if found is not None:
                if name is None:
                    params.update(value)
                else:
                    params[name] = value
                return found
    if node.tail is not None:
        tail_name, leaf = node.tail
        params[tail_name] = "/".join(segments[index:])
        return leaf
    return None


def _walk_all(
    node: Node[_V],
    segments: list[str],
    index: int,
    params: dict[str, Any],
    results: list[tuple[_V, dict[str, Any]]],
) -> None:
    if index == len(segments):
        if node.leaf is not None:
            results.append((node.leaf, dict(params)))
        return
    segment = segments[index]
    child = node.static.get(segment)
    if child is not None:
        _walk_all(child, segments, index + 1, params, results)
    if segment:
        for matcher, child in node.dynamic:
            value = matcher.parse(segment)
            if value is NO_MATCH:
                continue
            extra = {matcher.name: value} if type(matcher) is ParamSegment else value
            _walk_all(child, segments, index + 1, {**params, **extra}, results)
    if node.tail is not None:
        name, leaf = node.tail
        results.append((leaf, {**params, name: "/".join(segments[index:])}))


__all__ = ["RouteConflictError", "Trie", "UnreachableRouteWarning"]
