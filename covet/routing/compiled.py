"""Compile a trie into one Python function, the way Falcon compiles its router.

The generated code makes the same choices as the generic walker in :mod:`covet.routing.trie`,
in the same order (static child, parameters by priority, ``path`` tail) and backtracks the
same way, because a failed branch simply falls through to the next alternative. What it
saves is interpretation: no recursion, no per-node attribute lookups, parameters kept in
local variables and the result dict built once, at the leaf that matched.

Only trusted data reaches the source: segment texts are embedded with ``repr``, and leaves
and parse functions are passed in by name through the function's globals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from covet.routing.convertors import NO_MATCH, IntConvertor, StringConvertor

if TYPE_CHECKING:
    from covet.routing.trie import Node

_V = TypeVar("_V")

Matcher = Callable[[str], "tuple[Any, dict[str, Any]] | None"]

# Nodes with more static children than this dispatch through a dict to a sub-function
# instead of an if/elif chain.
_INLINE_STATIC_LIMIT = 4
# Deeper tries fall back to the generic walker (Python caps statement nesting).
MAX_COMPILED_DEPTH = 24


class _Generator(Generic[_V]):
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"NO_MATCH": NO_MATCH}
        self.functions: list[str] = []
        self._counter = 0

    def constant(self, prefix: str, value: Any) -> str:
        self._counter += 1
        name = f"{prefix}{self._counter}"
        self.namespace[name] = value
        return name

    def function(self, node: Node[_V], depth: int, captured: list[tuple[str | None, str]]) -> str:
        """Emit ``def fN(s, n, <captured vars>)`` matching ``node`` at segment ``depth``."""
        name = self.constant("f", None)
        args = "".join(f", {var}" for _, var in captured)
        lines = [f"def {name}(s, n{args}):"]
        self.node(node, depth, captured, lines, 1)
        lines.append("    return None")
        self.functions.append("\n".join(lines))
        return name

    def node(
        self,
        node: Node[_V],
        depth: int,
        captured: list[tuple[str | None, str]],
        lines: list[str],
        indent: int,
    ) -> None:
        pad = "    " * indent
        if node.leaf is not None:
            leaf = self.constant("L", node.leaf)
            lines.append(f"{pad}if n == {depth}:")
            lines.append(f"{pad}    return {leaf}, {_params(captured)}")
        lines.append(f"{pad}if n > {depth}:")
        inner = pad + "    "
        segment = f"s{depth}"
        lines.append(f"{inner}{segment} = s[{depth}]")
        self.static_children(node, depth, captured, lines, indent + 1)
        if node.matchers:
            lines.append(f"{inner}if {segment}:")
            for parse, param, child in node.matchers:
                self._counter += 1
                value = f"v{depth}_{self._counter}"
                lines.extend(f"{inner}    {line}" for line in self.parse(parse, segment, value))
                self.node(child, depth + 1, [*captured, (param, value)], lines, indent + 3)
        if node.tail is not None:
            tail_name, tail_leaf = node.tail
            leaf = self.constant("L", tail_leaf)
            rest = (tail_name, f'"/".join(s[{depth}:])')
            lines.append(f"{inner}return {leaf}, {_params([*captured, rest])}")

    def parse(self, parse: Callable[[str], Any], segment: str, value: str) -> list[str]:
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
        parser = self.constant("P", parse)
        return [f"{value} = {parser}({segment})", f"if {value} is not NO_MATCH:"]

    def static_children(
        self,
        node: Node[_V],
        depth: int,
        captured: list[tuple[str | None, str]],
        lines: list[str],
        indent: int,
    ) -> None:
        if not node.static:
            return
        pad = "    " * indent
        segment = f"s{depth}"
        if len(node.static) <= _INLINE_STATIC_LIMIT:
            for text, child in node.static.items():
                lines.append(f"{pad}if {segment} == {text!r}:")
                self.node(child, depth + 1, captured, lines, indent + 1)
            return
        table = {
            text: self.function(child, depth + 1, captured) for text, child in node.static.items()
        }
        # The table maps segment text to the name of a generated function; it is resolved
        # to the function objects once everything has been executed.
        dispatch = self.constant("D", table)
        args = "".join(f", {var}" for _, var in captured)
        lines.append(f"{pad}sub = {dispatch}.get({segment})")
        lines.append(f"{pad}if sub is not None:")
        lines.append(f"{pad}    found = sub(s, n{args})")
        lines.append(f"{pad}    if found is not None:")
        lines.append(f"{pad}        return found")


def _params(captured: list[tuple[str | None, str]]) -> str:
    items = [f"**{var}" if name is None else f"{name!r}: {var}" for name, var in captured]
    return "{" + ", ".join(items) + "}"


def _depth(node: Node[Any]) -> int:
    children = [*node.static.values(), *(child for _, _, child in node.matchers)]
    return 1 + max((_depth(child) for child in children), default=0)


def compile_trie(root: Node[_V], static_paths: dict[str, _V]) -> Matcher | None:
    """Build ``match(path) -> (value, params) | None`` for the trie, or ``None`` if too deep."""
    if _depth(root) > MAX_COMPILED_DEPTH:
        return None
    generator: _Generator[_V] = _Generator()
    walk = generator.function(root, 0, [])
    generator.namespace["STATIC"] = static_paths
    source = "\n\n".join(
        [
            *generator.functions,
            "def match(path):\n"
            "    value = STATIC.get(path)\n"
            "    if value is not None:\n"
            "        return value, {}\n"
            '    s = path[1:].split("/")\n'
            f"    return {walk}(s, len(s))",
        ]
    )
    namespace = generator.namespace
    exec(compile(source, "<covet router>", "exec"), namespace)
    for key, value in list(namespace.items()):
        if key.startswith("D") and isinstance(value, dict):
            namespace[key] = {text: namespace[function] for text, function in value.items()}
    matcher: Matcher = namespace["match"]
    return matcher
