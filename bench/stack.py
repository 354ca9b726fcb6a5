"""Count what the production middleware stack costs per request, against the bare app.

Issue 8's target: the default production stack (request id, security headers, CORS, rate
limit on a memory store) keeps at least 0.85 of the bare app's throughput in-process. The
variants are in ``apps/covet_stack.py``: the bare app, each middleware alone and the whole
stack. Instructions per request come from callgrind exactly as in ``callgrind.py``
(in-process, two batches, (I2 - I1) / (N2 - N1)), all variants in one process under
valgrind; microseconds per request from ``inprocess.py``'s timer loop beside them. The
ratio is bare / variant, so 0.85 means the variant keeps 85% of the bare app's throughput.
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
from apps.covet_stack import VARIANTS, variant
from scenarios import SCENARIOS, Scenario, pick

BARE = "bare"
TARGET = 0.85
_BUILT: dict[str, Any] = {}


def load(name: str, scenario: Scenario) -> inprocess.ASGIApp:
    """Return variant ``name``'s app (one per variant, shared by its scenarios)."""
    if name not in _BUILT:
        _BUILT[name] = variant(name)
    app: inprocess.ASGIApp = _BUILT[name]
    return app


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", help=f"comma list of {', '.join(VARIANTS)}")
    parser.add_argument("--scenarios", default="plaintext,json", help="comma list of scenarios")
    parser.add_argument("--counts", default="200,1200", help="N1,N2 requests per counted batch")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests first")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; the minimum counts")
    parser.add_argument("--target", type=float, default=0.2, help="seconds per timed batch")
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


def ratio(results: dict[tuple[str, str], float], name: str, scenario: str) -> str:
    """Return bare / variant for one scenario, or ``-`` when either is missing."""
    base, value = results.get((BARE, scenario)), results.get((name, scenario))
    return "-" if base is None or value is None else f"{base / value:.3f}"


HEADER = ["scenario", "variant", "instructions/req", "x bare", "µs/req", "x bare (µs)"]


def rows(
    names: list[str],
    scenarios: list[str],
    counts: dict[tuple[str, str], float],
    usec: dict[tuple[str, str], float],
) -> list[list[str]]:
    """Return one table row per scenario and variant."""
    table = []
    for scenario in scenarios:
        for name in names:
            count, micro = counts.get((name, scenario)), usec.get((name, scenario))
            table.append(
                [
                    scenario,
                    name,
                    "-" if count is None else f"{count / 1000:.1f}k",
                    ratio(counts, name, scenario),
                    "-" if micro is None else f"{micro:.2f}",
                    ratio(usec, name, scenario),
                ]
            )
    return table


def save(table: list[list[str]], record: dict[str, Any]) -> None:
    """Write the markdown table and the JSON record to ``bench/results/``."""
    stamp = _meta.stamp()
    md = ["# CovetPy production stack vs the bare app (issue 8)", ""]
    md += _meta.describe(record["meta"])
    md.append("- config: " + ", ".join(f"{k}={v}" for k, v in record["config"].items()))
    md += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(row) + " |" for row in table]
    md_path = _meta.results_path("stack", "md", stamp)
    md_path.write_text("\n".join(md) + "\n")
    json_path = _meta.results_path("stack", "json", stamp)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    for path in (md_path, json_path):
        print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)}")


def main(argv: list[str] | None = None) -> int:
    """Count and time every variant; return 1 when a response was wrong or a run failed."""
    args = parse_args(argv)
    known = [s.name for s in SCENARIOS]
    scenario_names = pick(args.scenarios, known, "scenario")
    scenarios = [s for s in SCENARIOS if s.name in scenario_names]
    if args.child:
        names = args.child.split(",")
        return callgrind.child(names, scenarios, args.counts, args.warmup, load)
    names = pick(args.variants, list(VARIANTS), "variant")
    meta = _meta.collect()
    errors: list[str] = []
    counts: dict[tuple[str, str], float] = {}
    if not args.no_callgrind:
        if shutil.which("valgrind") is None:
            raise SystemExit(
                "valgrind not found on PATH; install it with: apt-get install valgrind"
            )
        with tempfile.TemporaryDirectory(prefix="covet-stack-") as tmp:
            workdir = args.keep or Path(tmp)
            workdir.mkdir(parents=True, exist_ok=True)
            for stale in workdir.glob("inproc-stack.*"):
                stale.unlink()
            counts, problems = callgrind.count_child(
                __file__, "stack", names, scenarios, args, workdir
            )
            errors += problems
        print("callgrind done", file=sys.stderr, flush=True)
    usec: dict[tuple[str, str], float] = {}
    if not args.no_wall:
        _meta.warn_if_busy(meta)
        usec, problems = wall_clock(names, scenarios, args)
        errors += problems
    table = rows(names, scenario_names, counts, usec)
    print(callgrind.format_text(HEADER, table))
    print(f"target: the stack keeps >= {TARGET} of the bare app's throughput (x bare)")
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    if not args.no_save:
        config = {"counts": args.counts, "warmup": args.warmup, "repeat": args.repeat}
        config["target_s"] = args.target
        results = [
            {
                "variant": n,
                "scenario": s,
                "instructions": counts.get((n, s)),
                "usec": usec.get((n, s)),
            }
            for s in scenario_names
            for n in names
        ]
        save(table, {"meta": meta, "config": config, "results": results})
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
