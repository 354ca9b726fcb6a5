"""Building a middleware's frozen config from ``config=`` or from keyword options."""

from __future__ import annotations

from typing import Any, TypeVar

from covet.exceptions import ConfigurationError

_C = TypeVar("_C")


def resolve_config(
    middleware: str, kind: type[_C], config: _C | None, options: dict[str, Any]
) -> _C:
    """Return ``config``, or a ``kind`` built from ``options`` (never both).

    Args:
        middleware: The middleware's name, for error messages.
        kind: The frozen config dataclass.
        config: A ready config object, or ``None``.
        options: The keyword options given instead.

    Raises:
        ConfigurationError: Both or a wrong type were given, or an option is unknown.
    """
    if config is not None:
        if not isinstance(config, kind):
            raise ConfigurationError(
                f"{middleware}: config= must be a {kind.__name__}, not {type(config).__name__}."
            )
        if options:
            raise ConfigurationError(
                f"{middleware}: pass config= or the keyword options {sorted(options)}, not both "
                "(dataclasses.replace(config, ...) makes a changed copy)."
            )
        return config
    known = getattr(kind, "__dataclass_fields__", {})
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigurationError(
            f"{middleware}: unknown option(s) {unknown}; the options are {sorted(known)}."
        )
    return kind(**options)
