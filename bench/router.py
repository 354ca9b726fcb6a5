"""Measure route matching alone on the 200-route table of ``apps.covet_app.app_200``.

Reports matches per second for parametrised paths at the end and in the middle of the table, a
static path registered after all 199 filler routes, and a miss (the worst case for a scan).
Starlette's linear scan over the same table is measured as a reference point.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import timeit
from collections.abc import Callable
from functools import partial
from typing import Any

Matcher = Callable[[str], object]

PATHS: tuple[tuple[str, str, bool], ...] = (
    ("param, last of 200", "/last/items/7", True),
    ("param, 101st of 200", "/r100/items/5", True),
    ("static, after 199 params", "/plaintext", True),
    ("miss", "/no/such/route", False),
)
"""(label, path, whether it must match)."""


def covet_matcher() -> Matcher:
    """Return ``path -> match or None`` for covet's router; the one place that knows its API."""
    app = importlib.import_module("apps.covet_app").app_200
    # PERF: a partial over the bound method adds no Python frame to the timed call.
    return partial(app.router.match, "GET")


def starlette_matcher() -> Matcher:
    """Return ``path -> match or None`` that scans Starlette's routes as its Router does."""
    from starlette.routing import Match

    routes = importlib.import_module("apps.starlette_app").app_200.router.routes

    def match(path: str) -> object:
        scope: dict[str, Any] = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        for route in routes:
            outcome, child_scope = route.matches(scope)
            if outcome is Match.FULL:
                return child_scope
        return None

    return match


ROUTERS: dict[str, Callable[[], Matcher]] = {
    "covet": covet_matcher,
    "starlette": starlette_matcher,
}


def time_matcher(matcher: Matcher, path: str, repeat: int) -> float:
    """Return the best seconds per match over ``repeat`` timeit rounds."""
    timer = timeit.Timer("match(path)", globals={"match": matcher, "path": path})
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def bench(name: str, repeat: int) -> list[list[str]]:
    """Check and time every path with one router; return display rows.

    Raises:
        SystemExit: When a path matches when it should not, or the other way round.
    """
    matcher = ROUTERS[name]()
    rows = []
    for label, path, should_match in PATHS:
        if (matcher(path) is not None) != should_match:
            verb = "did not match" if should_match else "matched"
            raise SystemExit(f"{name} router {verb} {path!r}; the benchmark would be meaningless")
        seconds = time_matcher(matcher, path, repeat)
        rows.append([name, label, path, f"{1 / seconds:,.0f}", f"{seconds * 1e9:,.0f}"])
    return rows


HEADERS = ["router", "case", "path", "matches/s", "ns/match"]


def main(argv: list[str] | None = None) -> int:
    """Run the router micro-benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--routers", default="covet,starlette", help="comma list of covet,starlette"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timeit rounds; the best counts")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.routers.split(",") if n.strip()]
    unknown = [n for n in names if n not in ROUTERS]
    if unknown:
        parser.error(f"unknown router {', '.join(unknown)}; choose from {', '.join(ROUTERS)}")
    rows = [row for name in names for row in bench(name, args.repeat)]
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    print("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
