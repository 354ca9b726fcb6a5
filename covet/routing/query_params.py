"""The runner for handlers that take only query parameters (and path values).

``async def search(q: str, limit: int = 20)`` needs no :class:`~covet.requests.Request`, no
dependency resolution and no generic binding: this runner parses the query string once, under
the same field limit, fetches and validates each parameter as :func:`covet.di.binding.bind`
does, and calls the handler. Its answers (400, 422 with the same issues in the same order, and
the handler's response) are exactly those of the generic path;
``tests/routing/test_query_params.py`` checks both against each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from covet._parsers.query import parse_query_string
from covet.datastructures import QueryParams
from covet.di.plan import PlanEntry, Source
from covet.di.resolution import cast_path
from covet.limits import Limits
from covet.params import REQUIRED
from covet.responses.base import Response
from covet.routing.results import Serializer, response_messages
from covet.types import ASGIApp, Receive, Scope, Send
from covet.validation import RequestValidationError, ValidationError, ValidationIssue

_MISSING: Any = object()
_RUNNABLE = frozenset({Source.PATH_CONVERTED, Source.PATH_VALIDATED, Source.QUERY})


def takes_only_query(entries: list[PlanEntry]) -> bool:
    """Whether a plan with no ``dependencies=`` can run here: query parameters and path values."""
    sources = {entry.source for entry in entries}
    return Source.QUERY in sources and sources <= _RUNNABLE


def compile_query(
    call: Callable[..., Awaitable[Any]],
    serialize: Serializer | None,
    status: int,
    entries: list[PlanEntry],
    limits: Limits,
) -> ASGIApp:
    """Build the runner for a handler whose parameters pass :func:`takes_only_query`.

    Args:
        call: The handler (a sync one already wrapped to run in the thread pool).
        serialize: The response model's serialiser, if the route has one.
        status: The status code of a successful non-Response result.
        entries: The handler's plan entries, in signature order.
        limits: The limits that apply (the number of query fields).
    """
    # Path values first, then the bound parameters: the generic path's order of issues.
    path_entries = [
        (entry.name, entry.path_value)
        for entry in entries
        if entry.source is Source.PATH_CONVERTED or entry.source is Source.PATH_VALIDATED
    ]
    queries = [
        (p.name, p.key, p.validator, p.default, p.many)
        for p in (entry.parameter for entry in entries)
        if p is not None
    ]
    max_params = limits.max_query_params

    async def run_query(scope: Scope, receive: Receive, send: Send) -> None:
        issues: list[ValidationIssue] = []
        kwargs: dict[str, Any] = {}
        if path_entries:
            path_params = scope.get("path_params", {})
            try:
                for name, path_value in path_entries:
                    value = path_params[name]
                    kwargs[name] = value if path_value is None else cast_path(value, path_value)
            except RequestValidationError as exc:  # the first bad path value stops, as there
                issues.extend(exc.issues)
                kwargs = {}
        query_string = scope.get("query_string", b"")
        if type(query_string) is bytes:
            pairs = parse_query_string(query_string, max_params=max_params)
        else:
            pairs = QueryParams(query_string, max_params=max_params).multi_items()
        values = dict(pairs)
        for name, key, validate, default, many in queries:
            if many:
                found = [v for k, v in pairs if k == key]
                raw = found if found else _MISSING
            else:
                raw = values.get(key, _MISSING)
            if raw is _MISSING:
                if default is REQUIRED:
                    issues.append(ValidationIssue(("query", key), "Field required", "missing"))
                else:
                    kwargs[name] = default
                continue
            try:
                kwargs[name] = validate(raw)
            except ValidationError as exc:
                issues.extend(exc.issues)
        if issues:
            raise RequestValidationError(dict.fromkeys(issues))
        result = await call(**kwargs)
        if serialize is not None and not isinstance(result, Response):
            result = serialize(result)
        # PERF: send_result inlined, as in the other runners: one coroutine level fewer.
        messages = response_messages(result, status, scope["method"])
        if messages is None:
            await result(scope, receive, send)
            return
        start, body, background = messages
        await send(start)
        await send(body)
        if background is not None:
            await background()

    return run_query
