"""Count and time the PostgreSQL scenario of issue 9: CovetPy, FastAPI and two raw ASGI floors.

``GET /users/42`` (one row by primary key through the session dependency, returned through a
response model) and ``GET /users?limit=50`` (50 rows), served from a real PostgreSQL by the
four apps of ``apps/db_apps.py``: asyncpg alone, the same SQLAlchemy code in a raw ASGI app,
CovetPy (``covet.db``) and FastAPI (its SQL tutorial's shape), one engine configuration for the
three SQLAlchemy apps. The table is seeded first (1,000 rows, ``bench_users`` in the database
of ``COVET_BENCH_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``).

Instructions per request come from callgrind (``variants.py``, one process per app); they
count this process only: the database server's own work and the time spent waiting for it
are not in them, so they measure what each stack adds on top of the wire. Microseconds per
request include the round trips to the server. Issue 9's targets: CovetPy at least as fast
as FastAPI and within 0.85 of the raw SQLAlchemy app.
"""

from __future__ import annotations

import asyncio
import sys

import variants
from apps.db_apps import APPS, LIST_LIMIT, seed, user_row
from scenarios import Scenario

SCENARIOS = (
    Scenario("db-get", "/users/42", "app", "application/json", user_row(42)),
    Scenario(
        "db-list",
        f"/users?limit={LIST_LIMIT}",
        "app",
        "application/json",
        [user_row(n) for n in range(1, LIST_LIMIT + 1)],
    ),
)
TARGET = 0.85
load = variants.built_once(lambda name: APPS[name]())


def main(argv: list[str] | None = None) -> int:
    """Seed, count and time every app; return 1 when a response was wrong or a run failed."""
    args = variants.parse_args(
        argv,
        description=__doc__.splitlines()[0],
        option="apps",
        names=list(APPS),
        scenarios=",".join(s.name for s in SCENARIOS),
        counts="100,600",
        target=0.3,
    )
    return variants.main(
        args,
        script=__file__,
        kind="database",
        title="PostgreSQL scenario: CovetPy, FastAPI, raw SQLAlchemy, raw asyncpg (issue 9)",
        variant="app",
        known=list(APPS),
        scenarios=SCENARIOS,
        load=load,
        bases=["sqlalchemy", "fastapi"],
        one_process_each=True,  # each pays only its own imports
        footer=f"targets: covet >= 1.0 x fastapi, and >= {TARGET} x sqlalchemy",
        prepare=lambda: asyncio.run(seed()),
    )


if __name__ == "__main__":
    sys.exit(main())
