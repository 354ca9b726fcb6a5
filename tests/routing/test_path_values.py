"""Plain ``{name}`` path segments are converted and validated by the handler's annotation."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest

from covet import CovetPy
from covet.exceptions import ConfigurationError
from covet.testing import TestClient
from covet.validation import Constraints


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def build() -> CovetPy:
    app = CovetPy()

    @app.get("/int/{value}")
    async def as_int(value: int) -> Any:
        return [value, type(value).__name__]

    @app.get("/float/{value}")
    async def as_float(value: float) -> Any:
        return [value, type(value).__name__]

    @app.get("/decimal/{value}")
    async def as_decimal(value: Decimal) -> Any:
        return [str(value), type(value).__name__]

    @app.get("/uuid/{value}")
    async def as_uuid(value: uuid.UUID) -> Any:
        return [str(value), type(value).__name__]

    @app.get("/color/{value}")
    async def as_color(value: Color) -> Any:
        return [value.value, type(value).__name__]

    @app.get("/day/{value}")
    async def as_date(value: dt.date) -> Any:
        return [value.isoformat(), type(value).__name__]

    @app.get("/mode/{value}")
    async def as_literal(value: Literal["fast", "slow"]) -> Any:
        return [value, type(value).__name__]

    @app.get("/code/{value}")
    async def as_code(value: Annotated[str, Constraints(pattern=r"[A-Z]{3}")]) -> Any:
        return [value, type(value).__name__]

    @app.get("/raw/{value}")
    async def as_text(value: str) -> Any:
        return [value, type(value).__name__]

    return app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/int/42", [42, "int"]),
        ("/int/-7", [-7, "int"]),
        ("/float/2.5", [2.5, "float"]),
        ("/decimal/1.10", ["1.10", "Decimal"]),
        (
            "/uuid/12345678-1234-5678-1234-567812345678",
            ["12345678-1234-5678-1234-567812345678", "UUID"],
        ),
        ("/color/blue", ["blue", "Color"]),
        ("/day/2026-11-26", ["2026-11-26", "date"]),
        ("/mode/slow", ["slow", "str"]),
        ("/code/ABC", ["ABC", "str"]),
        ("/raw/anything%20at%20all", ["anything at all", "str"]),
    ],
)
def test_values_are_converted(path: str, expected: Any) -> None:
    response = TestClient(build()).get(path)
    assert response.status_code == 200, response.text
    assert response.json() == expected


@pytest.mark.parametrize(
    "path",
    [
        "/int/abc",
        "/int/%D9%A1%D9%A2",  # Arabic-Indic digits: int() takes them, HTTP clients do not mean them
        "/int/1_000",
        "/float/nan",
        "/float/inf",
        "/decimal/NaN",
        "/uuid/not-a-uuid",
        "/color/green",
        "/day/2026-13-01",
        "/mode/medium",
        "/code/abcd",
    ],
)
def test_bad_values_are_a_422_located_at_the_path_parameter(path: str) -> None:
    response = TestClient(build()).get(path)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["path", "value"]]


def test_the_openapi_document_describes_the_annotation() -> None:
    document = build().openapi()
    parameter = document["paths"]["/color/{value}"]["get"]["parameters"][0]
    assert parameter["in"] == "path"
    schema = parameter["schema"]
    resolved = (
        document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if "$ref" in schema
        else schema
    )
    assert resolved["enum"] == ["red", "blue"]


@dataclass
class Point:
    x: int


def test_an_annotation_a_segment_cannot_hold_fails_at_startup() -> None:
    app = CovetPy()

    @app.get("/points/{point}")
    async def read_point(point: Point) -> Any:
        return point

    with pytest.raises(ConfigurationError, match=r"'point' of .*read_point.*/points/\{point\}"):
        TestClient(app).get("/points/1")


@pytest.mark.parametrize(
    "segment",
    ["\u0661\u0662", "\uff11\uff12", "\u00b2", "1\u0662"],
    ids=["arabic-indic", "fullwidth", "superscript", "mixed"],
)
def test_only_ascii_digits_match_typed_convertors(segment: str) -> None:
    app = CovetPy()

    @app.get("/items/{item_id:int}")
    async def item(item_id: int) -> Any:
        return item_id

    @app.get("/prices/{price:float}")
    async def price(price: float) -> Any:
        return price

    @app.get("/plain/{value}")
    async def plain(value: int) -> Any:
        return value

    client = TestClient(app)
    assert client.get(f"/items/{segment}").status_code == 404
    assert client.get(f"/prices/{segment}.5").status_code == 404
    assert client.get(f"/plain/{segment}").status_code == 422
    assert client.get("/items/12").json() == 12


def test_int_convertor_takes_at_most_twenty_digits() -> None:
    app = CovetPy()

    @app.get("/items/{item_id:int}")
    async def item(item_id: int) -> Any:
        return str(item_id)

    client = TestClient(app)
    assert client.get("/items/" + "9" * 20).json() == "9" * 20
    assert client.get("/items/" + "9" * 21).status_code == 404
    assert client.get("/items/" + "9" * 5000).status_code == 404
