"""Optional packages and tools in tests: a skip on a developer's machine, a failure on CI.

Under ``CI=true`` every optional package (servers, orjson, pydantic, msgspec...) is installed,
so a missing one means the tests that need it would silently prove nothing: they fail instead.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def on_ci() -> bool:
    """Whether the suite runs on CI (``CI=true``), where nothing may be skipped for lack."""
    return os.environ.get("CI") == "true"


def missing(reason: str) -> NoReturn:
    """Skip the calling test (or module) for ``reason``; fail instead under ``CI=true``."""
    if on_ci():
        pytest.fail(f"{reason} (CI=true: every optional dependency must be installed)")
    pytest.skip(reason, allow_module_level=True)


def require(module: str) -> ModuleType:
    """Import ``module``, or :func:`missing` when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        missing(f"{module} is not installed")
