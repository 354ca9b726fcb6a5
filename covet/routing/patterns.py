"""Path templates (``/users/{id:int}/posts/{slug}``) compiled into matchable segments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from covet.exceptions import ConfigurationError, NoMatchFoundError
from covet.routing.convertors import NO_MATCH, Convertor, get_convertor

_PARAM = re.compile(r"{([^{}:]*)(?::([^{}]*))?}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class StaticSegment:
    """A literal segment."""

    text: str

    @property
    def key(self) -> tuple[str, str]:
        return ("static", self.text)


@dataclass(frozen=True, slots=True)
class ParamSegment:
    """A whole segment captured by one convertor."""

    name: str
    convertor: Convertor

    @property
    def key(self) -> tuple[Any, ...]:
        return ("param", *self.convertor.identity)

    @property
    def priority(self) -> int:
        return self.convertor.priority

    def parse(self, segment: str) -> Any:
        return self.convertor.parse(segment)


@dataclass(frozen=True, slots=True)
class MixedSegment:
    """A segment mixing text and parameters, such as ``{name}.{ext}``; matched by regex."""

    template: str
    regex: re.Pattern[str]
    params: tuple[tuple[str, Convertor], ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return ("mixed", self.regex.pattern)

    @property
    def priority(self) -> int:
        return 20

    def parse(self, segment: str) -> Any:
        match = self.regex.fullmatch(segment)
        if match is None:
            return NO_MATCH
        values = {}
        for name, convertor in self.params:
            value = convertor.parse(match.group(name))
            if value is NO_MATCH:
                return NO_MATCH
            values[name] = value
        return values


Segment = StaticSegment | ParamSegment | MixedSegment


def split_path(path: str) -> list[str]:
    """Split a request or template path into segments (``/a/b/`` -> ``["a", "b", ""]``)."""
    return path[1:].split("/")


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """A compiled route path."""

    path: str
    segments: tuple[Segment, ...]
    convertors: dict[str, Convertor]

    @property
    def is_static(self) -> bool:
        return all(isinstance(s, StaticSegment) for s in self.segments)

    def format(self, params: dict[str, Any]) -> str:
        """Build the percent-encoded path for ``params``.

        Raises:
            NoMatchFoundError: when ``params`` does not name exactly this template's parameters.
        """
        if set(params) != set(self.convertors):
            raise NoMatchFoundError(
                f"Route {self.path!r} takes parameters {sorted(self.convertors)}, "
                f"got {sorted(params)}."
            )

        def render(match: re.Match[str]) -> str:
            name = match.group(1)
            convertor = self.convertors[name]
            text = convertor.to_string(params[name])
            return quote(text, safe="/" if convertor.spans_segments else "")

        return _PARAM.sub(render, self.path)


def compile_path(path: str) -> PathTemplate:
    """Parse a route path template.

    Raises:
        ConfigurationError: for a path not starting with ``/``, bad parameter names,
            repeated names, unknown convertors, or ``path`` parameters before the end.
    """
    if not path.startswith("/"):
        raise ConfigurationError(f"Route path {path!r} must start with '/'.")
    segments: list[Segment] = []
    convertors: dict[str, Convertor] = {}
    parts = split_path(path)
    for index, part in enumerate(parts):
        found = list(_PARAM.finditer(part))
        if not found:
            if "{" in part or "}" in part:
                raise ConfigurationError(f"Unbalanced braces in route path {path!r}.")
            segments.append(StaticSegment(part))
            continue
        params: list[tuple[str, Convertor]] = []
        for match in found:
            name, convertor_name = match.group(1), match.group(2) or "str"
            if not _NAME.fullmatch(name):
                raise ConfigurationError(f"Invalid parameter name {name!r} in route {path!r}.")
            if name in convertors:
                raise ConfigurationError(f"Parameter {name!r} appears twice in route {path!r}.")
            convertor = get_convertor(convertor_name)
            convertors[name] = convertor
            params.append((name, convertor))
            if convertor.spans_segments and (index != len(parts) - 1 or match.end() != len(part)):
                raise ConfigurationError(
                    f"The 'path' convertor must be the last thing in the route {path!r}."
                )
        if len(found) == 1 and found[0].group(0) == part:
            segments.append(ParamSegment(params[0][0], params[0][1]))
        else:
            segments.append(_mixed_segment(part, found, params, path))
    return PathTemplate(path, tuple(segments), convertors)


def _mixed_segment(
    part: str, found: list[re.Match[str]], params: list[tuple[str, Convertor]], path: str
) -> MixedSegment:
    pieces: list[str] = []
    cursor = 0
    for match, (name, convertor) in zip(found, params, strict=True):
        if convertor.spans_segments:
            raise ConfigurationError(f"'path' parameters must fill a whole segment in {path!r}.")
        pieces.append(re.escape(part[cursor : match.start()]))
        pieces.append(f"(?P<{name}>{convertor.regex})")
        cursor = match.end()
    pieces.append(re.escape(part[cursor:]))
    return MixedSegment(part, re.compile("".join(pieces)), tuple(params))
