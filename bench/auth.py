"""Count and time a JWT-protected route against the same route open, CovetPy and FastAPI (issue 10).

``GET /items`` with ``Authorization: Bearer <HS256 JWT>``, protected by a bearer scheme and a
scope check, against the same route without protection, in the four variants of
``apps/auth_apps.py``. CovetPy's protection also checks revocation in its (in-memory) store on
every request; nothing is cached. Issue 10's target: CovetPy's protected route keeps at least
0.85 of its unprotected throughput in-process (PyJWT's own cost counted).
"""

from __future__ import annotations

import sys

import variants
from apps.auth_apps import ANSWER, APPS, TOKEN
from scenarios import Scenario

SCENARIOS = (
    Scenario(
        "bearer-get",
        "/items",
        "app",
        "application/json",
        ANSWER,
        headers=((b"authorization", f"Bearer {TOKEN}".encode()),),
    ),
)
TARGET = 0.85
load = variants.built_once(lambda name: APPS[name]())


def main(argv: list[str] | None = None) -> int:
    """Count and time every variant; return 1 when a response was wrong or a run failed."""
    args = variants.parse_args(
        argv,
        description=__doc__.splitlines()[0],
        option="apps",
        names=list(APPS),
        scenarios=SCENARIOS[0].name,
    )
    return variants.main(
        args,
        script=__file__,
        kind="auth",
        title="JWT-protected route vs the same route open, CovetPy and FastAPI (issue 10)",
        variant="app",
        known=list(APPS),
        scenarios=SCENARIOS,
        load=load,
        bases=["covet-open", "fastapi-open"],
        one_process_each=True,
        footer=f"target: covet-protected >= {TARGET} x covet-open",
    )


if __name__ == "__main__":
    sys.exit(main())
