"""Describe the machine and software a benchmark ran on, for the results files."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PACKAGES = (
    "covetpy", "starlette", "fastapi", "pydantic", "falcon", "blacksheep", "litestar", "msgspec",
    "uvicorn", "httptools", "uvloop", "sqlalchemy", "asyncpg",
)  # fmt: skip


def package_versions() -> dict[str, str | None]:
    """Return the installed version of each benchmarked package (``None`` when missing)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cpu_model() -> str:
    """Return the CPU model name from ``/proc/cpuinfo``, or the platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def wrk_version() -> str | None:
    """Return wrk's version line, or ``None`` when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def command_line() -> str:
    """Return the command that started this run, as ``bash bench/run.sh ...`` if it did."""
    entry = os.environ.get("COVET_BENCH_ENTRY")
    if entry:
        return " ".join([entry, *map(shlex.quote, sys.argv[1:])])
    return shlex.join([sys.executable, *sys.argv])


def collect() -> dict[str, Any]:
    """Return everything needed to interpret or repeat a run."""
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "packages": package_versions(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
        "cpu_busy_at_start": cpu_busy(),
        "wrk": wrk_version(),
    }


def _cpu_times() -> tuple[int, int]:
    """Return (busy, total) jiffies summed over all CPUs from ``/proc/stat``."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(sample: float = 1.0) -> float | None:
    """Return the fraction of all CPUs busy over the next ``sample`` seconds (None if unknown).

    Unlike the load average, this is not polluted by a benchmark that just finished.
    """
    try:
        busy0, total0 = _cpu_times()
        time.sleep(sample)
        busy1, total1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    return (busy1 - busy0) / max(total1 - total0, 1)


def warn_if_busy(meta: dict[str, Any], threshold: float = 0.1) -> None:
    """Warn when other processes use the CPUs the benchmark needs (from ``collect``'s sample)."""
    busy = meta.get("cpu_busy_at_start")
    if busy is not None and busy >= threshold:
        print(
            f"warning: {busy:.0%} of the CPUs were busy before the run started; other work on "
            "this machine will skew the numbers (see cpu_busy_at_start in the results)",
            file=sys.stderr,
        )


def describe(meta: dict[str, Any]) -> list[str]:
    """Render the metadata as markdown bullet lines."""
    packages = ", ".join(f"{name} {version or '-'}" for name, version in meta["packages"].items())
    lines = [
        f"- date: {meta['date']}",
        f"- command: `{meta['command']}`",
        f"- python: {meta['python_implementation']} {meta['python']}",
        f"- packages: {packages}",
        f"- cpu: {meta['cpu_model']} ({meta['cpu_count']} cpus), {meta['platform']}",
        f"- load average at start: {', '.join(f'{x:.2f}' for x in meta['loadavg_at_start'])}",
    ]
    if meta.get("cpu_busy_at_start") is not None:
        lines.append(f"- CPUs busy just before the run: {meta['cpu_busy_at_start']:.0%}")
    if meta.get("loadavg_at_end"):
        lines.append(
            f"- load average at end: {', '.join(f'{x:.2f}' for x in meta['loadavg_at_end'])}"
        )
    if meta.get("wrk"):
        lines.append(f"- wrk: {meta['wrk']}")
    return lines


def results_path(kind: str, suffix: str, stamp: str) -> Path:
    """Return ``bench/results/<kind>-<stamp>.<suffix>``, creating the directory."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR / f"{kind}-{stamp}.{suffix}"


def stamp() -> str:
    """Return a filesystem-friendly UTC timestamp for results file names."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
