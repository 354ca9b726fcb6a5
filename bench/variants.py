"""What the scripts comparing app variants in-process share: stack.py, database.py, auth.py.

Each script names its variants (``load(name, scenario)`` returns the app), its scenarios and a
table; this module parses the common options, counts instructions per request under callgrind
(as ``callgrind.py`` does: in-process, two batches, (I2 - I1) / (N2 - N1)), times the same
cases with ``inprocess.py``'s loop, and writes the results to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import _meta
import callgrind
import inprocess
from scenarios import Scenario, pick

Results = dict[tuple[str, str], float]
"""(variant, scenario name) -> instructions or microseconds per request."""


def parse_args(
    argv: list[str] | None,
    *,
    description: str,
    option: str,
    names: Sequence[str],
    scenarios: str,
    counts: str = "200,1200",
    target: float = 0.2,
) -> argparse.Namespace:
    """The common command line; ``--<option>`` picks among ``names`` (into ``args.names``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(f"--{option}", dest="names", help=f"comma list of {', '.join(names)}")
    parser.add_argument("--scenarios", default=scenarios, help="comma list of scenarios")
    parser.add_argument("--counts", default=counts, help="N1,N2 requests per counted batch")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests first")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; the minimum counts")
    parser.add_argument("--target", type=float, default=target, help="seconds per timed batch")
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


Loader = Callable[[str, Scenario], inprocess.ASGIApp]


def built_once(make: Callable[[str], Any]) -> Loader:
    """A loader building each variant's app once (``make(name)``), shared by its scenarios."""
    built: dict[str, inprocess.ASGIApp] = {}

    def load(name: str, scenario: Scenario) -> inprocess.ASGIApp:
        if name not in built:
            built[name] = make(name)
        return built[name]

    return load


def wall_clock(
    names: list[str], scenarios: list[Scenario], args: argparse.Namespace, load: Loader
) -> tuple[Results, list[str]]:
    """Time every case as ``inprocess.py`` does; return µs per request and the errors."""
    loop = inprocess.new_loop("uvloop")
    asyncio.set_event_loop(loop)
    cases, lifespans, errors = inprocess.prepare(loop, names, scenarios, load)
    inprocess.measure(loop, cases, args.repeat, args.target)
    for lifespan in lifespans:
        loop.run_until_complete(lifespan.shutdown())
    loop.close()
    return {(c.framework, c.scenario.name): c.usec for c in cases}, errors


def count(
    script: str,
    kind: str,
    names: list[str],
    scenarios: list[Scenario],
    args: argparse.Namespace,
    *,
    one_process_each: bool,
) -> tuple[Results, list[str]]:
    """Count every case under callgrind: all variants in one process, or one process each."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found on PATH; install it with: apt-get install valgrind")
    groups = [[name] for name in names] if one_process_each else [names]
    counts: Results = {}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"covet-{kind}-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for group in groups:
            label = group[0] if one_process_each else kind
            for stale in workdir.glob(f"inproc-{label}.*"):
                stale.unlink()  # dump_totals reads every numbered part of a prefix
            found, problems = callgrind.count_child(script, label, group, scenarios, args, workdir)
            counts.update(found)
            errors += problems
            print(f"{label} counted", file=sys.stderr, flush=True)
    return counts, errors


def ratio(results: Results, base: str, name: str, scenario: str) -> str:
    """``base / name`` for one scenario (1.0: as fast as ``base``), ``-`` when one is missing."""
    first, value = results.get((base, scenario)), results.get((name, scenario))
    return "-" if first is None or value is None else f"{first / value:.3f}"


def rows(
    names: list[str],
    scenarios: list[str],
    counts: Results,
    usec: Results,
    bases: Sequence[str],
) -> list[list[str]]:
    """One row per scenario and variant: instructions and µs, each with its ratio to ``bases``."""
    table = []
    for scenario in scenarios:
        for name in names:
            count_, micro = counts.get((name, scenario)), usec.get((name, scenario))
            table.append(
                [
                    scenario,
                    name,
                    "-" if count_ is None else f"{count_ / 1000:.1f}k",
                    *(ratio(counts, base, name, scenario) for base in bases),
                    "-" if micro is None else f"{micro:.2f}",
                    *(ratio(usec, base, name, scenario) for base in bases),
                ]
            )
    return table


def header(variant: str, bases: Sequence[str]) -> list[str]:
    """The column names :func:`rows` fills."""
    return [
        "scenario",
        variant,
        "instructions/req",
        *(f"x {base}" for base in bases),
        "µs/req",
        *(f"x {base} (µs)" for base in bases),
    ]


def save(kind: str, title: str, head: list[str], table: list[list[str]], record: dict[str, Any]):
    """Write the markdown table and the JSON record to ``bench/results/<kind>-<stamp>``."""
    stamp = _meta.stamp()
    md = [f"# {title}", ""]
    md += _meta.describe(record["meta"])
    md.append("- config: " + ", ".join(f"{k}={v}" for k, v in record["config"].items()))
    md += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(row) + " |" for row in table]
    md_path = _meta.results_path(kind, "md", stamp)
    md_path.write_text("\n".join(md) + "\n")
    json_path = _meta.results_path(kind, "json", stamp)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    for path in (md_path, json_path):
        print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)}")


def main(
    args: argparse.Namespace,
    *,
    script: str,
    kind: str,
    title: str,
    variant: str,
    known: Sequence[str],
    scenarios: Sequence[Scenario],
    load: Loader,
    bases: Sequence[str],
    one_process_each: bool = False,
    footer: str = "",
    prepare: Callable[[], None] | None = None,
) -> int:
    """Run a variants script: its ``--child`` under callgrind, or count, time and report.

    ``prepare`` runs once in the parent process before anything is measured (seeding a table).
    """
    names = pick(args.scenarios, [s.name for s in scenarios], "scenario")
    chosen = [s for s in scenarios if s.name in names]
    if args.child:
        return callgrind.child(args.child.split(","), chosen, args.counts, args.warmup, load)
    variants = pick(args.names, list(known), variant)
    if prepare is not None:
        prepare()
    meta = _meta.collect()
    errors: list[str] = []
    counts: Results = {}
    if not args.no_callgrind:
        counts, errors = count(
            script, kind, variants, chosen, args, one_process_each=one_process_each
        )
    usec: Results = {}
    if not args.no_wall:
        _meta.warn_if_busy(meta)
        usec, problems = wall_clock(variants, chosen, args, load)
        errors += problems
    head = header(variant, bases)
    table = rows(variants, names, counts, usec, bases)
    print(callgrind.format_text(head, table))
    if footer:
        print(footer)
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    if not args.no_save:
        config = {"counts": args.counts, "warmup": args.warmup, "repeat": args.repeat}
        config["target_s"] = args.target
        results = [
            {
                variant: n,
                "scenario": s,
                "instructions": counts.get((n, s)),
                "usec": usec.get((n, s)),
            }
            for s in names
            for n in variants
        ]
        save(kind, title, head, table, {"meta": meta, "config": config, "results": results})
    return 1 if errors else 0
