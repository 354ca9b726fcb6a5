"""The app the observability end-to-end tests serve under real uvicorn processes.

JSON logs go to stderr (the server's log file); ``/items/{item_id}`` logs a line inside a
request; ``/slow`` sleeps (``?seconds=``) and says whether shutdown began meanwhile;
``/pid`` names the worker process that answered; metrics are served at ``/metrics``
(from all workers together when ``PROMETHEUS_MULTIPROC_DIR`` is set).
"""

from __future__ import annotations

import asyncio
import logging
import os

from covet import CovetPy, Request
from covet.observability import HealthCheck, Observability

obs = Observability(service_name="e2e-shop", metrics=True)
app = CovetPy(lifespan=obs.lifespan)
app.include_router(HealthCheck().router)


@app.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    logging.getLogger("e2e.shop").info("item %d served", item_id)
    return {"item_id": item_id}


@app.get("/slow")
async def slow(request: Request, seconds: float = 2.0) -> dict[str, bool]:
    await asyncio.sleep(seconds)
    return {"shutting_down": bool(request.app.shutting_down)}


@app.get("/pid")
async def pid() -> int:
    return os.getpid()


obs.instrument(app)
