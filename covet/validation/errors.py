"""The validation error model: every problem found in a value, each with its location."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from covet.exceptions import CovetError, HTTPException

Loc = tuple[str | int, ...]


class _NoInput:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_INPUT"


NO_INPUT: Any = _NoInput()
"""An issue's ``input`` when it is not known (rendered as ``null``, as FastAPI renders the
input of a missing parameter)."""

MAX_ISSUES = 100
"""Most issues one error lists: hostile input must not buy an unbounded report (or the time
spent building it). Validators stop looking once they have more."""


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem found in an input value.

    Attributes:
        loc: Path from the validated value to the bad part (field names and indexes).
        msg: Human-readable explanation.
        type: Short machine code such as ``"int_parsing"`` or ``"missing"``.
        input: The input found at ``loc`` (for ``"missing"``, the object lacking the field),
            or :data:`NO_INPUT`.
        ctx: The values the message is built from (``{"gt": 0}``), as pydantic gives them.
    """

    loc: Loc
    msg: str
    type: str
    # Details, not identity: two issues are the same problem at the same place.
    input: Any = field(default=NO_INPUT, compare=False)
    ctx: Mapping[str, Any] | None = field(default=None, compare=False)

    def with_prefix(self, prefix: Loc) -> ValidationIssue:
        """Return a copy located under ``prefix``."""
        return replace(self, loc=prefix + self.loc)


class ValidationError(CovetError, ValueError):
    """A value failed validation; ``issues`` lists every problem found, not just the first.

    Args:
        issues: The problems, each with its location.
    """

    def __init__(self, issues: Iterable[ValidationIssue]) -> None:
        self.issues = capped(issues)
        super().__init__(self.issues)

    def __str__(self) -> str:
        lines = [f"{len(self.issues)} validation issue(s)"]
        for issue in self.issues:
            where = ".".join(str(part) for part in issue.loc) or "<value>"
            lines.append(f"  {where}: {issue.msg} [{issue.type}]")
        return "\n".join(lines)

    def prefixed(self, prefix: Loc) -> ValidationError:
        """Return a new error with every issue located under ``prefix``."""
        return ValidationError(issue.with_prefix(prefix) for issue in self.issues)

    def located(self, prefix: Loc, value: Any) -> ValidationError:
        """Return a new error located under ``prefix``, each issue's ``input`` found in ``value``.

        ``value`` is the raw input the issues' locations are relative to (decoded JSON or text).
        """
        return ValidationError(
            replace(issue, loc=prefix + issue.loc, input=_input_at(value, issue))
            if issue.input is NO_INPUT
            else issue.with_prefix(prefix)
            for issue in self.issues
        )


class SerializationError(CovetError, ValueError):
    """A value could not be serialised with the declared annotation (a server-side bug)."""


def capped(issues: Iterable[ValidationIssue]) -> list[ValidationIssue]:
    """The first :data:`MAX_ISSUES` issues, plus one saying more were left out, if any were."""
    listed = list(issues)
    if len(listed) <= MAX_ISSUES:
        return listed
    return [*listed[:MAX_ISSUES], _TOO_MANY]


_TOO_MANY = ValidationIssue(
    (), f"Too many errors; only the first {MAX_ISSUES} are listed", "too_many_errors"
)


def _input_at(value: Any, issue: ValidationIssue) -> Any:
    """The part of ``value`` at ``issue.loc``; for a missing field, the object lacking it."""
    path = issue.loc[:-1] if issue.type == "missing" else issue.loc
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
            continue
        if not (isinstance(value, list | tuple) and isinstance(part, int)):
            return NO_INPUT
        if not -len(value) <= part < len(value):
            return NO_INPUT
        value = value[part]
    return value


def expected(values: Iterable[object]) -> str:
    """List allowed values as pydantic does: ``'a', 'b' or 'c'``."""
    shown = [repr(value) for value in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def invalid(
    msg: str, type_: str, loc: Loc = (), ctx: Mapping[str, Any] | None = None
) -> ValidationError:
    """Build a one-issue :class:`ValidationError` (helper for validators)."""
    return ValidationError([ValidationIssue(loc, msg, type_, ctx=ctx)])


class RequestValidationError(HTTPException):
    """The request's parameters or body failed validation: answered with 422 and every issue.

    Args:
        issues: All the problems found, each located as ``(source, name, ...)``.
        body: The decoded JSON body of the request, when it had one (FastAPI's ``exc.body``).
    """

    def __init__(self, issues: Iterable[ValidationIssue], body: Any = None) -> None:
        self.issues = capped(issues)
        self.body = body
        super().__init__(422, "The request is not valid; see 'errors' for every problem.")

    def errors(self) -> list[dict[str, Any]]:
        """The issues as FastAPI's ``RequestValidationError.errors()`` lists them.

        Each is ``{"type", "loc", "msg", "input"}`` plus ``"ctx"`` when the message has
        parameters; form and file fields are located under ``"body"``, as FastAPI locates
        them. Values are as found (``ctx`` may hold the validator's exception): pass the list
        through :func:`covet.encoders.jsonable_encoder` before sending it.
        """
        return [_fastapi_item(issue) for issue in self.issues]


def _fastapi_item(issue: ValidationIssue) -> dict[str, Any]:
    loc = issue.loc
    if loc and loc[0] in ("form", "file"):
        loc = ("body", *loc[1:])
    item = {
        "type": issue.type,
        "loc": list(loc),
        "msg": issue.msg,
        "input": None if issue.input is NO_INPUT else issue.input,
    }
    if issue.ctx is not None:
        item["ctx"] = dict(issue.ctx)
    return item
