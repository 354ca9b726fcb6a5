"""An app exercising the typed-handler surface, for ``test_schemathesis_types.py``.

Every route validates typed input (JSON bodies of each model kind, several embedded bodies,
path/query/header/cookie parameters, form fields and an upload) and answers with a response
model echoing what it validated, so schemathesis can check both directions against the
OpenAPI document the app generates: valid input must be accepted and echoed within the
documented schema, invalid input refused with a 4xx, never a 5xx.

Served with ``covet run tests.openapi.typed_app:app``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

import msgspec
import pydantic

from covet import (
    Body,
    Cookie,
    CovetPy,
    Depends,
    File,
    Form,
    Header,
    JSONResponse,
    Limits,
    Path,
    Query,
    Response,
    UploadFile,
)
from covet.validation import Constraints

# -- shared types -----------------------------------------------------------------------------


class Color(enum.Enum):
    """A string enum."""

    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.IntEnum):
    """An integer enum."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


# pydantic.Strict: when pydantic validates a Point (inside PydanticShape) it must refuse
# ``false`` for an int, as covet does; covet ignores metadata that states no constraint.
Small = Annotated[int, Constraints(ge=-1000, le=1000), pydantic.Strict()]
Percent = Annotated[int, Constraints(ge=0, le=100)]
# Patterns stay within what both JSON Schema's (ECMA 262) and Python's regex dialects read alike.
Slug = Annotated[str, Constraints(min_length=1, max_length=16, pattern=r"^[a-z0-9-]+$")]


@dataclass
class Point:
    """A nested dataclass."""

    x: Small
    y: Small


# -- JSON bodies ------------------------------------------------------------------------------


@dataclass
class Everything:
    """A dataclass with a field of every kind the validator knows."""

    text: Annotated[str, Constraints(min_length=1, max_length=20)]
    slug: Slug
    count: Annotated[int, Constraints(ge=0, le=100, multiple_of=5)]
    ratio: Annotated[float, Constraints(gt=0, lt=1)]
    flag: bool
    ident: uuid.UUID
    when: dt.datetime
    day: dt.date
    at: dt.time
    span: dt.timedelta
    color: Color
    level: Level
    mode: Literal["fast", "slow"]
    note: Annotated[str, Constraints(max_length=10)] | None
    either: Small | Annotated[str, Constraints(max_length=10)]
    tags: Annotated[list[Slug], Constraints(max_length=3)]
    unique: set[Small]
    pair: tuple[Small, bool]
    scores: dict[str, Small]
    origin: Point
    target: Point | None = None
    label: Annotated[str, Constraints(max_length=10)] = "none"


@dataclass
class Priced:
    """A Decimal field (in a route of its own: see the test for its known documentation bug)."""

    price: Annotated[decimal.Decimal, Constraints(ge=0, le=1000)]


class Address(TypedDict):
    """A TypedDict body."""

    street: Annotated[str, Constraints(min_length=1, max_length=30)]
    number: Annotated[int, Constraints(ge=1, le=9999)]
    tags: list[Slug]


class PydanticPoint(pydantic.BaseModel):
    """A nested pydantic model.

    Its ints are strict: in lax mode pydantic takes ``true`` for an int, outside the document
    (pydantic's own schema, ``type: integer``), as it would under any framework. For the same
    reason the pydantic models hold no datetime (lax pydantic takes a Unix time for one, strict
    pydantic refuses the ISO string a JSON body carries): the dataclass covers datetimes.
    """

    x: int = pydantic.Field(ge=-1000, le=1000, strict=True)
    y: int = pydantic.Field(ge=-1000, le=1000, strict=True)


class PydanticItem(pydantic.BaseModel):
    """A pydantic body."""

    name: str = pydantic.Field(min_length=1, max_length=20)
    quantity: int = pydantic.Field(ge=0, le=1000, strict=True)
    color: Color = Color.RED
    point: PydanticPoint | None = None


class PydanticShape(pydantic.BaseModel):
    """A pydantic body nesting a dataclass whose fields carry covet ``Constraints``.

    pydantic validates the nested dataclass itself; covet's ``Constraints`` tell it the bounds
    (``Constraints.__get_pydantic_core_schema__``), so they hold as the shared ``Point``
    component documents them.
    """

    origin: Point


class MsgspecItem(msgspec.Struct):
    """A msgspec body."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    weight: Annotated[float, msgspec.Meta(ge=0, le=1000)]
    labels: list[str] = []
    level: Level = Level.LOW


# The default 100-character guard on JSON number literals (400 above it) would refuse the huge
# integers schemathesis puts in the extra properties the document allows (a dataclass schema does
# not forbid them): a deliberate limit, not a bug, so it is raised to CPython's own digit limit.
app = CovetPy(title="Typed surface", limits=Limits(max_number_digits=4300))


@app.post("/bodies/everything")
async def echo_everything(body: Everything) -> Everything:
    """Echo a dataclass body with every kind of field."""
    return body


@app.post("/bodies/decimal")
async def echo_decimal(body: Priced) -> Priced:
    """Echo a Decimal field."""
    return body


@app.post("/bodies/typed-dict")
async def echo_typed_dict(address: Address) -> Address:
    """Echo a TypedDict body."""
    return address


@app.post("/bodies/pydantic", status_code=201)
async def echo_pydantic(item: PydanticItem) -> PydanticItem:
    """Echo a pydantic body."""
    return item


@app.post("/bodies/pydantic-dataclass")
async def echo_pydantic_dataclass(shape: PydanticShape) -> PydanticShape:
    """Echo a pydantic body nesting a constrained dataclass."""
    return shape


@app.post("/bodies/msgspec")
async def echo_msgspec(item: MsgspecItem) -> MsgspecItem:
    """Echo a msgspec body."""
    return item


@dataclass
class Embedded:
    """What the several-bodies route echoes."""

    point: Point
    address: Address
    note: str
    factor: float


@app.post("/bodies/embedded")
async def echo_embedded(
    point: Point,
    address: Address,
    note: Annotated[str, Body(min_length=1, max_length=10)],
    factor: Annotated[float, Body(ge=0, le=10)] = 1.0,
) -> Embedded:
    """Several bodies, each read from the JSON member of its name."""
    return Embedded(point, address, note, factor)


# -- path, query, header and cookie parameters -------------------------------------------------


@dataclass
class Parameters:
    """What the parameters route echoes."""

    item_id: int
    color: Color
    day: dt.date
    ids: list[int]
    level: Level | None
    mode: Literal["fast", "slow"]
    search: str | None
    ratio: float
    enabled: bool
    token: str | None
    session: str | None


@app.get("/params/{item_id}/{color}/{day}")
async def echo_parameters(
    item_id: Annotated[int, Path(ge=1, le=10_000)],
    color: Color,
    day: dt.date,
    ids: Annotated[list[Percent] | None, Query(max_length=5)] = None,
    level: Level | None = None,
    mode: Literal["fast", "slow"] = "fast",
    search: Annotated[str | None, Query(alias="q", max_length=20)] = None,
    ratio: Annotated[float, Query(ge=0, le=1)] = 0.5,
    enabled: bool = False,
    token: Annotated[str | None, Header(alias="X-Token", pattern=r"^[A-Za-z0-9]{1,12}$")] = None,
    session: Annotated[str | None, Cookie(pattern=r"^[a-z0-9]{1,12}$")] = None,
) -> Parameters:
    """Echo typed path, query, header and cookie parameters."""
    return Parameters(
        item_id, color, day, ids or [], level, mode, search, ratio, enabled, token, session
    )


# -- forms and an upload ----------------------------------------------------------------------


@dataclass
class Submission:
    """What the form routes echo."""

    name: str
    age: int
    tags: list[str]
    size: int | None = None
    filename: str | None = None


@app.post("/forms/plain")
async def echo_form(
    name: Annotated[str, Form(min_length=1, max_length=20)],
    age: Annotated[int, Form(ge=0, le=150)] = 30,
    tags: Annotated[list[str] | None, Form(alias="tag")] = None,
) -> Submission:
    """Echo urlencoded form fields."""
    return Submission(name, age, tags or [])


# File(max_length=64) is enforced (422) but not documented (the part's schema has no size), so a
# larger file is valid by the document yet refused; schemathesis' small generated files do not
# reach it, which is why no xfail marks it.
@app.post("/forms/upload")
async def echo_upload(
    document: Annotated[UploadFile, File(max_length=64)],
    name: Annotated[str, Form(min_length=1, max_length=20)],
    age: Annotated[int, Form(ge=0, le=150)] = 30,
) -> Submission:
    """Echo a multipart form with an uploaded file of at most 64 bytes."""
    content = await document.read()
    return Submission(name, age, [], size=len(content), filename=document.filename)


# -- dependencies, a Response parameter and an extra documented status -------------------------


@dataclass
class Paging:
    """A dependency's value, from its own query parameters."""

    offset: int
    limit: int


def paging(
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Paging:
    """Read the paging query parameters."""
    return Paging(offset, limit)


@dataclass
class Page:
    """A page of numbers."""

    paging: Paging
    numbers: list[int]


@dataclass
class Problem:
    """The documented 404 body."""

    error: str
    offset: int


TOTAL = 100

PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "X-Total-Count": {
                "description": "How many numbers there are.",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
        }
    },
    404: {"description": "The offset is past the end.", "model": Problem},
}


@app.get("/pages", responses=PAGE_RESPONSES)
async def list_numbers(
    page: Annotated[Paging, Depends(paging)], response: Response
) -> Page | JSONResponse:
    """A page of numbers; 404 (documented) past the end; the count in a response header."""
    if page.offset >= TOTAL:
        return JSONResponse({"error": "past the end", "offset": page.offset}, status_code=404)
    response.headers["X-Total-Count"] = str(TOTAL)
    end = min(page.offset + page.limit, TOTAL)
    return Page(page, list(range(page.offset, end)))
