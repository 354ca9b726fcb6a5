"""The data layer: SQLAlchemy 2 (async) with sessions per request, transactions and helpers.

Needs the ``db`` extra (``pip install 'covetpy[db]'``), plus ``postgres`` (asyncpg) or
``mysql`` (asyncmy) for those databases.
"""

from covet._optional import require

require("sqlalchemy", extra="db")
require("greenlet", extra="db")

from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from covet.db.database import Database  # noqa: E402
from covet.db.errors import (  # noqa: E402
    ConstraintViolationError,
    DatabaseUnavailableError,
    http_error,
)
from covet.db.model import NAMING_CONVENTION, Model, Page, paginate  # noqa: E402
from covet.db.schemas import UNSET, input_schema_from_model, schema_from_model  # noqa: E402

__all__ = [
    "NAMING_CONVENTION",
    "UNSET",
    "AsyncSession",
    "ConstraintViolationError",
    "Database",
    "DatabaseUnavailableError",
    "Model",
    "Page",
    "http_error",
    "input_schema_from_model",
    "paginate",
    "schema_from_model",
]
