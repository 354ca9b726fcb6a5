"""Generated code that tracebacks can show: source registered with ``linecache``."""

from __future__ import annotations

import itertools
import linecache
from types import CodeType

_counter = itertools.count(1)


def compile_generated(source: str, kind: str) -> CodeType:
    """Compile generated ``source`` under a unique ``<covet kind #n>`` file name.

    The source is registered with :mod:`linecache` under that name, so tracebacks and
    debuggers show the generated lines (the router's matcher, a model's validator) instead
    of nothing.
    """
    filename = f"<covet {kind} #{next(_counter)}>"
    # An mtime of None marks the entry as not backed by a file: checkcache() keeps it.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")
