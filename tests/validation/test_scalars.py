"""Scalar validators in JSON and text mode, with constraints and hostile input."""

from __future__ import annotations

import datetime as dt
import enum
import math
import sys
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.testing import TestClient
from covet.validation import Constraints, ValidationError, compile_validator

UTC = dt.UTC
U = "12345678-1234-5678-1234-567812345678"


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


OK = [
    (str, "json", "hi", "hi"),
    (str, "text", "hi", "hi"),
    (int, "json", 42, 42),
    (int, "text", "42", 42),
    (int, "text", "-7", -7),
    (float, "json", 1, 1.0),
    (float, "json", 2.5, 2.5),
    (float, "text", "2.5", 2.5),
    (float, "text", "1e3", 1000.0),
    (bool, "json", True, True),
    (bool, "json", False, False),
    (bool, "text", "true", True),
    (bool, "text", "False", False),
    (bool, "text", "1", True),
    (bool, "text", "0", False),
    (bool, "text", "yes", True),
    (bool, "text", "no", False),
    (bool, "text", "on", True),
    (bool, "text", "off", False),
    (bytes, "json", "héllo", "héllo".encode()),
    (bytes, "text", "abc", b"abc"),
    (Decimal, "json", "1.10", Decimal("1.10")),
    (Decimal, "json", 3, Decimal(3)),
    (Decimal, "json", 0.5, Decimal("0.5")),
    (Decimal, "text", "2.50", Decimal("2.50")),
    (uuid.UUID, "json", U, uuid.UUID(U)),
    (uuid.UUID, "text", U, uuid.UUID(U)),
    (
        dt.datetime,
        "json",
        "2024-05-01T10:20:30Z",
        dt.datetime(2024, 5, 1, 10, 20, 30, tzinfo=dt.UTC),
    ),
    (dt.datetime, "text", "2024-05-01T10:20:30", dt.datetime(2024, 5, 1, 10, 20, 30)),
    (dt.date, "json", "2024-05-01", dt.date(2024, 5, 1)),
    (dt.time, "text", "10:20:30", dt.time(10, 20, 30)),
    (dt.timedelta, "json", "PT1H30M", dt.timedelta(hours=1, minutes=30)),
    (dt.timedelta, "json", "P1DT2H", dt.timedelta(days=1, hours=2)),
    (dt.timedelta, "json", "-PT10S", dt.timedelta(seconds=-10)),
    (dt.timedelta, "json", "P2W", dt.timedelta(weeks=2)),
    (dt.timedelta, "json", 90, dt.timedelta(seconds=90)),
    (dt.timedelta, "json", 1.5, dt.timedelta(seconds=1.5)),
    (dt.timedelta, "text", "90", dt.timedelta(seconds=90)),
    (Color, "json", "red", Color.RED),
    (Color, "text", "green", Color.GREEN),
    (Level, "json", 2, Level.HIGH),
    (Level, "text", "1", Level.LOW),
    (Literal["a", "b"], "json", "b", "b"),
    (Literal[1, 2], "json", 2, 2),
    (Literal[1, 2], "text", "2", 2),
    (Literal[True], "text", "true", True),
    (Any, "json", {"x": [1]}, {"x": [1]}),
    (None, "json", None, None),
]


@pytest.mark.parametrize(
    ("annotation", "mode", "raw", "expected"), OK, ids=[f"{a}-{m}-{r!r}" for a, m, r, _ in OK]
)
def test_valid_scalars_convert(annotation: Any, mode: Any, raw: Any, expected: Any) -> None:
    result = compile_validator(annotation, mode=mode)(raw)
    assert result == expected
    assert type(result) is type(expected)


BAD = [
    (str, "json", 1, "string_type"),
    (str, "json", None, "string_type"),
    (int, "json", "42", "int_type"),
    (int, "json", True, "int_type"),
    (int, "json", 1.0, "int_type"),
    (int, "text", "4.2", "int_parsing"),
    (int, "text", "1_000", "int_parsing"),
    (int, "text", "", "int_parsing"),
    (float, "json", True, "float_type"),
    (float, "json", "1.5", "float_type"),
    (float, "json", float("nan"), "finite_number"),
    (float, "json", float("inf"), "finite_number"),
    (float, "json", 10**400, "finite_number"),
    (float, "text", "nan", "finite_number"),
    (float, "text", "Infinity", "finite_number"),
    (float, "text", "1_0", "float_parsing"),
    (float, "text", "abc", "float_parsing"),
    (bool, "json", 1, "bool_type"),
    (bool, "json", "true", "bool_type"),
    (bool, "text", "maybe", "bool_parsing"),
    (bytes, "json", 5, "bytes_type"),
    (bytes, "json", "\ud800", "bytes_type"),
    (Decimal, "json", "NaN", "finite_number"),
    (Decimal, "json", "Infinity", "finite_number"),
    (Decimal, "json", True, "decimal_type"),
    (Decimal, "json", "abc", "decimal_parsing"),
    (Decimal, "json", float("nan"), "finite_number"),
    (uuid.UUID, "json", "nope", "uuid_parsing"),
    (uuid.UUID, "json", 5, "uuid_type"),
    (dt.datetime, "json", "yesterday", "datetime_parsing"),
    (dt.datetime, "json", 1700000000, "datetime_type"),
    (dt.date, "json", "2024-13-01", "date_parsing"),
    (dt.date, "json", "2024-05-01T10:00:00", "date_parsing"),
    (dt.time, "json", "25:00", "time_parsing"),
    (dt.timedelta, "json", "P", "time_delta_parsing"),
    (dt.timedelta, "json", "PT", "time_delta_parsing"),
    (dt.timedelta, "json", "P1Y", "time_delta_parsing"),
    (dt.timedelta, "json", "P99999999999D", "time_delta_parsing"),
    (dt.timedelta, "json", "90", "time_delta_type"),
    (dt.timedelta, "json", True, "time_delta_type"),
    (dt.timedelta, "json", 1e300, "time_delta_parsing"),
    (Color, "json", "blue", "enum"),
    (Color, "json", ["red"], "enum"),
    (Level, "json", True, "enum"),
    (Level, "json", "1", "enum"),
    (Literal["a", "b"], "json", "c", "literal_error"),
    (Literal[1, 2], "json", True, "literal_error"),
    (Literal[1, 2], "json", "1", "literal_error"),
    (Literal[1], "json", {}, "literal_error"),
    (None, "json", 0, "none_required"),
]


@pytest.mark.parametrize(
    ("annotation", "mode", "raw", "code"), BAD, ids=[f"{a}-{m}-{r!r}" for a, m, r, _ in BAD]
)
def test_invalid_scalars_report_one_issue(annotation: Any, mode: Any, raw: Any, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(annotation, mode=mode)(raw)
    assert [(i.loc, i.type) for i in info.value.issues] == [((), code)]


def test_huge_digit_string_is_an_issue_not_a_crash() -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(int, mode="text")("9" * 5000)
    assert info.value.issues[0].type == "int_parsing"
    assert compile_validator(int, mode="text")("9" * 4300) == int("9" * 4300)


def test_huge_float_string_is_not_finite() -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(float, mode="text")("9" * 5000)
    assert info.value.issues[0].type == "finite_number"


def test_allow_inf_nan_constraint_accepts_non_finite() -> None:
    validate = compile_validator(float, constraints=Constraints(allow_inf_nan=True))
    assert math.isnan(validate(float("nan")))
    assert validate(float("-inf")) == float("-inf")
    assert compile_validator(Decimal, constraints=Constraints(allow_inf_nan=True))("Infinity")


CONSTRAINED = [
    (int, Constraints(gt=1), 2, None),
    (int, Constraints(gt=1), 1, "greater_than"),
    (int, Constraints(ge=1), 1, None),
    (int, Constraints(ge=1), 0, "greater_than_equal"),
    (int, Constraints(lt=5), 4, None),
    (int, Constraints(lt=5), 5, "less_than"),
    (int, Constraints(le=5), 5, None),
    (int, Constraints(le=5), 6, "less_than_equal"),
    (int, Constraints(multiple_of=3), 9, None),
    (int, Constraints(multiple_of=3), 10, "multiple_of"),
    (float, Constraints(multiple_of=0.1), 0.3, None),
    (float, Constraints(multiple_of=0.5), 0.3, "multiple_of"),
    (Decimal, Constraints(multiple_of=Decimal("0.01")), "1.23", None),
    (Decimal, Constraints(multiple_of=Decimal("0.01")), "1.234", "multiple_of"),
    (Decimal, Constraints(le=10), "1e999999", "less_than_equal"),
    (float, Constraints(ge=0, allow_inf_nan=True), float("nan"), "greater_than_equal"),
    (str, Constraints(min_length=2), "ab", None),
    (str, Constraints(min_length=2), "a", "string_too_short"),
    (str, Constraints(max_length=2), "abc", "string_too_long"),
    (bytes, Constraints(max_length=2), "abc", "too_long"),
    (str, Constraints(pattern=r"^[a-z]+$"), "abc", None),
    (str, Constraints(pattern=r"^[a-z]+$"), "ab1", "string_pattern_mismatch"),
    (list[int], Constraints(min_length=1), [], "too_short"),
    (list[int], Constraints(max_length=1), [1, 2], "too_long"),
    (set[int], Constraints(max_length=1), [1, 2], "too_long"),
    (tuple[int, ...], Constraints(max_length=1), [1, 2], "too_long"),
    (dict[str, int], Constraints(max_length=1), {"a": 1, "b": 2}, "too_long"),
    (int | None, Constraints(ge=1), None, None),
    (int | None, Constraints(ge=1), 0, "greater_than_equal"),
    (Annotated[int, Constraints(ge=1)], None, 0, "greater_than_equal"),
    (Annotated[int, Constraints(ge=1)], Constraints(le=3), 4, "less_than_equal"),
]


@pytest.mark.parametrize(
    ("annotation", "constraints", "raw", "code"),
    CONSTRAINED,
    ids=[f"{a}-{c}-{r!r}" for a, c, r, _ in CONSTRAINED],
)
def test_constraints(annotation: Any, constraints: Any, raw: Any, code: str | None) -> None:
    validate = compile_validator(annotation, constraints=constraints)
    if code is None:
        validate(raw)
        return
    with pytest.raises(ValidationError) as info:
        validate(raw)
    assert [(i.loc, i.type) for i in info.value.issues] == [((), code)]


def test_constraints_apply_in_text_mode() -> None:
    validate = compile_validator(int, mode="text", constraints=Constraints(ge=1, le=100))
    assert validate("20") == 20
    with pytest.raises(ValidationError) as info:
        validate("101")
    assert info.value.issues[0].type == "less_than_equal"


def test_several_failing_constraints_are_all_reported() -> None:
    validate = compile_validator(int, constraints=Constraints(ge=10, multiple_of=3))
    with pytest.raises(ValidationError) as info:
        validate(4)
    assert [i.type for i in info.value.issues] == ["greater_than_equal", "multiple_of"]


BAD_CONSTRAINTS = [
    ({"pattern": "("}, "pattern"),
    ({"min_length": 3, "max_length": 2}, "min_length"),
    ({"min_length": -1}, "min_length"),
    ({"ge": 5, "le": 1}, "lower bound"),
    ({"multiple_of": 0}, "multiple_of"),
    ({"gt": "1"}, "gt"),
    ({"le": True}, "le"),
]


@pytest.mark.parametrize(("kwargs", "match"), BAD_CONSTRAINTS, ids=[m for _, m in BAD_CONSTRAINTS])
def test_bad_constraints_fail_when_built(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        Constraints(**kwargs)


@pytest.mark.parametrize(
    ("annotation", "constraints"),
    [
        (str, Constraints(ge=1)),
        (int, Constraints(min_length=1)),
        (int, Constraints(pattern="x")),
        (bool, Constraints(gt=0)),
        (Literal["a"], Constraints(max_length=1)),
        (dt.date, Constraints(ge=1)),
    ],
    ids=["bound-on-str", "length-on-int", "pattern-on-int", "bound-on-bool", "literal", "date"],
)
def test_inapplicable_constraints_fail_at_compile_time(annotation: Any, constraints: Any) -> None:
    with pytest.raises(TypeError, match="do not apply"):
        compile_validator(annotation, constraints=constraints)


# -- integer strings at CPython's digit limit -------------------------------------------------

INT_LIMIT_OK = [
    ("1" * 4300, "4300-digits"),
    ("+" + "1" * 4300, "sign-is-not-a-digit"),
    ("-" + "1" * 4300, "minus-is-not-a-digit"),
    (" " + "1" * 4300 + " ", "surrounding-spaces"),
]


@pytest.mark.parametrize("raw", [r for r, _ in INT_LIMIT_OK], ids=[i for _, i in INT_LIMIT_OK])
def test_int_text_at_the_digit_limit_parses(raw: str) -> None:
    assert compile_validator(int, mode="text")(raw) == int(raw)


INT_LIMIT_BAD = [
    ("1" * 4301, "4301-digits"),
    ("-" + "1" * 4301, "signed-4301-digits"),
    ("0" * 4300 + "1", "leading-zeros-count"),
    ("1" * 4302, "4302-digits"),
]


@pytest.mark.parametrize("raw", [r for r, _ in INT_LIMIT_BAD], ids=[i for _, i in INT_LIMIT_BAD])
def test_int_text_past_the_digit_limit_is_an_issue(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(int, mode="text")(raw)
    assert [(i.type, i.msg) for i in info.value.issues] == [
        ("int_parsing", "Input should have at most 4300 digits")
    ]


def test_int_text_follows_a_lowered_interpreter_limit() -> None:
    validate = compile_validator(int, mode="text")
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        assert validate("7" * 1000) == int("7" * 1000)
        with pytest.raises(ValidationError) as info:
            validate("7" * 1001)
        assert info.value.issues[0].msg == "Input should have at most 1000 digits"
    finally:
        sys.set_int_max_str_digits(previous)


def test_int_text_with_no_interpreter_limit_keeps_covets_own() -> None:
    validate = compile_validator(int, mode="text")
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        with pytest.raises(ValidationError) as info:
            validate("7" * 4301)
        assert info.value.issues[0].type == "int_parsing"
    finally:
        sys.set_int_max_str_digits(previous)


def test_huge_int_converts_to_decimal_exactly() -> None:
    big = 10**5000 + 1  # more digits than str(int) may produce
    assert compile_validator(Decimal)(big) == Decimal(big)


# -- number strings: ASCII digits only, never a crash -----------------------------------------

NUMBER_TEXT_BAD = [
    (Decimal, "\u0661", "decimal_parsing", "arabic-indic-digit"),
    (Decimal, "\uff11\uff12", "decimal_parsing", "fullwidth-digits"),
    (Decimal, "1_000", "decimal_parsing", "underscore"),
    (Decimal, "sNaN", "decimal_parsing", "signalling-nan"),
    (Decimal, "NaN12", "decimal_parsing", "nan-payload"),
    (Decimal, "1e" + "9" * 5000, "decimal_parsing", "exponent-beyond-decimal"),
    (Decimal, "", "decimal_parsing", "empty"),
    (float, "\u0661", "float_parsing", "arabic-indic-digit"),
    (float, "1_000", "float_parsing", "underscore"),
    (float, "1e" + "9" * 5000, "finite_number", "huge-exponent"),
    (float, "0." + "0" * 5000 + "1e" + "9" * 50, "finite_number", "huge-exponent-tiny-mantissa"),
    (int, "\u0661", "int_parsing", "arabic-indic-digit"),
]


@pytest.mark.parametrize(
    ("annotation", "raw", "code"),
    [(a, r, c) for a, r, c, _ in NUMBER_TEXT_BAD],
    ids=[f"{a.__name__}-{i}" for a, _, _, i in NUMBER_TEXT_BAD],
)
def test_number_text_outside_ascii_syntax_is_an_issue(annotation: Any, raw: str, code: str) -> None:
    for mode in ("text", "json") if annotation is Decimal else ("text",):
        with pytest.raises(ValidationError) as info:
            compile_validator(annotation, mode=mode)(raw)
        assert [i.type for i in info.value.issues] == [code]


NUMBER_TEXT_OK = [
    (Decimal, " 1.50 ", Decimal("1.50")),
    (Decimal, "-.5e-3", Decimal("-0.0005")),
    (Decimal, "1E+999999", Decimal("1E+999999")),
    (Decimal, "9" * 5000, Decimal("9" * 5000)),
    (float, " 1.5e3 ", 1500.0),
    (float, "1" * 5000 + "e-4990", float("1" * 5000 + "e-4990")),
]


@pytest.mark.parametrize(
    ("annotation", "raw", "expected"),
    NUMBER_TEXT_OK,
    ids=[f"{a.__name__}-{r[:12]!r}" for a, r, _ in NUMBER_TEXT_OK],
)
def test_number_text_in_ascii_syntax_parses(annotation: Any, raw: str, expected: Any) -> None:
    assert compile_validator(annotation, mode="text")(raw) == expected


def test_decimal_from_float_keeps_its_short_form() -> None:
    assert str(compile_validator(Decimal)(0.1)) == "0.1"
    with pytest.raises(ValidationError) as info:
        compile_validator(Decimal)(float("inf"))
    assert info.value.issues[0].type == "finite_number"


# -- through HTTP --------------------------------------------------------------------------------


def _digits_app() -> TestClient:
    app = CovetPy()

    @app.get("/q")
    async def by_query(n: int) -> int:
        return n.bit_length()

    @app.get("/p/{n}")
    async def by_path(n: int) -> int:
        return n.bit_length()

    @app.get("/d")
    async def by_decimal(d: Decimal) -> str:
        return str(d)

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("where", ["/q?n=", "/p/"], ids=["query", "path"])
def test_4301_digit_integer_is_a_422_over_http(where: str) -> None:
    client = _digits_app()
    assert client.get(where + "1" * 4300).status_code == 200
    response = client.get(where + "1" * 4301)
    assert response.status_code == 422
    (issue,) = response.json()["errors"]
    assert issue["type"] == "int_parsing"
    assert issue["msg"] == "Input should have at most 4300 digits"


def test_non_ascii_decimal_is_a_422_over_http() -> None:
    client = _digits_app()
    assert client.get("/d", params={"d": "1.5"}).json() == "1.5"
    response = client.get("/d", params={"d": "\u0661"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "decimal_parsing"
