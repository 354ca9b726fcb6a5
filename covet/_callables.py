"""What kind of callable something is: its name for messages, and how it must be run."""

from __future__ import annotations

from typing import Any


def callable_name(func: Any) -> str:
    """``module.qualname`` of a function, class or callable object, for error messages."""
    module = getattr(func, "__module__", "?")
    return f"{module}.{getattr(func, '__qualname__', repr(func))}"
