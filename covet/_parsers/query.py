"""Query-string and urlencoded-form parsing with a limit on the number of fields."""

from __future__ import annotations

from urllib.parse import unquote_plus

from covet.exceptions import BadRequestError

DEFAULT_MAX_PARAMS = 1000


def parse_query_string(
    raw: bytes, *, max_params: int | None = None, strict: bool = False
) -> list[tuple[str, str]]:
    """Split ``a=1&b=2&a=3`` into ordered pairs, percent- and plus-decoded as UTF-8.

    Args:
        raw: The query string bytes, without ``?``.
        max_params: More fields than this raise :class:`BadRequestError` (400).
        strict: Reject invalid UTF-8 instead of replacing it (used for form bodies).
    """
    if not raw:
        return []
    limit = DEFAULT_MAX_PARAMS if max_params is None else max_params
    errors = "strict" if strict else "replace"
    try:
        # Unescaped non-ASCII bytes are UTF-8 in practice (what browsers and curl send).
        text = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        raise BadRequestError("Form data is not valid UTF-8.") from exc
    # PERF: count separators once so a hostile query is rejected before any decoding.
    if text.count("&") >= limit and _field_count(text) > limit:
        what = "form fields" if strict else "query parameters"
        raise BadRequestError(f"Too many {what} (limit is {limit}).")
    # Only "&" separates fields: ";" was dropped by CPython for cache-poisoning reasons.
    pairs: list[tuple[str, str]] = []
    if "%" not in text and "+" not in text:
        # PERF: nothing to decode, so skip unquote_plus for every name and value.
        for field in text.split("&"):
            if field:
                name, _, value = field.partition("=")
                pairs.append((name, value))
        return pairs
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        try:
            pairs.append((unquote_plus(name, errors=errors), unquote_plus(value, errors=errors)))
        except UnicodeDecodeError as exc:
            raise BadRequestError("Form data is not valid UTF-8.") from exc
    return pairs


def _field_count(text: str) -> int:
    return sum(1 for field in text.split("&") if field)
