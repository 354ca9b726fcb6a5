"""Compile a trie into generated Python functions, the way Falcon compiles its router.

The generated code makes the same choices as the generic walker in :mod:`covet.routing.trie`,
in the same order (static child, parameters by priority, ``path`` tail) and backtracks the
same way, because a failed branch simply falls through to the next alternative. What it
saves is interpretation: no recursion over nodes, no per-node attribute lookups, parameters
kept in local variables and the result dict built once, at the leaf that matched.

Nodes with many static children dispatch through a dict to one function per child. Route
tables repeat the same shapes (``/<resource>/items/{id:int}`` two hundred times), so each
function is generated as a factory taking its leaves and parsers as arguments, and a factory
is compiled once per distinct source text: start-up stays cheap for large tables.

Only trusted data reaches the source: segment texts are embedded with ``repr``; leaves,
parsers and dispatch tables are passed in as factory arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from covet._generated import compile_generated
from covet.routing.convertors import NO_MATCH, IntConvertor, StringConvertor

if TYPE_CHECKING:
    from covet.routing.trie import Node

Matcher = Callable[[str], "tuple[Any, dict[str, Any]] | None"]
Captured = list[tuple[str | None, str]]
"""Parameters captured so far on the way down: (name, or None for a mixed segment; variable)."""

# Nodes with more static children than this dispatch through a dict to per-child functions
# instead of an if/elif chain.
_INLINE_STATIC_LIMIT = 4
# Deeper tries fall back to the generic walker (Python caps statement nesting).
MAX_COMPILED_DEPTH = 24


class _Compiler:
    def __init__(self) -> None:
        self._factories: dict[str, Callable[..., Any]] = {}
        # Each distinct factory source, in generation order (``covet routes --matcher-source``).
        self.sources: list[str] = []

    def function(
        self, node: Node[Any], depth: int, captured: Captured, static: Any = None
    ) -> Callable[..., Any]:
        """Return ``f(s, n, *captured)`` matching ``node`` at segment index ``depth``.

        With ``static`` (the fully static paths' dict), return the entry point
        ``f(path)`` instead, which tries that dict and splits the path itself.
        """
        body = _Body()
        if static is None:
            arguments = "".join(f", {var}" for _, var in captured)
            head = [f"    def match(s, n{arguments}):"]
        else:
            lookup = body.constant(static.get)
            head = [
                "    def match(path):",
                f"        value = {lookup}(path)",
                "        if value is not None:",
                "            return value, {}",
                '        s = path[1:].split("/")',
                "        n = len(s)",
            ]
        self.node(body, node, depth, captured, 2)
        source = (
            f"def make({', '.join(body.names)}):\n"
            + "\n".join([*head, *body.lines])
            + "\n        return None\n    return match\n"
        )
        factory = self._factories.get(source)
        if factory is None:
            namespace: dict[str, Any] = {"NO_MATCH": NO_MATCH}
            exec(compile_generated(source, "router"), namespace)
            factory = self._factories[source] = namespace["make"]
            self.sources.append(source)
        function: Callable[..., Any] = factory(*body.values)
        return function

    def node(
        self, body: _Body, node: Node[Any], depth: int, captured: Captured, indent: int
    ) -> None:
        pad = "    " * indent
        if node.leaf is not None:
            leaf = body.constant(node.leaf)
            body.lines.append(f"{pad}if n == {depth}:")
            body.lines.append(f"{pad}    return {leaf}, {_params(captured)}")
        body.lines.append(f"{pad}if n > {depth}:")
        inner = pad + "    "
        segment = f"s{depth}"
        body.lines.append(f"{inner}{segment} = s[{depth}]")
        self.static_children(body, node, depth, captured, indent + 1)
        if node.matchers:
            body.lines.append(f"{inner}if {segment}:")
            for index, (parse, param, child) in enumerate(node.matchers):
                value = f"v{depth}_{index}"
                lines = _parse_lines(body, parse, segment, value)
                body.lines.extend(f"{inner}    {line}" for line in lines)
                self.node(body, child, depth + 1, [*captured, (param, value)], indent + 3)
        if node.tail is not None:
            tail_name, tail_leaf = node.tail
            leaf = body.constant(tail_leaf)
            rest = (tail_name, f'"/".join(s[{depth}:])')
            body.lines.append(f"{inner}return {leaf}, {_params([*captured, rest])}")

    def static_children(
        self, body: _Body, node: Node[Any], depth: int, captured: Captured, indent: int
    ) -> None:
        if not node.static:
            return
        pad = "    " * indent
        segment = f"s{depth}"
        if len(node.static) <= _INLINE_STATIC_LIMIT:
            for text, child in node.static.items():
                body.lines.append(f"{pad}if {segment} == {text!r}:")
                self.node(body, child, depth + 1, captured, indent + 1)
            return
        table = {
            text: self.function(child, depth + 1, captured) for text, child in node.static.items()
        }
        dispatch = body.constant(table)
        arguments = "".join(f", {var}" for _, var in captured)
        body.lines.append(f"{pad}sub = {dispatch}.get({segment})")
        body.lines.append(f"{pad}if sub is not None:")
        body.lines.append(f"{pad}    found = sub(s, n{arguments})")
        body.lines.append(f"{pad}    if found is not None:")
        body.lines.append(f"{pad}        return found")


class _Body:
    """The lines of one generated function and the values its factory receives."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: list[str] = []
        self.values: list[Any] = []

    def constant(self, value: Any) -> str:
        name = f"c{len(self.values)}"
        self.names.append(name)
        self.values.append(value)
        return name


def _parse_lines(body: _Body, parse: Callable[[str], Any], segment: str, value: str) -> list[str]:
    """Lines that set ``value`` from ``segment`` and open an ``if`` on success."""
    convertor = getattr(parse, "__self__", None)
    # PERF: the two most common convertors are inlined (same rules as their parse()).
    if type(convertor) is StringConvertor:
        return [f"{value} = {segment}", "if True:"]
    if type(convertor) is IntConvertor:
        return [
            f"if {segment}.isdigit() and {segment}.isascii() and len({segment}) <= 20:",
            f"    {value} = int({segment})",
        ]
    parser = body.constant(parse)
    return [f"{value} = {parser}({segment})", f"if {value} is not NO_MATCH:"]


def _params(captured: Captured) -> str:
    items = [f"**{var}" if name is None else f"{name!r}: {var}" for name, var in captured]
    return "{" + ", ".join(items) + "}"


def _depth(node: Node[Any]) -> int:
    children = [*node.static.values(), *(child for _, _, child in node.matchers)]
    return 1 + max((_depth(child) for child in children), default=0)


def compile_trie(root: Node[Any], static_paths: dict[str, Any]) -> tuple[Matcher | None, list[str]]:
    """Build ``match(path) -> (value, params) | None`` for the trie, and its source.

    The matcher is ``None`` (and the source empty) for tries too deep to compile. The
    source is the generated factories' text, also registered with ``linecache``.
    """
    if _depth(root) > MAX_COMPILED_DEPTH:
        return None, []
    compiler = _Compiler()
    match: Matcher = compiler.function(root, 0, [], static=static_paths)
    return match, compiler.sources
