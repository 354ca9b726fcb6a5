"""Rates written as text: ``"5/minute"``, ``"10/30s"``, ``"100 per hour"``, several with ``;``.

The grammar (case-insensitive, spaces allowed around each part)::

    rates  = rate *( ";" rate )
    rate   = count ( "/" | "per" ) [ length ] unit
    count  = a whole number from 1
    length = a whole number from 1 (``"30s"``, ``"30 seconds"``, ``"2 hours"``)
    unit   = s | sec | second | seconds | m | min | minute | minutes
           | h | hr | hour | hours | d | day | days

A period is a whole number of seconds, because the ``RateLimit-Policy`` header's window is one
(sub-second windows cannot be advertised).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from covet.exceptions import ConfigurationError

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
_RATE = re.compile(r"\s*(\d{1,9})\s*(?:/|\bper\b)\s*(\d{1,9})?\s*([a-z]{1,7})\s*", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The store's GCRA counts in whole microseconds: a rate finer than one request per µs
# cannot be told apart from its neighbours.
_MAX_PER_SECOND = 1_000_000

SHAPES = (
    '"<count>/<unit>" or "<count> per <unit>", e.g. "5/minute", "100/hour", "10/second", '
    '"1000/day", "10/30s", "5 per minute"; several separated by ";" ("10/second;100/minute")'
)


@dataclass(frozen=True, slots=True)
class Rate:
    """One limit: ``limit`` requests per ``period`` seconds.

    Attributes:
        limit: Requests allowed per period.
        period: The period in whole seconds.
        name: The policy name in the ``RateLimit-Policy``/``RateLimit`` headers.
    """

    limit: int
    period: int
    name: str

    def __str__(self) -> str:
        return f"{self.limit} per {_period_text(self.period)}"


def parse_rates(
    value: str | Rate | Iterable[str | Rate], *, name: str | None = None
) -> tuple[Rate, ...]:
    """Parse one rate or several (``"10/second;100/minute"``, or a list of them).

    Args:
        value: The rate text, a :class:`Rate`, or an iterable of either.
        name: The policy name; with several rates each gets ``<name>-<n>-per-<s>s``.
            By default a rate is named ``<limit>-per-<seconds>s`` (``"5-per-60s"``).

    Raises:
        ConfigurationError: a rate is not in one of the accepted shapes, a name is not made
            of letters, digits and ``._:-``, or two rates have the same policy name.
    """
    if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
        raise ConfigurationError(
            f"Rate limit name {name!r} must be 1 to 64 letters, digits or '._:-' (it is sent "
            "in the RateLimit-Policy header)."
        )
    items: list[str | Rate] = []
    if isinstance(value, str | Rate):
        items.append(value)
    else:
        try:
            items.extend(value)
        except TypeError:
            raise _bad(value) from None
    texts: list[str | Rate] = []
    for item in items:
        texts.extend(item.split(";") if isinstance(item, str) else [item])
    if not texts:
        raise _bad(value)
    rates = tuple(_one(item, name, several=len(texts) > 1) for item in texts)
    names = [rate.name for rate in rates]
    if len(set(names)) != len(names):
        raise ConfigurationError(
            f"Rate limits {value!r} repeat a policy name ({', '.join(names)}): give each rate "
            "its own limit and period."
        )
    return rates


def _one(item: str | Rate, name: str | None, *, several: bool) -> Rate:
    if isinstance(item, Rate):
        return item
    if not isinstance(item, str):
        raise _bad(item)
    match = _RATE.fullmatch(item)
    if match is None:
        raise _bad(item)
    count, length, unit = match.groups()
    seconds = _UNITS.get(unit.lower())
    limit = int(count)
    if seconds is None or limit < 1 or length == "0":
        raise _bad(item)
    period = seconds * int(length or 1)
    if limit > period * _MAX_PER_SECOND:
        raise ConfigurationError(
            f"Rate limit {item!r} is finer than one request per microsecond: use a longer period."
        )
    derived = f"{limit}-per-{period}s"
    if name is None:
        return Rate(limit, period, derived)
    return Rate(limit, period, f"{name}-{derived}" if several else name)


def _bad(value: object) -> ConfigurationError:
    return ConfigurationError(f"Rate limit {value!r} is not understood: write it as {SHAPES}.")


def _period_text(period: int) -> str:
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if period == seconds:
            return unit
        if period % seconds == 0 and period > seconds:
            return f"{period // seconds} {unit}s"
    return f"{period} seconds"  # pragma: no cover - every period is a whole number of seconds
