"""The rate-limited app the multi-process tests serve, several uvicorn processes at once.

Configured through the environment:

* ``COVET_E2E_RATELIMIT_STORE``: ``memory`` (each process counts alone) or a Redis URL
  (every process shares the counts);
* ``COVET_E2E_RATELIMIT_NAMESPACE``: the Redis key namespace of this test run;
* ``COVET_E2E_RATELIMIT_LIMIT``: N, the requests allowed per hour (no refill during a test).

``/pid`` is limited by ``RateLimitMiddleware``, ``/login`` by a ``RateLimit`` dependency
(the middleware leaves it alone); ``/health`` is the readiness probe, never limited.
"""

from __future__ import annotations

import os

from covet import CovetPy
from covet.middleware import RateLimitMiddleware
from covet.ratelimit import RateLimit
from covet.stores import MemoryStore, RedisStore, Store


def _store() -> Store:
    where = os.environ.get("COVET_E2E_RATELIMIT_STORE", "memory")
    if where == "memory":
        return MemoryStore()
    return RedisStore(where, namespace=os.environ["COVET_E2E_RATELIMIT_NAMESPACE"])


LIMIT = int(os.environ.get("COVET_E2E_RATELIMIT_LIMIT", "10"))
store = _store()
app = CovetPy()
app.add_middleware(
    RateLimitMiddleware,
    limit=f"{LIMIT}/hour",
    store=store,
    exempt_paths=["/health", "/login"],
)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "up"}


@app.get("/pid")
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}


@app.post("/login", dependencies=[RateLimit(f"{LIMIT}/hour", store=store)])
async def login() -> dict[str, int]:
    return {"pid": os.getpid()}
