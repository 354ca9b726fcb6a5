"""Container and combinator validators: every bad item reported at its location."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Optional, Union

import pytest

from covet.validation import Constraints, ValidationError, compile_validator

OK = [
    (list[int], "json", [1, 2], [1, 2]),
    (list[int], "text", ["1", "2"], [1, 2]),
    (list[int], "json", (1,), [1]),
    (list, "json", [1, "a"], [1, "a"]),
    (Sequence[str], "json", ["a"], ["a"]),
    (set[int], "json", [1, 1, 2], {1, 2}),
    (frozenset[str], "json", ["a", "a"], frozenset({"a"})),
    (tuple[int, ...], "json", [1, 2, 3], (1, 2, 3)),
    (tuple[int, str], "json", [1, "a"], (1, "a")),
    (tuple[()], "json", [], ()),
    (dict[str, int], "json", {"a": 1}, {"a": 1}),
    (dict[int, float], "json", {"1": 2}, {1: 2.0}),
    (dict[uuid.UUID, int], "json", {str(uuid.UUID(int=1)): 1}, {uuid.UUID(int=1): 1}),
    (Mapping[str, list[int]], "json", {"a": [1]}, {"a": [1]}),
    (dict, "json", {"a": object}, {"a": object}),
    (Optional[int], "json", None, None),  # noqa: UP045 - both spellings are supported
    (int | None, "json", 3, 3),
    (Union[int, str], "json", "x", "x"),  # noqa: UP007
    (int | str, "json", 5, 5),
    (int | str, "text", "5", 5),
    (list[list[int]], "json", [[1], [2, 3]], [[1], [2, 3]]),
    (dict[str, list[int | None]], "json", {"a": [1, None]}, {"a": [1, None]}),
    (list[Annotated[int, Constraints(ge=0)]], "json", [0, 1], [0, 1]),
]


@pytest.mark.parametrize(
    ("annotation", "mode", "raw", "expected"), OK, ids=[f"{a}-{m}-{r!r}" for a, m, r, _ in OK]
)
def test_valid_containers_convert(annotation: Any, mode: Any, raw: Any, expected: Any) -> None:
    result = compile_validator(annotation, mode=mode)(raw)
    assert result == expected
    assert type(result) is type(expected)


BAD = [
    (list[int], [1, "a", 3, True], [((1,), "int_type"), ((3,), "int_type")]),
    (list[int], {"a": 1}, [((), "list_type")]),
    (list[int], "12", [((), "list_type")]),
    (set[int], [1, "x"], [((1,), "int_type")]),
    (set[dict[str, int]], [{"a": 1}], [((), "set_type")]),
    (frozenset[int], 3, [((), "frozenset_type")]),
    (tuple[int, str], [1], [((), "too_short")]),
    (tuple[int, str], [1, "a", 2], [((), "too_long")]),
    (tuple[int, str], ["a", 1], [((0,), "int_type"), ((1,), "string_type")]),
    (tuple[int, ...], [1, None], [((1,), "int_type")]),
    (dict[str, int], [1], [((), "dict_type")]),
    (dict[str, int], {"a": "x", "b": 2, "c": None}, [(("a",), "int_type"), (("c",), "int_type")]),
    (dict[int, int], {"x": 1}, [(("x", "[key]"), "int_parsing")]),
    (list[list[int]], [[1], [2, "b"]], [((1, 1), "int_type")]),
    (
        dict[str, list[int]],
        {"a": [1, "x"], "b": "y"},
        [(("a", 1), "int_type"), (("b",), "list_type")],
    ),
    (int | None, "x", [((), "int_type")]),
    (
        int | uuid.UUID,
        "nope",
        [((), "union"), ((), "int_type"), ((), "uuid_parsing")],
    ),
    (
        list[int | str],
        [1, None],
        [((1,), "union"), ((1,), "int_type"), ((1,), "string_type")],
    ),
    (
        list[Annotated[int, Constraints(ge=0)]],
        [1, -1, -2],
        [((1,), "greater_than_equal"), ((2,), "greater_than_equal")],
    ),
]


@pytest.mark.parametrize(
    ("annotation", "raw", "issues"), BAD, ids=[f"{a}-{r!r}" for a, r, _ in BAD]
)
def test_invalid_containers_report_every_issue(
    annotation: Any, raw: Any, issues: list[tuple[tuple[Any, ...], str]]
) -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(annotation)(raw)
    assert [(i.loc, i.type) for i in info.value.issues] == issues


def test_union_tries_branches_in_order() -> None:
    assert compile_validator(float | int)(1) == 1.0
    assert type(compile_validator(int | float)(1)) is int
    assert compile_validator(list[float | int])([1]) == [1.0]
    assert type(compile_validator(list[int | float])([1])[0]) is int


def test_union_issue_names_the_branches() -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(int | uuid.UUID)("nope")
    assert "int | UUID" in info.value.issues[0].msg


def test_loc_prefix_is_prepended() -> None:
    validate = compile_validator(list[int], loc_prefix=("body", "ids"))
    with pytest.raises(ValidationError) as info:
        validate([1, "x"])
    assert info.value.issues[0].loc == ("body", "ids", 1)


def test_compile_is_cached() -> None:
    first = compile_validator(dict[str, list[int]], mode="text")
    assert compile_validator(dict[str, list[int]], mode="text") is first
    assert compile_validator(dict[str, list[int]], mode="json") is not first
    constrained = compile_validator(int, constraints=Constraints(ge=1))
    assert compile_validator(int, constraints=Constraints(ge=1)) is constrained
    assert compile_validator(int, constraints=Constraints(ge=2)) is not constrained


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):
        compile_validator(int, mode="xml")  # type: ignore[arg-type]


class NotAModel:
    x: int


@pytest.mark.parametrize(
    "annotation",
    [NotAModel, list[NotAModel], dict[str, object], int | complex, "int"],
    ids=["plain-class", "in-list", "object", "in-union", "string"],
)
def test_unsupported_annotation_is_a_type_error_naming_it(annotation: Any) -> None:
    with pytest.raises(TypeError, match="Unsupported annotation") as info:
        compile_validator(annotation)
    assert any(name in str(info.value) for name in ("NotAModel", "object", "complex", "'int'"))


HOSTILE: list[Any] = [
    None,
    1,
    1.5,
    "s",
    [],
    [[]],
    {"a": None},
    {"a": [None]},
    {"a": [[1, None]]},
    {"a": [[1, [None]]]},
    {"a": [["1", ["x"]]]},
    {"a": [[1, ["x"], 3]]},
]


@pytest.mark.parametrize("raw", HOSTILE, ids=[repr(r) for r in HOSTILE])
def test_wrong_types_at_every_level_are_issues_not_crashes(raw: Any) -> None:
    with pytest.raises(ValidationError) as info:
        compile_validator(dict[str, list[tuple[int, set[str]]]])(raw)
    assert info.value.issues
