"""Count and time the PostgreSQL scenario of issue 9: CovetPy, FastAPI and two raw ASGI floors.

``GET /users/42`` (one row by primary key through the session dependency, returned through a
response model) and ``GET /users?limit=50`` (50 rows), served from a real PostgreSQL by the
four apps of ``apps/db_apps.py``: asyncpg alone, the same SQLAlchemy code in a raw ASGI app,
CovetPy (``covet.db``) and FastAPI (its SQL tutorial's shape), one engine configuration for the
three SQLAlchemy apps. The table is seeded first (1,000 rows, ``bench_users`` in the database
of ``COVET_BENCH_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``).

Instructions per request come from callgrind as in ``callgrind.py`` (in-process, two batches,
(I2 - I1) / (N2 - N1)); they count this process only: the database server's own work and the
time spent waiting for it are not in them, so they measure what each stack adds on top of
the wire. Microseconds per request (``inprocess.py``'s loop) include the round trips to the
server. Issue 9's targets: CovetPy at least as fast as FastAPI and within 0.85 of the raw
SQLAlchemy app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import _meta
import callgrind
import inprocess
from apps.db_apps import APPS, LIST_LIMIT, seed, user_row
from scenarios import Scenario, pick

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
RAW_SQLALCHEMY = "sqlalchemy"
TARGET = 0.85
_BUILT: dict[str, Any] = {}


def load(name: str, scenario: Scenario) -> inprocess.ASGIApp:
    """Return app ``name`` (one per app, shared by both scenarios)."""
    if name not in _BUILT:
        _BUILT[name] = APPS[name]()
    app: inprocess.ASGIApp = _BUILT[name]
    return app


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", help=f"comma list of {', '.join(APPS)}")
    names = ",".join(s.name for s in SCENARIOS)
    parser.add_argument("--scenarios", default=names, help=f"comma list of {names}")
    parser.add_argument("--counts", default="100,600", help="N1,N2 requests per counted batch")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests first")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; the minimum counts")
    parser.add_argument("--target", type=float, default=0.3, help="seconds per timed batch")
    parser.add_argument("--no-callgrind", action="store_true", help="wall-clock only")
    parser.add_argument("--no-wall", action="store_true", help="callgrind only")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--keep", type=Path, help="keep the callgrind profiles in this directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    first, _, second = args.counts.partition(",")
    args.counts = (int(first), int(second))
    if not 0 <= args.counts[0] < args.counts[1]:
        parser.error("--counts needs N1 < N2")
    return args


def wall_clock(names: list[str], scenarios: list[Scenario], args: argparse.Namespace):
    """Time every case as ``inprocess.py`` does; return µs per request and the errors."""
    loop = inprocess.new_loop("uvloop")
    asyncio.set_event_loop(loop)
    cases, lifespans, errors = inprocess.prepare(loop, names, scenarios, load)
    inprocess.measure(loop, cases, args.repeat, args.target)
    for lifespan in lifespans:
        loop.run_until_complete(lifespan.shutdown())
    loop.close()
    return {(c.framework, c.scenario.name): c.usec for c in cases}, errors


def ratio(results: dict[tuple[str, str], float], base: str, name: str, scenario: str) -> str:
    """Return base / name for one scenario (1.0 = as fast), or ``-`` when either is missing."""
    first, value = results.get((base, scenario)), results.get((name, scenario))
    return "-" if first is None or value is None else f"{first / value:.3f}"


HEADER = [
    "scenario",
    "app",
    "instructions/req",
    "x raw SQLAlchemy",
    "x FastAPI",
    "µs/req",
    "x raw SQLAlchemy (µs)",
    "x FastAPI (µs)",
]


def rows(
    names: list[str],
    scenarios: list[str],
    counts: dict[tuple[str, str], float],
    usec: dict[tuple[str, str], float],
) -> list[list[str]]:
    """Return one table row per scenario and app."""
    table = []
    for scenario in scenarios:
        for name in names:
            count, micro = counts.get((name, scenario)), usec.get((name, scenario))
            table.append(
                [
                    scenario,
                    name,
                    "-" if count is None else f"{count / 1000:.1f}k",
                    ratio(counts, RAW_SQLALCHEMY, name, scenario),
                    ratio(counts, "fastapi", name, scenario),
                    "-" if micro is None else f"{micro:.1f}",
                    ratio(usec, RAW_SQLALCHEMY, name, scenario),
                    ratio(usec, "fastapi", name, scenario),
                ]
            )
    return table


def save(table: list[list[str]], record: dict[str, Any]) -> None:
    """Write the markdown table and the JSON record to ``bench/results/``."""
    stamp = _meta.stamp()
    md = ["# PostgreSQL scenario: CovetPy, FastAPI, raw SQLAlchemy, raw asyncpg (issue 9)", ""]
    md += _meta.describe(record["meta"])
    md.append("- config: " + ", ".join(f"{k}={v}" for k, v in record["config"].items()))
    md += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(row) + " |" for row in table]
    md_path = _meta.results_path("database", "md", stamp)
    md_path.write_text("\n".join(md) + "\n")
    json_path = _meta.results_path("database", "json", stamp)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    for path in (md_path, json_path):
        print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)}")


def main(argv: list[str] | None = None) -> int:
    """Seed, count and time every app; return 1 when a response was wrong or a run failed."""
    args = parse_args(argv)
    scenario_names = pick(args.scenarios, [s.name for s in SCENARIOS], "scenario")
    scenarios = [s for s in SCENARIOS if s.name in scenario_names]
    if args.child:
        names = args.child.split(",")
        return callgrind.child(names, scenarios, args.counts, args.warmup, load)
    names = pick(args.apps, list(APPS), "app")
    asyncio.run(seed())
    meta = _meta.collect()
    errors: list[str] = []
    counts: dict[tuple[str, str], float] = {}
    if not args.no_callgrind:
        if shutil.which("valgrind") is None:
            raise SystemExit(
                "valgrind not found on PATH; install it with: apt-get install valgrind"
            )
        with tempfile.TemporaryDirectory(prefix="covet-database-") as tmp:
            workdir = args.keep or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            for name in names:  # one process per app: each pays only its own imports
                for stale in workdir.glob(f"inproc-{name}.*"):
                    stale.unlink()
                found, problems = callgrind.count_child(
                    __file__, name, [name], scenarios, args, workdir
                )
                counts.update(found)
                errors += problems
                print(f"{name} counted", file=sys.stderr, flush=True)
    usec: dict[tuple[str, str], float] = {}
    if not args.no_wall:
        _meta.warn_if_busy(meta)
        usec, problems = wall_clock(names, scenarios, args)
        errors += problems
    table = rows(names, scenario_names, counts, usec)
    print(callgrind.format_text(HEADER, table))
    print(f"targets: covet >= 1.0 x FastAPI, and >= {TARGET} x raw SQLAlchemy")
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    if not args.no_save:
        config = {"counts": args.counts, "warmup": args.warmup, "repeat": args.repeat}
        config["target_s"] = args.target
        results = [
            {"app": n, "scenario": s, "instructions": counts.get((n, s)), "usec": usec.get((n, s))}
            for s in scenario_names
            for n in names
        ]
        save(table, {"meta": meta, "config": config, "results": results})
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
