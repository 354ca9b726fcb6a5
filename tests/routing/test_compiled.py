"""The generated matcher agrees with the generic trie walker on every path."""

from __future__ import annotations

import random

import pytest

from covet.routing.compiled import MAX_COMPILED_DEPTH
from covet.routing.patterns import compile_path
from covet.routing.trie import Trie

SEGMENT_CHOICES = [
    "users",
    "items",
    "a",
    "b",
    "{id:int}",
    "{x:float}",
    "{name}",
    "{slug}.{ext}",
    "{u:uuid}",
    "",
]
PATH_SEGMENTS = [
    "users",
    "items",
    "a",
    "b",
    "c",
    "42",
    "4.5",
    "x.json",
    "7b1ed2d6-5e38-4c8d-9d85-1f0a8a1d2c33",
    "",
    "caf\u00e9",
    # Digits of other scripts (str.isdigit and int() take them), and over-long numbers.
    "\u0661\u0662",
    "\uff11\uff12",
    "\u00b2",
    "12\u0663",
    "9" * 20,
    "1" * 21,
    "7" * 300,
    "3." + "5" * 300,
]


class Box:
    def __init__(self) -> None:
        self.label = ""


def random_table(rng: random.Random, size: int) -> tuple[Trie[Box], list[str]]:
    trie: Trie[Box] = Trie()
    templates: list[str] = []
    for _ in range(size):
        depth = rng.randint(1, 5)
        parts = [rng.choice(SEGMENT_CHOICES) for _ in range(depth)]
        names = iter(f"p{i}" for i in range(100))
        rendered = []
        for part in parts:
            for name in ("id", "x", "name", "slug", "ext", "u"):
                part = part.replace("{" + name, "{" + next(names) + "_" + name)
            rendered.append(part)
        if rng.random() < 0.2:
            rendered.append("{rest:path}")
        path = "/" + "/".join(rendered)
        box = trie.find_or_insert(compile_path(path), Box)
        box.label = box.label or path
        templates.append(path)
    return trie, templates


@pytest.mark.parametrize("seed", range(40))
def test_compiled_matcher_equals_walker(seed: int) -> None:
    rng = random.Random(seed)
    trie, _ = random_table(rng, rng.randint(1, 60))
    trie.compile()
    assert trie.compiled is not None
    for _ in range(300):
        path = "/" + "/".join(rng.choice(PATH_SEGMENTS) for _ in range(rng.randint(0, 7)))
        compiled = trie.match(path)
        expected = trie.walk(path)
        if expected is None:
            assert compiled is None, path
        else:
            assert compiled is not None, path
            assert compiled[0] is expected[0], path
            assert compiled[1] == expected[1], path


def test_very_deep_tables_fall_back_to_the_walker() -> None:
    trie: Trie[Box] = Trie()
    deep = "/" + "/".join(f"{{p{i}:int}}" for i in range(MAX_COMPILED_DEPTH + 2))
    trie.find_or_insert(compile_path(deep), Box)
    trie.compile()
    assert trie.compiled is None
    path = "/" + "/".join(str(i) for i in range(MAX_COMPILED_DEPTH + 2))
    found = trie.match(path)
    assert found is not None
    assert found[1]["p3"] == 3


def test_static_segments_are_embedded_safely() -> None:
    trie: Trie[Box] = Trie()
    hostile = "/x/'\"); import os; ('/{id:int}"
    trie.find_or_insert(compile_path(hostile), Box)
    trie.compile()
    found = trie.match("/x/'\"); import os; ('/5")
    assert found is not None
    assert found[1] == {"id": 5}
