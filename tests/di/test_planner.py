"""Planning any callable against a small context, with typed plan entries."""

from __future__ import annotations

from typing import Annotated

import pytest

from covet import Depends, Header, Query, Request
from covet.di import ConnectionKind, PlanContext, Source, plan_callable, plan_handler
from covet.exceptions import ConfigurationError
from covet.websockets import WebSocket


def get_token(x_token: Annotated[str, Header()]) -> str:
    return x_token


def handler(
    item_id: int,
    slug: str,
    request: Request,
    q: Annotated[int, Query()] = 1,
    token: str = Depends(get_token),
) -> None:
    return None


def test_each_parameter_gets_a_typed_entry_with_one_source() -> None:
    context = PlanContext(
        name="job 'sync'",
        path_params=frozenset({"item_id", "slug"}),
        text_path_params=frozenset({"item_id", "slug"}),
    )
    entries = {entry.name: entry for entry in plan_callable(context, handler)}
    assert entries["item_id"].source is Source.PATH_VALIDATED
    assert entries["item_id"].path_value is not None
    assert entries["slug"].source is Source.PATH_CONVERTED
    assert entries["request"].source is Source.CONNECTION
    assert entries["q"].source is Source.QUERY
    assert entries["q"].parameter is not None
    assert entries["q"].parameter.source is Source.QUERY
    token = entries["token"]
    assert token.source is Source.DEPENDENCY
    assert token.dependency is not None
    assert [e.source for e in token.dependency.plan] == [Source.HEADER]


def test_without_path_parameters_a_name_is_a_query_parameter() -> None:
    entries = plan_callable(PlanContext(name="job"), handler)
    assert entries[0].source is Source.QUERY


def test_the_context_names_where_the_callable_is_used_in_errors() -> None:
    async def on_message(request: Request) -> None:
        return None

    context = PlanContext(name="websocket handler 'chat'", connection=ConnectionKind.WEBSOCKET)
    with pytest.raises(ConfigurationError, match="but websocket handler 'chat' provides WebSocket"):
        plan_callable(context, on_message)


def test_a_websocket_connection_is_provided_to_websocket_callables() -> None:
    async def on_message(ws: WebSocket) -> None:
        return None

    context = PlanContext(name="chat", connection=ConnectionKind.WEBSOCKET)
    assert [e.source for e in plan_callable(context, on_message)] == [Source.CONNECTION]


def test_handler_plan_lists_effects_apart_from_the_handler_arguments() -> None:
    def audit(q: int = 0) -> None:
        return None

    plan = plan_handler(PlanContext(name="route '/'"), handler, dependencies=[Depends(audit)])
    assert [node.call for node in plan.effects] == [audit]
    assert [node.call for node in plan.dependencies()] == [audit, get_token]
    assert not plan.needs_teardown


def test_handler_plan_refuses_dependencies_that_are_not_depends() -> None:
    with pytest.raises(ConfigurationError, match=r"dependencies= of route '/' must hold Depends"):
        plan_handler(PlanContext(name="route '/'"), handler, dependencies=[get_token])  # type: ignore[list-item]


def test_a_marker_source_string_converts_to_the_one_source_enum() -> None:
    assert Source(Query().source) is Source.QUERY
    assert Source.QUERY.is_bound
    assert not Source.DEPENDENCY.is_bound
