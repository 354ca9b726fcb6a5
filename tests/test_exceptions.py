"""Configuration mistakes raise one ConfigurationError, which is also a ValueError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from covet import ConfigurationError, CovetPy, Limits, Router
from covet.concurrency import configure_threadpool
from covet.middleware.errors import ErrorMiddleware
from covet.routing import Mount, Route


async def handler() -> str:
    return "ok"


def app_route_with_unknown_option() -> None:
    CovetPy().get("/a", stauts_code=201)


def include_with_bad_prefix() -> None:
    CovetPy().include_router(Router(), prefix="items")


MISTAKES: list[tuple[str, Callable[[], Any]]] = [
    ("router-prefix", lambda: Router(prefix="items/")),
    ("router-redirect-status", lambda: Router(redirect_status=302)),
    ("include-prefix", include_with_bad_prefix),
    ("unknown-route-option", app_route_with_unknown_option),
    ("route-without-methods", lambda: Route("/a", handler, methods=[])),
    ("route-bad-method", lambda: Route("/a", handler, methods=["GE T"])),
    ("route-max-body-size", lambda: Route("/a", handler, max_body_size=0)),
    ("mount-path", lambda: Mount("/{x}", handler)),
    ("threadpool-size", lambda: configure_threadpool(0)),
    ("app-threadpool-size", lambda: CovetPy(threadpool_size=0)),
    ("app-error-format", lambda: CovetPy(error_format="xml")),  # type: ignore[arg-type]
    ("middleware-error-format", lambda: ErrorMiddleware(handler, error_format="xml")),
    ("app-limits", lambda: CovetPy(limits={"max_body_size": 1})),  # type: ignore[arg-type]
    ("app-servers", lambda: CovetPy(servers=[{"description": "no url"}])),
    ("limits-value", lambda: Limits(max_body_size=-1)),
]


@pytest.mark.parametrize("make", [m for _, m in MISTAKES], ids=[n for n, _ in MISTAKES])
def test_configuration_mistakes_raise_configuration_error(make: Callable[[], Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make()
    # Also a ValueError, so code following the standard library's convention catches it.
    assert isinstance(caught.value, ValueError)


def test_route_conflicts_are_configuration_errors_too() -> None:
    app = CovetPy()
    app.get("/a")(handler)
    with pytest.raises(ConfigurationError, match="conflicts"):
        app.get("/a")(handler)
