"""Reading a backend's own options from its URL's query (keyword arguments win)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from covet.exceptions import ConfigurationError
from covet.stores.url import mask_password


def split_url(
    url: str, ours: tuple[str, ...], passed: tuple[str, ...] | None
) -> tuple[SplitResult, dict[str, str]]:
    """``url`` without the query fields in ``ours``, and those fields.

    Other fields stay in the URL when ``passed`` is ``None`` or names them; any other is
    refused.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port that is not a number raises here, not at connect
    except ValueError as exc:
        raise ConfigurationError(f"channels URL {mask_password(url)!r} is malformed") from exc
    options: dict[str, str] = {}
    rest: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in ours:
            options[name] = value
        elif passed is None or name in passed:
            rest.append((name, value))
        else:
            known = ", ".join((*ours, *passed))
            raise ConfigurationError(
                f"channels URL {mask_password(url)!r}: unknown option {name!r}; use {known}"
            )
    return parts._replace(query=urlencode(rest)), options


def positive(
    url: str, name: str, given: float | None, query: dict[str, str], default: float
) -> float:
    """The option ``name``: given, else from the query, else ``default``; a finite number > 0."""
    raw: Any = given if given is not None else query.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise ConfigurationError(
            f"channels URL {mask_password(url)!r}: {name} must be a positive number, not {raw!r}"
        )
    return value
