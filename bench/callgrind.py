"""Count the CPU instructions each framework spends per request, with valgrind's callgrind.

Instruction counts do not depend on what else the machine is doing, so unlike the timers in
``inprocess.py`` and ``run.py`` they repeat to a few instructions on this shared VM. Two modes:

* **in-process** (default): one process per framework runs under callgrind, imports its app,
  runs lifespan startup, checks and warms up every scenario (none of it counted), then serves
  each scenario's requests back to back through the ASGI callable, as ``inprocess.py`` does.
* **over the wire** (``--wire``): one uvicorn worker (uvloop, httptools) runs under callgrind;
  a client outside valgrind sends keep-alive requests on 127.0.0.1, one at a time, and the
  server process's instructions are counted, uvicorn's and httptools' own work included.

How a count is isolated. In-process, each measured loop runs inside a ctypes callback
(``qsort`` of two elements calls our comparator once), so ``--collect-atstart=no
--toggle-collect=closure_fcn`` counts exactly that loop (``closure_fcn`` is ctypes' callback
entry, which no framework calls) and ``--dump-after=closure_fcn`` writes one profile per loop.
Over the wire, ``callgrind_control --dump`` writes a profile after each batch of requests.
Each scenario is measured twice, with N1 and N2 requests, and the result is (I2 - I1) /
(N2 - N1): the constant cost of a batch (entering the callback, starting the event loop, the
dump request) cancels, leaving the cost of one request. ``PYTHONHASHSEED=0`` keeps dict and set
layouts the same from run to run. Over the wire, uvicorn's 0.1 s timer ticks are counted too
(a few instructions per request at callgrind's speed, alike for every framework).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import gc
import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _meta
import inprocess
from scenarios import BASELINE, FRAMEWORKS, SCENARIOS, Scenario, pick

HOST = "127.0.0.1"
TOGGLE = "closure_fcn"
DEFAULT_SCENARIOS = "plaintext,json,path-param,search,post-validate"
_TOTALS = re.compile(rb"^totals:\s+(\d+)", re.MULTILINE)


# --- counting a loop inside the process ----------------------------------------------------

_COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_PAIR = (ctypes.c_int * 2)(0, 0)


def counted(work: Callable[[], None]) -> None:
    """Run ``work`` inside a ctypes callback: the one stretch callgrind counts and dumps."""

    def compare(a: int, b: int) -> int:
        work()
        return 0

    callback = _COMPARE(compare)  # kept alive until qsort returns
    gc.collect()
    _libc.qsort(_PAIR, 2, ctypes.sizeof(ctypes.c_int), callback)


def child(
    names: list[str],
    scenarios: list[Scenario],
    counts: tuple[int, int],
    warmup: int,
    load: inprocess.Loader = inprocess.framework_app,
) -> int:
    """Under callgrind: check, warm up, then count N1 and N2 requests of each case.

    ``names`` are frameworks (or what ``load`` takes). Prints the ``[name, scenario]`` pairs
    in the order their two dumps were written, as one JSON line.
    """
    loop = inprocess.new_loop("uvloop")
    asyncio.set_event_loop(loop)
    cases, lifespans, errors = inprocess.prepare(loop, names, scenarios, load)
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    for case in cases:
        loop.run_until_complete(inprocess.drive(case.app, case.template, case.request, warmup))
    for case in cases:
        for number in counts:

            def work(case: inprocess.Case = case, number: int = number) -> None:
                loop.run_until_complete(
                    inprocess.drive(case.app, case.template, case.request, number)
                )

            counted(work)
    for lifespan in lifespans:
        loop.run_until_complete(lifespan.shutdown())
    print(json.dumps([[case.framework, case.scenario.name] for case in cases]))
    return 1 if errors else 0


def dump_totals(prefix: Path) -> list[int]:
    """Return the instruction totals of ``prefix.1``, ``prefix.2``, ... in dump order."""
    parts = []
    for path in prefix.parent.glob(prefix.name + ".*"):
        suffix = path.name.rpartition(".")[2]
        if suffix.isdigit():
            parts.append((int(suffix), path))
    totals = []
    for _, path in sorted(parts):
        found = _TOTALS.search(path.read_bytes())
        if found is None:
            raise SystemExit(f"no totals line in {path}")
        totals.append(int(found.group(1)))
    return totals


def per_request(first: int, second: int, counts: tuple[int, int]) -> float:
    """Return the instructions of one request from the totals of two batches."""
    return (second - first) / (counts[1] - counts[0])


def run_inprocess(
    framework: str, scenarios: list[Scenario], args: argparse.Namespace, workdir: Path
) -> tuple[dict[str, float], list[str]]:
    """Run one framework's child under callgrind; return instructions per request by scenario."""
    found, problems = count_child(__file__, framework, [framework], scenarios, args, workdir)
    return {scenario: value for (_, scenario), value in found.items()}, problems


def count_child(
    script: str,
    label: str,
    names: list[str],
    scenarios: list[Scenario],
    args: argparse.Namespace,
    workdir: Path,
) -> tuple[dict[tuple[str, str], float], list[str]]:
    """Run ``script --child names`` under callgrind; return instructions per request.

    The result maps ``(name, scenario)`` to the count; ``label`` names the profiles.
    """
    prefix = workdir / f"inproc-{label}"
    command = [
        "valgrind", "--tool=callgrind", "--collect-atstart=no",
        f"--toggle-collect={TOGGLE}", f"--dump-after={TOGGLE}",
        f"--callgrind-out-file={prefix}", sys.executable, script, "--child", ",".join(names),
        "--scenarios", ",".join(s.name for s in scenarios),
        "--counts", f"{args.counts[0]},{args.counts[1]}", "--warmup", str(args.warmup),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=_meta.BENCH_DIR)
    problems = [line for line in done.stderr.splitlines() if line.startswith("ERROR ")]
    if done.returncode not in (0, 1) or not done.stdout.strip():
        failure = f"{label}: child failed ({done.returncode}): {done.stderr[-1500:]}"
        return {}, [*problems, failure]
    pairs = json.loads(done.stdout.strip().splitlines()[-1])
    totals = dump_totals(prefix)
    if len(totals) != 2 * len(pairs):
        return {}, [*problems, f"{label}: {len(totals)} dumps for {len(pairs)} cases"]
    results = {
        (name, scenario): per_request(totals[2 * i], totals[2 * i + 1], args.counts)
        for i, (name, scenario) in enumerate(pairs)
    }
    return results, problems


# --- counting the server process over real HTTP --------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def raw_request(scenario: Scenario) -> bytes:
    """Return the HTTP/1.1 keep-alive request bytes for ``scenario``."""
    lines = [f"{scenario.method} {scenario.target} HTTP/1.1", f"host: {HOST}"]
    lines += [f"{k.decode()}: {v.decode()}" for k, v in scenario.request_headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + scenario.body


class Connection:
    """A keep-alive HTTP/1.1 client connection that reads Content-Length framed responses."""

    def __init__(self, port: int, timeout: float) -> None:
        """Connect to the server on 127.0.0.1."""
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def exchange(self, request: bytes) -> tuple[int, str, bytes]:
        """Send one request; return the status, content type and body of the response."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise ConnectionError(f"response without content-length: {head!r}")
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers.get("content-type", ""), body

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def callgrind_dump(pid: int) -> None:
    """Ask the callgrind process ``pid`` to write its counts so far and zero them."""
    subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, capture_output=True)


def run_wire(
    framework: str, scenario: Scenario, args: argparse.Namespace, workdir: Path
) -> float | str:
    """Serve ``scenario`` from uvicorn under callgrind; return instructions per request."""
    port = free_port()
    prefix = workdir / f"wire-{framework}-{scenario.name}"
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}",
        sys.executable, "-m", "uvicorn", f"{FRAMEWORKS[framework]}:{scenario.app_attr}",
        "--app-dir", str(_meta.BENCH_DIR), "--host", HOST, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=_meta.BENCH_DIR
        )
        try:
            return _drive_wire(server, port, scenario, args, prefix)
        except (OSError, subprocess.CalledProcessError) as exc:
            log.seek(0)
            return f"{exc}: {log.read().decode(errors='replace')[-1500:]}"
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def _drive_wire(
    server: subprocess.Popen[bytes],
    port: int,
    scenario: Scenario,
    args: argparse.Namespace,
    prefix: Path,
) -> float | str:
    deadline = time.monotonic() + args.startup_timeout
    while True:
        if server.poll() is not None:
            raise OSError(f"uvicorn exited with {server.returncode}")
        try:
            connection = Connection(port, timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    request = raw_request(scenario)
    try:
        problem = scenario.check(*connection.exchange(request))
        if problem:
            return problem
        for _ in range(args.warmup):
            connection.exchange(request)
        callgrind_dump(server.pid)  # start-up and warm-up: dump 1, not used
        for number in args.counts:
            for _ in range(number):
                connection.exchange(request)
            callgrind_dump(server.pid)
    finally:
        connection.close()
    totals = dump_totals(prefix)
    if len(totals) < 3:
        return f"{len(totals)} dumps, expected 3"
    return per_request(totals[1], totals[2], args.counts)


# --- the parent: run everything, print and save the table ----------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", help=f"comma list of {', '.join(FRAMEWORKS)}")
    names = ", ".join(s.name for s in SCENARIOS)
    parser.add_argument(
        "--scenarios", default=DEFAULT_SCENARIOS, help=f"comma list of {names}, or 'all'"
    )
    parser.add_argument("--wire", action="store_true", help="count a uvicorn worker over HTTP")
    parser.add_argument(
        "--counts",
        default=None,
        help="N1,N2 requests per batch (default 200,1200 in-process, 100,500 over the wire)",
    )
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests first")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument(
        "--keep", type=Path, help="write the profiles to this directory (for callgrind_annotate)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    default_counts = "100,500" if args.wire else "200,1200"
    first, _, second = (args.counts or default_counts).partition(",")
    args.counts = (int(first), int(second))
    if not 0 <= args.counts[0] < args.counts[1]:
        parser.error("--counts needs N1 < N2")
    if args.scenarios == "all":
        args.scenarios = ",".join(s.name for s in SCENARIOS)
    return args


def table(results: dict[tuple[str, str], float], frameworks: list[str], scenarios: list[str]):
    """Return header and rows: instructions per request (thousands) and the ratio to raw."""
    header = ["scenario", *frameworks]
    rows = []
    for name in scenarios:
        base = results.get((name, BASELINE))
        row = [name]
        for framework in frameworks:
            value = results.get((name, framework))
            if value is None:
                row.append("-")
            elif base is None or framework == BASELINE:
                row.append(f"{value / 1000:.1f}k")
            else:
                row.append(f"{value / 1000:.1f}k ({base / value:.2f})")
        rows.append(row)
    return header, rows


def format_text(header: list[str], rows: list[list[str]]) -> str:
    """Render an aligned plain-text table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def available(frameworks: list[str]) -> tuple[list[str], list[str]]:
    """Split the frameworks into those whose app imports here and those skipped (with why)."""
    usable, skipped = [], []
    for name in frameworks:
        try:
            importlib.import_module(FRAMEWORKS[name])
            usable.append(name)
        except ImportError as exc:
            skipped.append(f"{name}: {exc}")
    return usable, skipped


def main(argv: list[str] | None = None) -> int:
    """Count instructions per request; return 1 when a response was wrong or a run failed."""
    args = parse_args(argv)
    names = pick(args.scenarios, [s.name for s in SCENARIOS], "scenario")
    scenarios = [s for s in SCENARIOS if s.name in names]
    if args.child:
        return child([args.child], scenarios, args.counts, args.warmup)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found on PATH; install it with: apt-get install valgrind")
    frameworks, skipped = available(pick(args.frameworks, list(FRAMEWORKS), "framework"))
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    meta = _meta.collect()
    results: dict[tuple[str, str], float] = {}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="covet-callgrind-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for pattern in ("inproc-*", "wire-*"):
            for stale in workdir.glob(pattern):
                stale.unlink()  # dump_totals reads every numbered part of a prefix
        for framework in frameworks:
            if args.wire:
                for scenario in scenarios:
                    value = run_wire(framework, scenario, args, workdir)
                    if isinstance(value, str):
                        errors.append(f"{scenario.name} / {framework}: {value}")
                    else:
                        results[(scenario.name, framework)] = value
            else:
                found, problems = run_inprocess(framework, scenarios, args, workdir)
                errors += problems
                results.update({(name, framework): value for name, value in found.items()})
            print(f"{framework} done", file=sys.stderr, flush=True)
    header, rows = table(results, frameworks, names)
    print(format_text(header, rows))
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    if not args.no_save:
        mode = "wire" if args.wire else "inprocess"
        config = {"mode": mode, "counts": args.counts, "warmup": args.warmup}
        save(header, rows, results, meta, config)
    return 1 if errors else 0


def save(
    header: list[str],
    rows: list[list[str]],
    results: dict[tuple[str, str], float],
    meta: dict[str, Any],
    config: dict[str, Any],
) -> None:
    """Write the markdown table and JSON record to ``bench/results/``."""
    stamp = _meta.stamp()
    kind = f"callgrind-{config['mode']}"
    md = [f"# CovetPy callgrind ({config['mode']}): instructions per request", ""]
    md += _meta.describe(meta)
    md.append("- config: " + ", ".join(f"{k}={v}" for k, v in config.items()))
    md += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(row) + " |" for row in rows]
    md_path = _meta.results_path(kind, "md", stamp)
    md_path.write_text("\n".join(md) + "\n")
    record = {
        "meta": meta,
        "config": config,
        "results": [
            {"scenario": s, "framework": f, "instructions": v} for (s, f), v in results.items()
        ],
    }
    json_path = _meta.results_path(kind, "json", stamp)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    for path in (md_path, json_path):
        print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)}")


if __name__ == "__main__":
    sys.exit(main())
