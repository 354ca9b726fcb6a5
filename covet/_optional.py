"""Gate for optional dependencies: one helper, one clear message."""

from __future__ import annotations

import importlib
import types

from covet.exceptions import MissingDependencyError


def require(module: str, *, extra: str) -> types.ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    Args:
        module: The importable name of the third-party module.
        extra: The ``covetpy`` extra that provides it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module!r} is required for this feature but is not installed. "
            f"Install it with: pip install 'covetpy[{extra}]'"
        ) from exc
