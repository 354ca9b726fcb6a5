"""Measure cold-start costs: importing the framework, and building a 1,000-route app.

* Import time: wall time of ``python -c "import covet"`` minus ``python -c pass``, each in a
  fresh process, median of ``--runs``. ``--importtime`` adds the slowest modules from one
  ``python -X importtime`` run.
* Build time: in a fresh process that has already imported the framework, the time to register
  1,000 routes (alternately static ``/s{i}/items`` and parametrised ``/p{i}/items/{item_id:int}``),
  then the time of lifespan startup plus the first request to the last route, which is when
  frameworks compile their middleware stack and any lazy routing structures. Median of ``--runs``.

Starlette and FastAPI are measured the same way for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import _meta
from inprocess import Lifespan, check, http_scope, new_loop
from scenarios import Scenario, pick

IMPORTS: dict[str, tuple[str, ...]] = {
    "covet": ("covet",),
    "starlette": ("starlette.applications", "starlette.responses", "starlette.routing"),
    "fastapi": ("fastapi",),
}
"""What an app module of each framework has to import before it can declare routes."""


def import_statement(framework: str) -> str:
    """Return the ``import`` statement that loads the framework, for ``python -c``."""
    return "import " + ", ".join(IMPORTS[framework])


Routes = list[tuple[bool, str]]


def route_table(count: int, *, convertor: bool = True) -> Routes:
    """Return ``count`` (is_parametrised, path) pairs alternating static and parametrised."""
    param = "{item_id:int}" if convertor else "{item_id}"
    return [(i % 2 == 1, f"/p{i}/items/{param}" if i % 2 else f"/s{i}/items") for i in range(count)]


def build_covet(routes: Routes) -> Any:
    """Build a CovetPy app serving ``routes``."""
    from covet import CovetPy

    async def static() -> dict[str, str]:
        return {"message": "Hello, World!"}

    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    app = CovetPy()
    for is_param, path in routes:
        app.get(path)(item if is_param else static)
    return app


def build_starlette(routes: Routes) -> Any:
    """Build a Starlette app serving ``routes``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def static(request: Request) -> Response:
        return JSONResponse({"message": "Hello, World!"})

    async def item(request: Request) -> Response:
        return JSONResponse({"item_id": request.path_params["item_id"]})

    table = [Route(path, item if p else static, methods=["GET"]) for p, path in routes]
    return Starlette(routes=table)


def build_fastapi(routes: Routes) -> Any:
    """Build a FastAPI app serving ``routes`` (OpenAPI routes off, as in ``apps``)."""
    from fastapi import FastAPI

    async def static() -> dict[str, str]:
        return {"message": "Hello, World!"}

    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for is_param, path in routes:
        app.get(path)(item if is_param else static)
    return app


BUILDERS: dict[str, Callable[[Routes], Any]] = {
    "covet": build_covet,
    "starlette": build_starlette,
    "fastapi": build_fastapi,
}


async def first_request(app: Any, scenario: Scenario) -> str | None:
    """Run lifespan startup, then serve one request; return what was wrong, if anything."""
    lifespan = Lifespan(app)
    await lifespan.startup()
    return await check(app, scenario, http_scope(scenario, lifespan.state))


def child(framework: str, count: int) -> dict[str, float]:
    """Time building and first-serving one app in this (fresh) process.

    Raises:
        SystemExit: When the first request gets a wrong response.
    """
    for module in IMPORTS[framework]:
        importlib.import_module(module)
    routes = route_table(count, convertor=framework != "fastapi")
    last = count - 1 if count % 2 == 0 else count - 2
    scenario = Scenario("first", f"/p{last}/items/7", "app", "application/json", {"item_id": 7})
    loop = new_loop("uvloop")
    asyncio.set_event_loop(loop)
    started = time.perf_counter()
    app = BUILDERS[framework](routes)
    built = time.perf_counter()
    problem = loop.run_until_complete(first_request(app, scenario))
    served = time.perf_counter()
    if problem:
        raise SystemExit(f"{framework}: first request to {scenario.target}: {problem}")
    return {"build_s": built - started, "first_request_s": served - built}


def run_python(*args: str) -> float:
    """Return the wall time of one fresh ``python`` process with ``args``.

    Raises:
        SystemExit: When the process fails.
    """
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"python {' '.join(args)} failed:\n{done.stderr.strip()}")
    return elapsed


def import_time(framework: str, runs: int) -> float:
    """Return the median import cost in seconds, net of interpreter startup."""
    run_python("-c", import_statement(framework))  # writes .pyc files, so later runs start warm
    # Alternate the two so drift affects both alike.
    bare, loaded = [], []
    for _ in range(runs):
        bare.append(run_python("-c", "pass"))
        loaded.append(run_python("-c", import_statement(framework)))
    return statistics.median(loaded) - statistics.median(bare)


def slowest_imports(framework: str, top: int) -> list[tuple[int, str]]:
    """Return the ``top`` modules by cumulative import time (µs) from ``-X importtime``."""
    command = [sys.executable, "-X", "importtime", "-c", import_statement(framework)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def build_time(framework: str, count: int, runs: int) -> dict[str, float]:
    """Return the median build and first-request times over fresh child processes."""
    samples = []
    for _ in range(runs):
        command = [sys.executable, __file__, "--child", framework, "--routes", str(count)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{framework} build failed:\n{done.stderr.strip()}")
        samples.append(json.loads(done.stdout))
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def main(argv: list[str] | None = None) -> int:
    """Run the start-up benchmarks and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", help=f"comma list of {', '.join(IMPORTS)}")
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per measurement")
    parser.add_argument("--routes", type=int, default=1000, help="routes in the built app")
    parser.add_argument("--importtime", type=int, metavar="N", help="show N slowest imports")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.routes)))
        return 0
    frameworks = pick(args.frameworks, list(IMPORTS), "framework")
    meta = _meta.collect()
    _meta.warn_if_busy(meta)
    headers = ["framework", "import ms", f"build {args.routes} routes ms", "first request ms"]
    rows, record = [], []
    for name in frameworks:
        imported = import_time(name, args.runs)
        built = build_time(name, args.routes, args.runs)
        record.append({"framework": name, "import_s": imported, **built})
        rows.append(
            [
                name,
                f"{imported * 1e3:.1f}",
                f"{built['build_s'] * 1e3:.1f}",
                f"{built['first_request_s'] * 1e3:.2f}",
            ]
        )
        print(f"{name} done", file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    print("\n".join(lines))
    if args.importtime:
        for name in frameworks:
            print(f"\nslowest imports for {name} (cumulative µs):")
            for micros, module in slowest_imports(name, args.importtime):
                print(f"  {micros:>8}  {module}")
    meta["loadavg_at_end"] = os.getloadavg()
    if not args.no_save:
        stamp = _meta.stamp()
        path = _meta.results_path("startup", "json", stamp)
        config = {"runs": args.runs, "routes": args.routes}
        path.write_text(json.dumps({"meta": meta, "config": config, "results": record}, indent=2))
        md = ["# CovetPy start-up benchmark", "", *_meta.describe(meta), ""]
        md += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        md += ["| " + " | ".join(row) + " |" for row in rows]
        _meta.results_path("startup", "md", stamp).write_text("\n".join(md) + "\n")
        print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)} (+ .md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
