"""Path parameter convertors: ``{id:int}``, ``{x:float}``, ``{u:uuid}``, ``{p:path}``, custom."""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar, Final

from covet.exceptions import ConfigurationError


class _NoMatch:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_MATCH"


NO_MATCH: Final[Any] = _NoMatch()
"""Returned by :meth:`Convertor.parse` when a segment does not match."""


class Convertor:
    """Turns one path segment into a value and back.

    Subclass it for a custom convertor: set ``regex`` (matched against a whole segment)
    and override :meth:`convert` and :meth:`to_string`, then :func:`register_convertor`.

    Attributes:
        regex: What a segment must fully match.
        priority: Lower tries first among parameters at the same position; built-in typed
            convertors use 10, plain strings 30, ``path`` 40.
    """

    regex: ClassVar[str] = "[^/]+"
    priority: ClassVar[int] = 20
    spans_segments: ClassVar[bool] = False

    def __init__(self) -> None:
        self._pattern = re.compile(self.regex)

    def parse(self, segment: str) -> Any:
        """Return the converted value, or :data:`NO_MATCH`."""
        if self._pattern.fullmatch(segment) is None:
            return NO_MATCH
        try:
            return self.convert(segment)
        except ValueError:
            return NO_MATCH

    def convert(self, value: str) -> Any:
        """Convert a matching segment to its value."""
        return value

    def to_string(self, value: Any) -> str:
        """Render ``value`` back into a path segment (before percent-encoding)."""
        return str(value)

    @property
    def identity(self) -> tuple[type[Convertor], str]:
        """Two convertors with the same identity match exactly the same segments."""
        return (type(self), self.regex)


class StringConvertor(Convertor):
    """Any non-empty segment."""

    regex = "[^/]+"
    priority = 30

    def parse(self, segment: str) -> Any:
        return segment if segment else NO_MATCH


class IntConvertor(Convertor):
    """Non-negative decimal integers (ASCII digits only)."""

    regex = "[0-9]+"
    priority = 10

    def parse(self, segment: str) -> Any:
        # PERF: isascii()+isdigit() is several times faster than a regex match.
        if segment.isascii() and segment.isdigit() and len(segment) <= 20:
            return int(segment)
        return NO_MATCH

    def to_string(self, value: Any) -> str:
        number = int(value)
        if number < 0:
            raise ValueError("Negative integers are not supported by the int convertor.")
        return str(number)


class FloatConvertor(Convertor):
    """Non-negative decimal numbers such as ``3`` or ``3.25``."""

    regex = r"[0-9]+(?:\.[0-9]+)?"
    priority = 11

    def convert(self, value: str) -> float:
        return float(value)

    def to_string(self, value: Any) -> str:
        number = float(value)
        if number < 0 or number != number or number in (float("inf"), float("-inf")):
            raise ValueError("Only finite non-negative floats are supported.")
        return f"{number:.20f}".rstrip("0").rstrip(".")


class UUIDConvertor(Convertor):
    """Canonical hyphenated UUIDs."""

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    priority = 10

    def convert(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)


class PathConvertor(Convertor):
    """The rest of the path, slashes included. Only allowed as the last segment."""

    regex = ".*"
    priority = 40
    spans_segments = True

    def parse(self, segment: str) -> Any:
        return segment


_REGISTRY: dict[str, type[Convertor]] = {
    "str": StringConvertor,
    "int": IntConvertor,
    "float": FloatConvertor,
    "uuid": UUIDConvertor,
    "path": PathConvertor,
}


def register_convertor(name: str, convertor: type[Convertor]) -> None:
    """Make ``{param:name}`` use ``convertor`` in routes declared afterwards."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ConfigurationError(f"Invalid convertor name {name!r}.")
    _REGISTRY[name] = convertor


def get_convertor(name: str) -> Convertor:
    """Instantiate the convertor registered under ``name``."""
    try:
        return _REGISTRY[name]()
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigurationError(
            f"Unknown path convertor {name!r}; known convertors: {known}. "
            "Register custom ones with covet.routing.register_convertor()."
        ) from None
