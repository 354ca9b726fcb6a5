"""The error model, and translation of pydantic/msgspec errors (with stand-in modules)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import types
from typing import Any

import pytest

from covet.exceptions import CovetError
from covet.validation import (
    ValidationError,
    ValidationIssue,
    compile_serializer,
    compile_validator,
)
from covet.validation.models import msgspec_loc


def test_issue_is_frozen_and_error_is_a_covet_error() -> None:
    issue = ValidationIssue(("a", 0), "bad", "int_type")
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.msg = "other"  # type: ignore[misc]
    error = ValidationError([issue])
    assert isinstance(error, CovetError)
    assert error.issues == [issue]


def test_error_str_lists_every_issue_with_its_location() -> None:
    error = ValidationError(
        [ValidationIssue(("a", 0), "bad", "int_type"), ValidationIssue((), "worse", "missing")]
    )
    text = str(error)
    assert "2 validation issue(s)" in text
    assert "a.0: bad [int_type]" in text
    assert "<value>: worse [missing]" in text


def test_prefixed_keeps_issues_and_prepends_loc() -> None:
    error = ValidationError([ValidationIssue((1,), "bad", "int_type")])
    moved = error.prefixed(("query", "ids"))
    assert moved.issues == [ValidationIssue(("query", "ids", 1), "bad", "int_type")]
    assert error.issues[0].loc == (1,)


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("", ()),
        (".a", ("a",)),
        (".items[0].name", ("items", 0, "name")),
        ("[3][-1]", (3, -1)),
        (".tags[...]", ("tags",)),
    ],
    ids=["root", "field", "nested", "indexes", "ellipsis"],
)
def test_msgspec_paths_become_locs(path: str, loc: tuple[Any, ...]) -> None:
    assert msgspec_loc(path) == loc


BLOCKED = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("pydantic", "msgspec"):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from dataclasses import dataclass
from covet.validation import compile_serializer, compile_validator
@dataclass
class A:
    x: int
assert compile_validator(list[A])([{"x": 1}]) == [A(1)]
assert compile_serializer(A)(A(2)) == {"x": 2}
assert "pydantic" not in sys.modules and "msgspec" not in sys.modules
print("ok")
"""


def test_validation_works_without_pydantic_or_msgspec() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --- stand-in modules: exercise the adapters without the real libraries --------------------


class _FakePydanticError(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self._errors = errors

    def errors(self, **options: Any) -> list[dict[str, Any]]:
        return self._errors


class _FakeBaseModel:
    def __init__(self, **data: Any) -> None:
        self.__dict__.update(data)

    @classmethod
    def model_validate(cls, value: Any, *, from_attributes: bool = False) -> Any:
        if from_attributes and not isinstance(value, dict):
            value = {"age": value.age}
        if not isinstance(value.get("age"), int):
            raise _FakePydanticError(
                [{"loc": ("age",), "msg": "Input should be a valid integer", "type": "int_parsing"}]
            )
        return cls(age=value["age"])

    def model_dump(self, *, mode: str, **options: Any) -> dict[str, Any]:
        assert mode == "json"
        return {"age": self.age}  # type: ignore[attr-defined]


@pytest.fixture
def fake_pydantic(monkeypatch: pytest.MonkeyPatch) -> type[_FakeBaseModel]:
    module = types.ModuleType("pydantic")
    module.BaseModel = _FakeBaseModel  # type: ignore[attr-defined]
    module.ValidationError = _FakePydanticError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pydantic", module)

    class Pet(_FakeBaseModel):
        pass

    return Pet


def test_pydantic_errors_are_translated(fake_pydantic: type[_FakeBaseModel]) -> None:
    validate = compile_validator(list[fake_pydantic], loc_prefix=("body",))  # type: ignore[valid-type]
    assert validate([{"age": 3}])[0].age == 3
    with pytest.raises(ValidationError) as info:
        validate([{"age": 1}, {"age": "old"}])
    assert info.value.issues == [
        ValidationIssue(("body", 1, "age"), "Input should be a valid integer", "int_parsing")
    ]


def test_pydantic_serialiser_filters_other_objects(fake_pydantic: type[_FakeBaseModel]) -> None:
    row = types.SimpleNamespace(age=4, password_hash="x")
    assert compile_serializer(fake_pydantic)(row) == {"age": 4}
    assert compile_serializer(fake_pydantic)(fake_pydantic(age=5)) == {"age": 5}


class _FakeMsgspecError(Exception):
    pass


class _FakeStruct:
    pass


@pytest.fixture
def fake_msgspec(monkeypatch: pytest.MonkeyPatch) -> type[_FakeStruct]:
    module = types.ModuleType("msgspec")

    def convert(value: Any, type_: Any, *, from_attributes: bool = False) -> Any:
        if value == "bad":
            raise _FakeMsgspecError("Expected `int`, got `str` - at `$.items[2].qty`")
        if value == "root":
            raise _FakeMsgspecError("Expected `object`, got `str`")
        return type_()

    module.Struct = _FakeStruct  # type: ignore[attr-defined]
    module.ValidationError = _FakeMsgspecError  # type: ignore[attr-defined]
    module.convert = convert  # type: ignore[attr-defined]
    module.to_builtins = lambda value: {"struct": type(value).__name__}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "msgspec", module)

    class Cart(_FakeStruct):
        pass

    return Cart


def test_msgspec_errors_are_translated(fake_msgspec: type[_FakeStruct]) -> None:
    validate = compile_validator(fake_msgspec)
    assert isinstance(validate({}), fake_msgspec)
    with pytest.raises(ValidationError) as info:
        validate("bad")
    assert info.value.issues == [
        ValidationIssue(("items", 2, "qty"), "Expected `int`, got `str`", "msgspec_validation")
    ]
    with pytest.raises(ValidationError) as info:
        validate("root")
    assert info.value.issues[0].loc == ()


def test_msgspec_serialiser(fake_msgspec: type[_FakeStruct]) -> None:
    assert compile_serializer(fake_msgspec)({"x": 1}) == {"struct": "Cart"}


def test_plain_class_is_not_mistaken_for_a_model_when_libraries_are_loaded(
    fake_pydantic: type[_FakeBaseModel], fake_msgspec: type[_FakeStruct]
) -> None:
    class Plain:
        pass

    with pytest.raises(TypeError, match="Plain"):
        compile_validator(Plain)
