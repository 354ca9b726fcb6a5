"""Validators for scalar types: str, int, float, bool, bytes, Decimal, UUID, dates, enums."""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import sys
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from covet.validation._codegen import passes_unchanged
from covet.validation.errors import expected, invalid

Validator = Callable[[Any], Any]

MAX_INT_DIGITS = 4300
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
# ASCII digits only (``[0-9]``, not ``\d``): float() and Decimal() would also take other
# scripts' digits and underscores, which int parsing refuses; and Decimal's sNaN and NaN payloads.
_NUMBER_TEXT = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)", re.I
)
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NUM = r"([0-9]{1,12}(?:[.,][0-9]{1,9})?)"
_DURATION = re.compile(
    rf"([-+]?)P(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?=[0-9])(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?",
    re.I,
)


def str_validator(mode: str) -> Validator:
    """Accept only strings."""

    def validate_str(value: Any) -> str:
        if type(value) is str:
            return value
        if isinstance(value, str):
            return str(value)
        raise invalid("Input should be a valid string", "string_type")

    return passes_unchanged(validate_str, str)


def int_validator(mode: str) -> Validator:
    """Accept ints (never bools); in text mode parse decimal digits, bounded in length."""
    text = mode == "text"

    def validate_int(value: Any) -> int:
        if type(value) is int:
            return value
        if text and isinstance(value, str):
            return _int_from_text(value.strip())
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        raise invalid("Input should be a valid integer", "int_type")

    return passes_unchanged(validate_int, int)


def _max_int_digits() -> int:
    """The most digits an integer string may have: ``MAX_INT_DIGITS`` or CPython's lower limit.

    CPython refuses to convert longer strings (``sys.set_int_max_str_digits``, 0 for no limit).
    """
    limit = sys.get_int_max_str_digits()
    return MAX_INT_DIGITS if limit == 0 else min(limit, MAX_INT_DIGITS)


def _int_from_text(value: str) -> int:
    # Counted as CPython counts them: the sign is not a digit, leading zeros are.
    digits = len(value) - value.startswith(("+", "-"))
    limit = _max_int_digits()
    if digits > limit:
        raise invalid(f"Input should have at most {limit} digits", "int_parsing")
    if _INT_TEXT.fullmatch(value):
        try:
            return int(value)
        except ValueError:  # the limit lowered by another thread since it was read
            pass
    raise invalid("Input should be a valid integer, unable to parse string", "int_parsing")


def float_validator(mode: str, allow_inf_nan: bool) -> Validator:
    """Accept floats and ints (never bools); reject NaN/Infinity unless allowed."""
    text = mode == "text"

    def validate_float(value: Any) -> float:
        if type(value) is float:
            result = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            try:
                result = float(value)
            except OverflowError:
                raise invalid("Input is too large for a float", "finite_number") from None
        elif text and isinstance(value, str):
            result = _float_from_text(value.strip())
        else:
            raise invalid("Input should be a valid number", "float_type")
        if not allow_inf_nan and not math.isfinite(result):
            raise invalid("Input should be a finite number", "finite_number")
        return result

    return validate_float


def _float_from_text(value: str) -> float:
    if _NUMBER_TEXT.fullmatch(value):
        try:
            return float(value)
        except ValueError:  # not expected for text the pattern accepts; a 422 all the same
            pass
    raise invalid("Input should be a valid number, unable to parse string", "float_parsing")


def bool_validator(mode: str) -> Validator:
    """Accept real bools; in text mode also true/false, 1/0, yes/no, on/off."""
    text = mode == "text"

    def validate_bool(value: Any) -> bool:
        if value is True or value is False:
            return value
        if text and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise invalid(
                "Input should be a valid boolean, unable to interpret input", "bool_parsing"
            )
        raise invalid("Input should be a valid boolean", "bool_type")

    return passes_unchanged(validate_bool, bool)


def bytes_validator(mode: str) -> Validator:
    """Accept bytes, or a string encoded as UTF-8."""

    def validate_bytes(value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            try:
                return value.encode("utf-8")
            except UnicodeEncodeError:
                raise invalid("Input should be valid UTF-8 text", "bytes_type") from None
        raise invalid("Input should be a valid string", "bytes_type")

    return validate_bytes


def decimal_validator(mode: str, allow_inf_nan: bool) -> Validator:
    """Accept a decimal string or a number (never a bool); reject NaN/Infinity unless allowed."""

    def validate_decimal(value: Any) -> Decimal:
        if isinstance(value, Decimal):
            result = value
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            raise invalid("Decimal input should be a string or number", "decimal_type")
        elif isinstance(value, str):
            result = _decimal_from_text(value.strip())
        else:
            # An int converts exactly (no string, so no int digit limit); a float by its repr.
            result = Decimal(value) if isinstance(value, int) else _decimal_from_text(repr(value))
        if not allow_inf_nan and not result.is_finite():
            raise invalid("Input should be a finite number", "finite_number")
        return result

    return validate_decimal


def _decimal_from_text(value: str) -> Decimal:
    if _NUMBER_TEXT.fullmatch(value):
        try:
            return Decimal(value)
        except (InvalidOperation, ValueError):  # an exponent beyond what Decimal can hold
            pass
    raise invalid("Input should be a valid decimal", "decimal_parsing")


def uuid_validator(mode: str) -> Validator:
    """Accept a UUID or its string form."""

    def validate_uuid(value: Any) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if not isinstance(value, str):
            raise invalid("UUID input should be a string", "uuid_type")
        try:
            return uuid.UUID(value)
        except ValueError:
            raise invalid("Input should be a valid UUID", "uuid_parsing") from None

    return validate_uuid


def iso_validator(cls: type[Any], code: str) -> Validator:
    """Accept an instance of ``cls`` or an ISO 8601 string (``fromisoformat``)."""
    what = cls.__name__

    def validate_iso(value: Any) -> Any:
        if type(value) is cls or (cls is not dt.date and isinstance(value, cls)):
            return value
        if type(value) is dt.datetime and cls is dt.date:
            raise invalid("Input should be a valid date, not a datetime", f"{code}_type")
        if not isinstance(value, str):
            raise invalid(f"Input should be a valid {what} string", f"{code}_type")
        if len(value) > 64:
            raise invalid(f"Input should be a valid ISO 8601 {what}", f"{code}_parsing")
        try:
            return cls.fromisoformat(value)
        except ValueError:
            raise invalid(f"Input should be a valid ISO 8601 {what}", f"{code}_parsing") from None

    return validate_iso


def timedelta_validator(mode: str) -> Validator:
    """Accept an ISO 8601 duration (``P1DT2H``, ``PT1H30M``) or a number of seconds."""
    seconds = float_validator(mode, allow_inf_nan=False)

    def validate_timedelta(value: Any) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        if isinstance(value, str) and value.strip().lstrip("+-")[:1] in ("P", "p"):
            return _parse_duration(value)
        try:
            return dt.timedelta(seconds=seconds(value))
        except OverflowError:
            raise invalid("Duration is out of range", "time_delta_parsing") from None
        except ValueError as exc:
            raise invalid(
                "Input should be an ISO 8601 duration or a number of seconds", "time_delta_type"
            ) from exc

    return validate_timedelta


def _parse_duration(text: str) -> dt.timedelta:
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()[1:]):
        raise invalid("Input should be a valid ISO 8601 duration", "time_delta_parsing")
    sign, weeks, days, hours, minutes, secs = match.groups()
    parts = [float(x.replace(",", ".")) if x else 0.0 for x in (weeks, days, hours, minutes, secs)]
    try:
        delta = dt.timedelta(
            weeks=parts[0], days=parts[1], hours=parts[2], minutes=parts[3], seconds=parts[4]
        )
    except OverflowError:
        raise invalid("Duration is out of range", "time_delta_parsing") from None
    return -delta if sign == "-" else delta


def enum_validator(cls: type[enum.Enum], mode: str) -> Validator:
    """Accept a member's value (in text mode also its string form)."""
    by_value: dict[tuple[type[Any], Any], enum.Enum] = {}
    by_text: dict[str, enum.Enum] = {}
    for member in cls:
        by_value.setdefault((type(member.value), member.value), member)
        by_text.setdefault(str(member.value), member)
    allowed = expected(m.value for m in cls)
    text = mode == "text"

    def validate_enum(value: Any) -> enum.Enum:
        if isinstance(value, cls):
            return value
        try:
            member = by_value.get((type(value), value))
            if member is None and isinstance(value, enum.Enum):
                member = by_value.get((type(value.value), value.value))
            if member is None and text and isinstance(value, str):
                member = by_text.get(value)
        except TypeError:
            member = None
        if member is None:
            raise invalid(f"Input should be {allowed}", "enum", ctx={"expected": allowed})
        return member

    return validate_enum
