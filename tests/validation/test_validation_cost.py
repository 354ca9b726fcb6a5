"""Hostile input cannot make validation work or reports grow faster than the input.

Work is counted, not timed: the generic model loop is wrapped with a counter. A failure at
the bottom of a recursive model must cost a bounded number of passes per level (it once
doubled per level: 20 levels of a 300-byte body took 19 s), and error reports are capped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Optional, Union

import pytest

from covet import Body, CovetPy
from covet.testing import TestClient
from covet.validation import MAX_ISSUES, ValidationError, compile_validator
from covet.validation import models as m


@dataclass
class Node:
    v: int
    next: Optional[Node] = None  # noqa: UP045 - a forward reference


@dataclass
class Tree:
    v: int
    children: list[Tree]


@dataclass
class Left:
    child: Optional[Union[Left, Right]] = None  # noqa: UP007, UP045
    a: int = 0


@dataclass
class Right:
    child: Optional[Union[Left, Right]] = None  # noqa: UP007, UP045
    b: int = 0


def nested(depth: int, leaf: dict[str, Any], wrap: Any) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = wrap(value)
    return value


CASES = [
    (Node, lambda inner: {"v": 1, "next": inner}, {"v": "bad"}),
    (Tree, lambda inner: {"v": 1, "children": [inner]}, {"v": "bad", "children": []}),
    (Union[Left, Right], lambda inner: {"child": inner}, {"a": "bad", "b": "bad"}),  # noqa: UP007
]


@pytest.mark.parametrize(("annotation", "wrap", "leaf"), CASES, ids=["optional", "list", "union"])
def test_a_deep_failure_costs_passes_linear_in_depth(
    annotation: Any, wrap: Any, leaf: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    validate = compile_validator(annotation)
    passes = 0
    generic = m._validate_fields

    def counted(*args: Any) -> Any:
        nonlocal passes
        passes += 1
        return generic(*args)

    monkeypatch.setattr(m, "_validate_fields", counted)
    for depth in (10, 40):
        passes = 0
        with pytest.raises(ValidationError):
            validate(nested(depth, leaf, wrap))
        assert depth <= passes <= 3 * depth + 3, (depth, passes)


def test_error_reports_are_capped_and_say_so() -> None:
    app = CovetPy()

    @app.post("/numbers")
    async def numbers(values: Annotated[list[int], Body()]) -> int:
        return len(values)

    body = json.dumps(["x"] * 100_000)
    response = TestClient(app).post(
        "/numbers", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) == MAX_ISSUES + 1
    assert errors[-1]["type"] == "too_many_errors"
    assert errors[0]["loc"] == ["body", 0]
