"""Generated code (router matcher, model validators) shows its lines in tracebacks."""

from __future__ import annotations

import linecache
import traceback
from typing import Any

import pytest

from covet._generated import compile_generated
from covet.routing.convertors import Convertor, register_convertor
from covet.routing.patterns import compile_path
from covet.routing.trie import Trie
from covet.validation._codegen import fast_model_validator


class Exploding(Convertor):
    """A buggy custom convertor: raises something other than ValueError."""

    def convert(self, value: str) -> Any:
        raise RuntimeError("convertor bug")


def generated_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(exc.__traceback__)
    return [frame for frame in frames if frame.filename.startswith("<covet ")]


def test_compile_generated_registers_the_source_under_a_unique_name() -> None:
    first = compile_generated("x = 1\ny = 2\n", "sample")
    second = compile_generated("x = 1\ny = 2\n", "sample")
    assert first.co_filename != second.co_filename
    assert linecache.getline(first.co_filename, 2) == "y = 2\n"
    linecache.checkcache()  # not backed by a file, yet kept
    assert linecache.getline(second.co_filename, 1) == "x = 1\n"


def test_a_traceback_through_the_generated_router_shows_its_lines() -> None:
    register_convertor("test_exploding", Exploding)
    trie: Trie[str] = Trie()
    trie.find_or_insert(compile_path("/items/{item:test_exploding}"), str)
    trie.compile()
    assert trie.sources
    assert "def match(path):" in trie.sources[0]
    with pytest.raises(RuntimeError, match="convertor bug") as caught:
        trie.match("/items/x")
    (frame,) = generated_frames(caught.value)
    assert frame.filename.startswith("<covet router #")
    assert frame.line is not None
    assert "(s1)" in frame.line


def test_a_traceback_through_a_generated_validator_shows_its_lines() -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("field validator bug")

    validate = fast_model_validator(None, [("name", broken, True)], lambda *a: None)
    with pytest.raises(RuntimeError, match="field validator bug") as caught:
        validate({"name": "x"})
    (frame,) = generated_frames(caught.value)
    assert frame.line is not None
    assert "value['name']" in frame.line
