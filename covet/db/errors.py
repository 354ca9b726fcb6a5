"""Database errors as HTTP answers: conflicts 409, missing rows 404, outages 503.

Only the constraint's name reaches the client, never the SQL, its parameters or the driver's
message (which can quote the offending values).
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from collections.abc import Iterable

from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc

from covet.exceptions import HTTPException

logger = logging.getLogger("covet.db")

# What the drivers say; SQLite names no unique constraint, only its columns.
_MYSQL_KEY = re.compile(r"for key '(?:[^'.]+\.)?([^']+)'")
_MYSQL_CONSTRAINT = re.compile(r"CONSTRAINT [`'\"]?([^`'\"\s]+)[`'\"]?")
_MYSQL_CHECK = re.compile(r"Check constraint '([^']+)'")
_SQLITE_COLUMNS = re.compile(r"(?:UNIQUE|PRIMARY KEY) constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\S+)")


_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.ECONNRESET}
)


_MYSQL_CHECK_CODES = frozenset({3819, 4025})
# A write in a read-only transaction: PostgreSQL's SQLSTATE, MySQL/MariaDB's error code.
_READ_ONLY_SQLSTATE = "25006"
_MYSQL_READ_ONLY_CODES = frozenset({1792})


class DatabaseUnavailableError(HTTPException):
    """The database cannot be reached or has no free connection: a 503 with ``Retry-After``."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(503, detail, {"Retry-After": str(retry_after)})


class ConstraintViolationError(HTTPException):
    """A write broke a unique, foreign-key, check or not-null constraint: a 409.

    Attributes:
        constraint: The constraint's name, when the database (or the metadata) tells it.
    """

    def __init__(self, constraint: str | None) -> None:
        detail = (
            f"The change conflicts with constraint {constraint!r}."
            if constraint
            else "The change conflicts with a database constraint."
        )
        super().__init__(409, detail)
        self.constraint = constraint


def constraint_name(error: sa_exc.DBAPIError, metadata: Iterable[MetaData] = ()) -> str | None:
    """The name of the constraint ``error`` reports, from the driver or the metadata."""
    orig = error.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)  # asyncpg
        if isinstance(name, str) and name:
            return name
    message = str(orig)
    for pattern in (_MYSQL_CHECK, _MYSQL_KEY, _MYSQL_CONSTRAINT, _SQLITE_CHECK):
        found = pattern.search(message)
        if found:
            return found.group(1)
    found = _SQLITE_COLUMNS.search(message)
    if found:
        return _unique_by_columns(found.group(1), metadata)
    return None


def _unique_by_columns(spec: str, metadata: Iterable[MetaData]) -> str | None:
    """The unique constraint or index over SQLite's ``table.a, table.b`` list of columns."""
    pairs = [part.strip().split(".", 1) for part in spec.split(",")]
    if not all(len(pair) == 2 for pair in pairs):
        return None
    table_name = pairs[0][0]
    columns = {column for _, column in pairs}
    for meta in metadata:
        table = meta.tables.get(table_name)
        if table is None:
            continue
        for constraint in table.constraints:
            names = {column.name for column in getattr(constraint, "columns", ())}
            if names == columns and isinstance(constraint.name, str):
                return constraint.name
        for index in table.indexes:
            if index.unique and {c.name for c in index.columns} == columns:
                return index.name if isinstance(index.name, str) else None
    return None


def http_error(
    error: BaseException, retry_after: int = 1, metadata: Iterable[MetaData] = ()
) -> HTTPException | None:
    """The HTTP error a database ``error`` should be answered with; ``None`` if it is a bug.

    Integrity errors are 409s naming the constraint, a missing row is a 404, an exhausted
    pool or an unreachable database a 503 with ``Retry-After``. Anything else (a syntax
    error, a missing table) is the application's bug and stays a 500.
    """
    if isinstance(error, HTTPException):
        return None
    if _is_integrity(error):
        assert isinstance(error, sa_exc.DBAPIError)
        return ConstraintViolationError(constraint_name(error, metadata))
    if isinstance(error, sa_exc.NoResultFound):
        return HTTPException(404)
    if isinstance(error, sa_exc.TimeoutError):
        logger.warning("Database pool exhausted: no connection became free in time")
        return DatabaseUnavailableError("The database is busy; retry shortly.", retry_after)
    if is_outage(error):
        logger.warning("Database unavailable: %s", _summary(error))
        return DatabaseUnavailableError("The database is unavailable; retry shortly.", retry_after)
    return None


def _is_integrity(error: BaseException) -> bool:
    if isinstance(error, sa_exc.IntegrityError):
        return True
    # MySQL and MariaDB report a failed CHECK as an operational error.
    code = getattr(getattr(error, "orig", None), "args", (None,))[:1]
    return isinstance(error, sa_exc.DBAPIError) and code[0] in _MYSQL_CHECK_CODES


def is_read_only_violation(error: BaseException) -> bool:
    """Whether ``error`` is a write refused by a read-only connection (a replica's)."""
    orig = getattr(error, "orig", None)
    if orig is None:
        return False
    for candidate in (orig, getattr(orig, "__cause__", None)):
        if getattr(candidate, "sqlstate", None) == _READ_ONLY_SQLSTATE:
            return True
    code = getattr(orig, "args", (None,))[:1]
    return (bool(code) and code[0] in _MYSQL_READ_ONLY_CODES) or "readonly database" in str(orig)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or the connection was lost."""
    if is_read_only_violation(error):
        return False
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    # Drivers raise these from connect() unwrapped (asyncpg: ConnectionRefusedError).
    return isinstance(error, ConnectionError | TimeoutError | socket.gaierror) or (
        isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS
    )


def _summary(error: BaseException) -> str:
    """The error's class and first line, without the statement SQLAlchemy appends."""
    orig = getattr(error, "orig", None) or error
    first = str(orig).split("\n", 1)[0]
    return f"{type(orig).__name__}: {first}"[:300]


__all__ = [
    "ConstraintViolationError",
    "DatabaseUnavailableError",
    "constraint_name",
    "http_error",
]
