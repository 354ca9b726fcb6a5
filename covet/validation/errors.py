"""The validation error model: every problem found in a value, each with its location."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from covet.exceptions import CovetError, HTTPException

Loc = tuple[str | int, ...]

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
    """

    loc: Loc
    msg: str
    type: str

    def with_prefix(self, prefix: Loc) -> ValidationIssue:
        """Return a copy located under ``prefix``."""
        return ValidationIssue(prefix + self.loc, self.msg, self.type)


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


def invalid(msg: str, type_: str, loc: Loc = ()) -> ValidationError:
    """Build a one-issue :class:`ValidationError` (helper for validators)."""
    return ValidationError([ValidationIssue(loc, msg, type_)])


class RequestValidationError(HTTPException):
    """The request's parameters or body failed validation: answered with 422 and every issue.

    Args:
        issues: All the problems found, each located as ``(source, name, ...)``.
    """

    def __init__(self, issues: Iterable[ValidationIssue]) -> None:
        self.issues = capped(issues)
        super().__init__(422, "The request is not valid; see 'errors' for every problem.")
