"""Measure throughput and tail latency of each framework behind uvicorn with wrk.

For every scenario, each framework in turn (interleaved, so drift hits all alike) gets a fresh
single uvicorn worker pinned to one CPU while wrk runs pinned to the other. Every response is
checked once before measuring: a wrong body is an error, not a number. Run through
``bash bench/run.sh``, which prepares ``bench/.venv`` first.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import _meta
from scenarios import BASELINE, FRAMEWORKS, SCENARIOS, Scenario, pick

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 20.0
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class BenchError(Exception):
    """A server could not be started, answered wrongly or wrk failed."""


@dataclass
class Measurement:
    """One wrk run against one server."""

    rps: float
    p99_ms: float
    requests: int
    errors: str | None = None


@dataclass
class Cell:
    """All rounds of one framework in one scenario."""

    scenario: str
    framework: str
    rounds: list[Measurement] = field(default_factory=list)
    error: str | None = None

    @property
    def median_rps(self) -> float | None:
        """Return the median req/s over the rounds, if any succeeded."""
        return statistics.median(m.rps for m in self.rounds) if self.rounds else None

    @property
    def median_p99_ms(self) -> float | None:
        """Return the median p99 latency over the rounds, if any succeeded."""
        return statistics.median(m.p99_ms for m in self.rounds) if self.rounds else None

    @property
    def spread(self) -> float | None:
        """Return (max - min) / median of req/s: how much the rounds disagreed."""
        if len(self.rounds) < 2 or not self.median_rps:
            return None
        values = [m.rps for m in self.rounds]
        return (max(values) - min(values)) / self.median_rps


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--quick", action="store_true", help="3 s runs, 1 s warm-up")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded warm-up")
    parser.add_argument("--rounds", type=int, default=1, help="repeat and report the median")
    parser.add_argument("--frameworks", help=f"comma list of {', '.join(FRAMEWORKS)}")
    parser.add_argument("--scenarios", help=f"comma list of {', '.join(s.name for s in SCENARIOS)}")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--server-cpu", default="0", help="taskset CPU list for uvicorn")
    parser.add_argument("--client-cpu", default="1", help="taskset CPU list for wrk")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3, 1
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    return args


def preflight(frameworks: list[str]) -> None:
    """Fail early, with a useful message, when a tool or an app is missing.

    Raises:
        SystemExit: When wrk or taskset is missing or an app module does not import.
    """
    for tool, hint in (
        ("wrk", "apt-get install -y wrk"),
        ("taskset", "apt-get install util-linux"),
    ):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found on PATH; install it with: {hint}")
    for name in frameworks:
        try:
            importlib.import_module(FRAMEWORKS[name])
        except Exception:
            detail = traceback.format_exc(limit=3)
            others = ",".join(f for f in frameworks if f != name)
            raise SystemExit(
                f"the {name} app ({FRAMEWORKS[name]}) does not import:\n{detail}\n"
                f"Fix it, or leave it out with --frameworks {others}"
            ) from None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(
    url: str, timeout: float = 2.0, scenario: Scenario | None = None
) -> tuple[int, str, bytes]:
    """Request ``url`` and return status, content-type and body, also for error statuses.

    Sends the scenario's method, body and body headers when one is given, else a plain GET.
    """
    request = urllib.request.Request(url)
    if scenario is not None:
        request = urllib.request.Request(
            url,
            data=scenario.body or None,
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scenario.request_headers},
            method=scenario.method,
        )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read()


class Server:
    """One uvicorn worker serving one app, pinned to a CPU; a context manager."""

    def __init__(self, framework: str, scenario: Scenario, cpu: str) -> None:
        """Prepare the command line; nothing starts until ``__enter__``."""
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}{scenario.target}"
        # The server's stderr; closed in __exit__, which a context manager cannot span here.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.command = [
            "taskset", "-c", cpu, sys.executable, "-m", "uvicorn",
            f"{FRAMEWORKS[framework]}:{scenario.app_attr}", "--app-dir", str(_meta.BENCH_DIR),
            "--host", HOST, "--port", str(self.port), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        """Start uvicorn and wait until it answers the scenario's URL."""
        # stderr goes to a file: a pipe nobody reads would block a chatty server.
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=self.log, cwd=_meta.BENCH_DIR
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"uvicorn exited with {self.process.returncode}: {self.output()}")
            try:
                fetch(self.url, timeout=1.0)
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise BenchError(f"uvicorn did not answer within {STARTUP_TIMEOUT:.0f} s: {self.output()}")

    def __exit__(self, *exc_info: object) -> None:
        """Stop uvicorn gracefully, killing it if it hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        """Return the tail of what uvicorn wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:].strip() or "(no output)"


def wrk_script(scenario: Scenario) -> list[str]:
    """Return wrk's ``-s`` option for a scenario that needs a Lua script, else nothing.

    Raises:
        BenchError: When the script is missing or does not send the scenario's method and body.
    """
    if scenario.wrk_script is None:
        return []
    path = _meta.BENCH_DIR / scenario.wrk_script
    try:
        text = path.read_text()
    except OSError as error:
        raise BenchError(f"cannot read the wrk script {path}: {error}") from None
    # The script spells the body as a Lua string; it must stay in step with scenarios.py.
    if f'"{scenario.method}"' not in text or f"[[{scenario.body.decode()}]]" not in text:
        raise BenchError(f"{path} does not send {scenario.method} {scenario.body!r}")
    return ["-s", str(path)]


def wrk(url: str, seconds: int, args: argparse.Namespace, scenario: Scenario) -> Measurement:
    """Run wrk on the client CPU and parse its report.

    Raises:
        BenchError: When wrk fails or its output cannot be parsed.
    """
    command = [
        "taskset", "-c", args.client_cpu, "wrk", f"-t{args.threads}", f"-c{args.connections}",
        f"-d{seconds}s", "--latency", *wrk_script(scenario), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk exited with {done.returncode}: {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> Measurement:
    """Extract req/s, p99 latency, request count and any errors from wrk's ``--latency`` report.

    Raises:
        BenchError: When the report lacks the numbers.
    """
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rps and p99 and total):
        raise BenchError(f"cannot parse wrk output:\n{output}")
    problems = [
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith(("Socket errors:", "Non-2xx or 3xx responses:"))
    ]
    return Measurement(
        rps=float(rps.group(1)),
        p99_ms=float(p99.group(1)) * _UNITS_MS[p99.group(2)],
        requests=int(total.group(1)),
        errors="; ".join(problems) or None,
    )


def measure(framework: str, scenario: Scenario, args: argparse.Namespace) -> Measurement:
    """Start a server, check its answer, warm it up and measure it.

    Raises:
        BenchError: When the server fails or returns a wrong response.
    """
    with Server(framework, scenario, args.server_cpu) as server:
        problem = scenario.check(*fetch(server.url, scenario=scenario))
        if problem:
            raise BenchError(f"wrong response from {server.url}: {problem}")
        if args.warmup:
            wrk(server.url, args.warmup, args, scenario)
        return wrk(server.url, args.duration, args, scenario)


def run(args: argparse.Namespace, frameworks: list[str], scenarios: list[Scenario]) -> list[Cell]:
    """Run every round; within a round, frameworks alternate inside each scenario."""
    cells = {(s.name, f): Cell(s.name, f) for s in scenarios for f in frameworks}
    for round_no in range(args.rounds):
        # Rotate the order each round so no framework always runs first after a restart.
        shift = round_no % len(frameworks)
        order = frameworks[shift:] + frameworks[:shift]
        for scenario in scenarios:
            for framework in order:
                cell = cells[scenario.name, framework]
                if cell.error:
                    continue
                label = f"[{round_no + 1}/{args.rounds}] {scenario.name:<12} {framework:<10}"
                try:
                    result = measure(framework, scenario, args)
                except (BenchError, subprocess.TimeoutExpired) as error:
                    cell.error = str(error)
                    print(f"{label} ERROR {error}", file=sys.stderr, flush=True)
                    continue
                cell.rounds.append(result)
                note = f"  ({result.errors})" if result.errors else ""
                print(
                    f"{label} {result.rps:>10,.0f} req/s  p99 {result.p99_ms:7.2f} ms{note}",
                    file=sys.stderr,
                    flush=True,
                )
    return list(cells.values())


def ratio(cell: Cell, cells: list[Cell]) -> float | None:
    """Return the cell's median req/s divided by the raw baseline's in the same scenario."""
    base = next((c for c in cells if c.scenario == cell.scenario and c.framework == BASELINE), None)
    if base is None or not base.median_rps or cell.median_rps is None:
        return None
    return cell.median_rps / base.median_rps


def table_rows(cells: list[Cell]) -> list[list[str]]:
    """Return one row of display strings per cell: scenario, framework and the numbers."""
    rows = []
    for cell in cells:
        if cell.error or cell.median_rps is None:
            rows.append([cell.scenario, cell.framework, "ERROR", "-", "-", "-"])
            continue
        rel = ratio(cell, cells)
        spread = cell.spread
        rows.append(
            [
                cell.scenario,
                cell.framework,
                f"{cell.median_rps:,.0f}",
                f"{cell.median_p99_ms:.2f}",
                "-" if rel is None else f"{rel:.2f}",
                "-" if spread is None else f"{spread:.0%}",
            ]
        )
    return rows


HEADERS = ["scenario", "framework", "req/s", "p99 ms", "vs raw", "spread"]


def format_text(rows: list[list[str]]) -> str:
    """Render rows as an aligned plain-text table."""
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def format_markdown(
    rows: list[list[str]], cells: list[Cell], meta: dict[str, Any], config: dict[str, Any]
) -> str:
    """Render the results, the errors and the run's metadata as markdown."""
    out = ["# CovetPy wrk benchmark", "", *_meta.describe(meta)]
    out.append("- config: " + ", ".join(f"{k}={v}" for k, v in config.items()))
    out += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    problems = [c for c in cells if c.error or any(m.errors for m in c.rounds)]
    if problems:
        out += ["", "## Errors", ""]
        for cell in problems:
            detail = cell.error or "; ".join(m.errors for m in cell.rounds if m.errors)
            out.append(f"- {cell.scenario} / {cell.framework}: {detail}")
    out += ["", "req/s and p99 are medians over the rounds; vs raw = req/s / raw req/s; spread ="]
    out.append("(max - min) / median req/s over the rounds.")
    return "\n".join(out) + "\n"


def save(
    rows: list[list[str]], cells: list[Cell], meta: dict[str, Any], config: dict[str, Any]
) -> tuple[Path, Path]:
    """Write the markdown table and the full JSON record to ``bench/results/``."""
    stamp = _meta.stamp()
    md_path = _meta.results_path("wrk", "md", stamp)
    md_path.write_text(format_markdown(rows, cells, meta, config))
    record = {
        "meta": meta,
        "config": config,
        "results": [
            {
                **asdict(cell),
                "median_rps": cell.median_rps,
                "median_p99_ms": cell.median_p99_ms,
                "ratio_to_raw": ratio(cell, cells),
            }
            for cell in cells
        ],
    }
    json_path = _meta.results_path("wrk", "json", stamp)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    return md_path, json_path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 when any scenario errored."""
    args = parse_args(argv)
    frameworks = pick(args.frameworks, list(FRAMEWORKS), "framework")
    names = pick(args.scenarios, [s.name for s in SCENARIOS], "scenario")
    scenarios = [s for s in SCENARIOS if s.name in names]
    preflight(frameworks)
    meta = _meta.collect()
    _meta.warn_if_busy(meta)
    config = {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "connections": args.connections,
        "threads": args.threads,
        "server_cpu": args.server_cpu,
        "client_cpu": args.client_cpu,
        "server": "uvicorn --loop uvloop --http httptools, 1 worker",
    }
    cells = run(args, frameworks, scenarios)
    rows = table_rows(cells)
    print()
    print(format_text(rows))
    meta["loadavg_at_end"] = os.getloadavg()
    if not args.no_save:
        for path in save(rows, cells, meta, config):
            print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)}")
    failed = [c for c in cells if c.error]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
