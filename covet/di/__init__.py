"""Dependency injection: planning a callable's arguments once, resolving them per request.

The engine is independent of routing: it plans any callable against a
:class:`~covet.di.plan.PlanContext` (a name for messages, the path parameter names, the
connection kind). Routes, the container and later subsystems all use it.
"""

from covet.di.injection import Container, resolve
from covet.di.plan import (
    ConnectionKind,
    DependencyNode,
    Plan,
    PlanContext,
    PlanEntry,
    Source,
    teardown_before_response,
)
from covet.di.planner import plan_callable, plan_dependency, plan_handler
from covet.di.resolution import SwallowedExceptionError

__all__ = [
    "ConnectionKind",
    "Container",
    "DependencyNode",
    "Plan",
    "PlanContext",
    "PlanEntry",
    "Source",
    "SwallowedExceptionError",
    "plan_callable",
    "plan_dependency",
    "plan_handler",
    "resolve",
    "teardown_before_response",
]
