"""The msgspec accelerator for dataclass bodies answers exactly as the generic path does.

``create(item)`` takes only a plain dataclass body, so its runner decodes with msgspec (when
installed); ``create_generic`` also takes the Request, which sends it through the generic
resolution (covet's JSON parser and validator). Every body below, hostile ones listed by hand
and a thousand random ones, is sent to both and must get the same status, headers and body.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest

from covet import CovetPy, Limits, Request
from covet.routing.msgspec_body import FALLBACK, body_decoder
from covet.validation import Constraints
from tests.support.asgi import serve
from tests.support.optional import require

require("msgspec")  # a skip here, a failure under CI=true


@dataclass
class Item:
    name: str
    price: float
    tags: list[str]
    quantity: int
    in_stock: bool = True
    note: str | None = None
    ratios: list[float] | None = None


LIMITS = Limits(max_body_size=600, max_json_depth=3, max_number_digits=24)


def build_app() -> CovetPy:
    app = CovetPy(limits=LIMITS)

    @app.post("/fast")
    async def create(item: Item) -> Item:
        return item

    @app.post("/generic")
    async def create_generic(item: Item, request: Request) -> Item:
        return item

    return app


def comparable(status: int, headers: list[Any], body: bytes) -> tuple[Any, ...]:
    """The response without the part that must differ: a problem names the request's path."""
    document = json.loads(body)
    if isinstance(document, dict) and "instance" in document:
        document["instance"] = "(this request's path)"
        return status, [h for h in headers if h[0] != b"content-length"], document
    return status, headers, body


def both(app: CovetPy, bodies: list[bytes]) -> list[tuple[Any, Any]]:
    async def run() -> list[tuple[Any, Any]]:
        pairs = []
        for body in bodies:
            fast = comparable(*await serve(app, "POST", "/fast", body=body))
            generic = comparable(*await serve(app, "POST", "/generic", body=body))
            pairs.append((fast, generic))
        return pairs

    return asyncio.run(run())


VALID = b'{"name":"pen","price":2,"tags":["a"],"quantity":3}'
CASES: list[tuple[str, bytes]] = [
    ("valid", VALID),
    (
        "every field",
        b'{"name":"p","price":1.5,"tags":[],"quantity":0,"in_stock":false,'
        b'"note":"n","ratios":[1,2.5]}',
    ),
    (
        "nulls for optionals",
        b'{"name":"p","price":1,"tags":[],"quantity":1,"note":null,"ratios":null}',
    ),
    ("null for a required field", b'{"name":null,"price":1,"tags":[],"quantity":1}'),
    ("unknown field", b'{"name":"p","price":1,"tags":[],"quantity":1,"x":1}'),
    ("overflow in an unknown field", b'{"name":"p","price":1,"tags":[],"quantity":1,"x":1e999}'),
    ("deep unknown field", b'{"name":"p","price":1,"tags":[],"quantity":1,"x":[[[[1]]]]}'),
    (
        "surrogate in an unknown field",
        b'{"name":"p","price":1,"tags":[],"quantity":1,"x":"\\ud800"}',
    ),
    ("overflowing float", b'{"name":"p","price":1e999,"tags":[],"quantity":1}'),
    ("NaN", b'{"name":"p","price":NaN,"tags":[],"quantity":1}'),
    ("negative zero", b'{"name":"p","price":-0,"tags":[],"quantity":-0,"ratios":[-0.0]}'),
    (
        "big integers",
        b'{"name":"p","price":123456789012345678901,"tags":[],"quantity":12345678901234567890}',
    ),
    ("2**53 + 1 as a float", b'{"name":"p","price":9007199254740993,"tags":[],"quantity":1}'),
    (
        "number over the digit limit",
        b'{"name":"p","price":1.0000000000000000000000001,"tags":[],"quantity":1}',
    ),
    (
        "long number inside a string",
        b'{"name":"1234567890123456789012345","price":1,"tags":[],"quantity":1}',
    ),
    ("integral float for an int", b'{"name":"p","price":1,"tags":[],"quantity":3.0}'),
    ("exponent for an int", b'{"name":"p","price":1,"tags":[],"quantity":3e0}'),
    ("bool for a number", b'{"name":"p","price":true,"tags":[],"quantity":false}'),
    ("number for a bool", b'{"name":"p","price":1,"tags":[],"quantity":1,"in_stock":1}'),
    ("duplicate keys: the last wins", b'{"name":"a","name":"b","price":1,"tags":[],"quantity":1}'),
    ("duplicate with a bad first", b'{"name":1,"name":"b","price":1,"tags":[],"quantity":1}'),
    ("bad list items", b'{"name":"p","price":1,"tags":["a",2,null],"quantity":1}'),
    ("missing fields", b"{}"),
    ("not an object", b"[1, 2]"),
    ("a string", b'"text"'),
    ("malformed", b'{"name": '),
    ("extra data", VALID + b" {}"),
    ("whitespace around", b" \n\t" + VALID + b"\r\n "),
    ("byte order mark", b"\xef\xbb\xbf" + VALID),
    ("bad UTF-8", b'{"name":"\xff","price":1,"tags":[],"quantity":1}'),
    ("non-ASCII text", '{"name":"pénne ✓","price":1,"tags":["ü"],"quantity":1}'.encode()),
    (
        "escapes",
        b'{"name":"a\\"b\\\\c\\u00e9\\ud83d\\ude00\\u0000","price":1,"tags":[],"quantity":1}',
    ),
    ("lone surrogate", b'{"name":"\\ud800","price":1,"tags":[],"quantity":1}'),
    ("too large", b'{"name":"' + b"x" * 700 + b'","price":1,"tags":[],"quantity":1}'),
    ("nested too deep", b'{"name":"p","price":1,"tags":[["a"]],"quantity":1}'),
]


@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_accelerated_runner_answers_like_the_generic_path(body: bytes) -> None:
    ((fast, generic),) = both(build_app(), [body])
    assert fast == generic


def random_body(rng: random.Random) -> bytes:
    numbers = ["0", "-0", "1", "-7", "3.5", "-0.0", "1e3", "1E-400", "1e309", "2.5e-5", "9" * 20]
    numbers += ["9" * 25, "0.1" + "0" * 30, "01", "1.", ".5", "+1", "18446744073709551616"]
    strings = ['"a"', '""', '"\\u00e9"', '"\\ud800"', '"\\ud83d\\ude00"', '"x\\ny"', '"\\q"']
    strings += ['"' + "é" * 3 + '"', '"unterminated', '"1e999"']
    others = ["true", "false", "null", "[]", "{}", "[[1]]", "NaN", "Infinity", "-Infinity"]

    def value(depth: int = 0) -> str:
        kind = rng.random()
        if kind < 0.3:
            return rng.choice(numbers)
        if kind < 0.55:
            return rng.choice(strings)
        if kind < 0.75 or depth > 1:
            return rng.choice(others)
        return "[" + ",".join(value(depth + 1) for _ in range(rng.randint(0, 3))) + "]"

    good = {"name": '"pen"', "price": "1.5", "tags": '["a"]', "quantity": "2"}
    fields = dict(good)
    for key in rng.sample([*good, "in_stock", "note", "ratios", "extra"], rng.randint(0, 4)):
        fields[key] = value()
    if rng.random() < 0.2:
        fields.pop(rng.choice(list(fields)))
    items = [f'"{key}":{text}' for key, text in fields.items()]
    if rng.random() < 0.1:
        items.append(rng.choice(items))  # a duplicate key
    text = rng.choice(["", " ", "\n"]) + "{" + ",".join(items) + "}"
    if rng.random() < 0.05:
        text = text[: rng.randint(0, len(text))]
    return text.encode("utf-8", "surrogatepass")


def test_random_bodies_get_the_generic_answers() -> None:
    rng = random.Random(11)
    bodies = [random_body(rng) for _ in range(1000)]
    results = both(build_app(), bodies)
    for body, (fast, generic) in zip(bodies, results, strict=True):
        assert fast == generic, body
    accepted = sum(1 for fast, _ in results if fast[0] == 200)
    assert 100 < accepted < 900  # both kinds of answer are exercised


def test_plain_dataclasses_get_the_decoder_and_others_do_not() -> None:
    decode = body_decoder(Item, LIMITS.max_json_depth, LIMITS.max_number_digits)
    assert decode is not None
    assert decode(VALID) == Item("pen", 2.0, ["a"], 3)
    assert decode(b'{"name":"p"}') is FALLBACK

    @dataclass
    class Checked:
        name: str

        def __post_init__(self) -> None:
            self.name = self.name.strip()

    @dataclass
    class OwnInit:
        name: str

        def __init__(self, name: str) -> None:
            self.name = name.upper()

    @dataclass
    class Factory:
        tags: list[str] = field(default_factory=list)

    @dataclass
    class Constrained:
        name: Annotated[str, Constraints(max_length=3)]

    @dataclass
    class Nested:
        item: Item

    @dataclass
    class Deep:
        tags: list[str]

    for model in (Checked, OwnInit, Factory, Constrained, Nested, dict, int):
        assert body_decoder(model, 64, 100) is None, model
    assert body_decoder(Deep, 1, 100) is None  # deeper than the depth limit
    assert body_decoder(Deep, 2, 100) is not None
    assert dataclasses.is_dataclass(Deep)


def test_without_msgspec_the_generic_path_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import msgspec now fails
    assert body_decoder(Item, 64, 100) is None
    ((fast, generic),) = both(build_app(), [VALID])
    assert fast == generic
    assert fast[0] == 200
