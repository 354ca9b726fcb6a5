"""Measure each framework's own cost per request by calling its ASGI app directly.

No server and no socket: a prebuilt scope (copied per request, as a server builds a fresh one),
a ``receive`` that hands over the request body (empty for GETs) once and a ``send`` that
discards. What remains is
routing, parameter parsing, handler dispatch and response building, so differences of a
microsecond show up clearly, unlike in the wrk numbers. Like ``timeit``, each result is the
minimum over several repeats of N requests; repeats alternate between frameworks.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import _meta
from scenarios import BASELINE, FRAMEWORKS, SCENARIOS, Scenario, pick

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

_DISCONNECT = {"type": "http.disconnect"}
_HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]


def http_scope(scenario: Scenario, state: dict[str, Any]) -> dict[str, Any]:
    """Build the scope uvicorn would pass for the scenario's request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 54321),
        "scheme": "http",
        "method": scenario.method,
        "root_path": "",
        "path": scenario.path,
        "raw_path": scenario.path.encode(),
        "query_string": scenario.query_string,
        "headers": _HEADERS + scenario.request_headers,
        "state": state,
    }


def request_message(scenario: Scenario) -> Message:
    """Return the ``http.request`` message carrying the scenario's whole body."""
    return {"type": "http.request", "body": scenario.body, "more_body": False}


def body_once(request: Message) -> Receive:
    """Return a ``receive`` that yields ``request`` (the whole body), then a disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return _DISCONNECT
        sent = True
        return request

    return receive


async def discard(message: Message) -> None:
    """Accept and drop a message, like a socket with infinite bandwidth."""


class Lifespan:
    """Drive an app's lifespan protocol the way uvicorn's ``--lifespan auto`` does."""

    def __init__(self, app: ASGIApp) -> None:
        """Prepare the queues; call ``startup`` to start."""
        self.app = app
        self.state: dict[str, Any] = {}
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def startup(self) -> bool:
        """Send ``lifespan.startup``; return whether the app supports lifespan.

        Raises:
            RuntimeError: When the app reports ``lifespan.startup.failed``.
        """
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self.task = asyncio.ensure_future(self.app(scope, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "lifespan.startup"})
        reply = asyncio.ensure_future(self.outbox.get())
        await asyncio.wait({self.task, reply}, return_when=asyncio.FIRST_COMPLETED, timeout=10)
        if not reply.done():
            # The app raised or returned on the lifespan scope: it does not do lifespan.
            reply.cancel()
            return False
        message = reply.result()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"lifespan startup failed: {message}")
        return True

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait for the app's lifespan task to finish."""
        if self.task is None or self.task.done():
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(self.outbox.get(), timeout=10)
        await asyncio.wait_for(self.task, timeout=10)


async def check(app: ASGIApp, scenario: Scenario, template: dict[str, Any]) -> str | None:
    """Serve one request, capturing the response; return what is wrong with it, if anything."""
    messages: list[Message] = []

    async def capture(message: Message) -> None:
        messages.append(message)

    await app(template.copy(), body_once(request_message(scenario)), capture)
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    if start is None:
        return f"no http.response.start in {messages!r}"
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return scenario.check(start["status"], headers.get("content-type", ""), body)


async def drive(app: ASGIApp, template: dict[str, Any], request: Message, number: int) -> None:
    """Serve ``number`` requests back to back, each receiving ``request``."""
    for _ in range(number):
        await app(template.copy(), body_once(request), discard)


@dataclass
class Case:
    """One framework's app for one scenario, with its timings."""

    framework: str
    scenario: Scenario
    app: ASGIApp
    template: dict[str, Any]
    request: Message
    number: int = 0
    best: float = float("inf")

    @property
    def usec(self) -> float:
        """Return the best time per request in microseconds."""
        return self.best / self.number * 1e6


def time_batch(loop: asyncio.AbstractEventLoop, case: Case, number: int) -> float:
    """Return the seconds ``number`` requests take, after a full garbage collection."""
    gc.collect()
    started = time.perf_counter()
    loop.run_until_complete(drive(case.app, case.template, case.request, number))
    return time.perf_counter() - started


def autorange(loop: asyncio.AbstractEventLoop, case: Case, target: float) -> int:
    """Pick N (1, 2, 5, 10, 20, ...) so one batch takes at least ``target`` seconds."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            number = step * scale
            if time_batch(loop, case, number) >= target:
                return number
        scale *= 10


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    """Return a uvloop loop (as uvicorn ``--loop uvloop`` uses) or a plain asyncio one."""
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


Loader = Callable[[str, Scenario], ASGIApp]


def framework_app(framework: str, scenario: Scenario) -> ASGIApp:
    """Return the framework's app that serves ``scenario`` (``app`` or ``app_200``)."""
    app: ASGIApp = getattr(importlib.import_module(FRAMEWORKS[framework]), scenario.app_attr)
    return app


def prepare(
    loop: asyncio.AbstractEventLoop,
    frameworks: list[str],
    scenarios: list[Scenario],
    load: Loader = framework_app,
) -> tuple[list[Case], list[Lifespan], list[str]]:
    """Load the apps, run their lifespan startup and check every scenario's response.

    ``load(name, scenario)`` returns the app; by default ``name`` is a framework of
    ``FRAMEWORKS`` (``bench/stack.py`` passes its own for middleware variants).
    """
    cases, lifespans, errors = [], [], []
    started: dict[int, dict[str, Any]] = {}
    for framework in frameworks:
        for scenario in scenarios:
            app = load(framework, scenario)
            if id(app) not in started:
                lifespan = Lifespan(app)
                if loop.run_until_complete(lifespan.startup()):
                    lifespans.append(lifespan)
                started[id(app)] = lifespan.state
            template = http_scope(scenario, started[id(app)])
            problem = loop.run_until_complete(check(app, scenario, template))
            if problem:
                errors.append(f"{scenario.name} / {framework}: {problem}")
                continue
            cases.append(Case(framework, scenario, app, template, request_message(scenario)))
    # Report scenario by scenario, frameworks in their canonical order.
    cases.sort(key=lambda c: (scenarios.index(c.scenario), frameworks.index(c.framework)))
    return cases, lifespans, errors


def measure(loop: asyncio.AbstractEventLoop, cases: list[Case], repeat: int, target: float) -> None:
    """Calibrate each case, then time ``repeat`` rounds, alternating cases in each round."""
    for case in cases:
        case.number = autorange(loop, case, target)
    for round_no in range(repeat):
        for case in cases:
            case.best = min(case.best, time_batch(loop, case, case.number))
        print(f"round {round_no + 1}/{repeat} done", file=sys.stderr, flush=True)


def table_rows(cases: list[Case]) -> list[list[str]]:
    """Return display rows: scenario, framework, µs/req, µs added over raw, x raw."""
    base = {c.scenario.name: c.usec for c in cases if c.framework == BASELINE}
    rows = []
    for case in cases:
        raw = base.get(case.scenario.name)
        added = "-" if raw is None else f"{case.usec - raw:+.2f}"
        times = "-" if raw is None else f"{case.usec / raw:.2f}"
        rows.append([case.scenario.name, case.framework, f"{case.usec:.2f}", added, times])
    return rows


HEADERS = ["scenario", "framework", "us/req", "+us vs raw", "x raw"]


def format_text(rows: list[list[str]]) -> str:
    """Render rows as an aligned plain-text table."""
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def save(rows: list[list[str]], cases: list[Case], meta: dict[str, Any], config: dict[str, Any]):
    """Write the markdown table and JSON record to ``bench/results/``; return the paths."""
    stamp = _meta.stamp()
    md = ["# CovetPy in-process ASGI benchmark", "", *_meta.describe(meta)]
    md.append("- config: " + ", ".join(f"{k}={v}" for k, v in config.items()))
    md += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    md += ["| " + " | ".join(row) + " |" for row in rows]
    md_path = _meta.results_path("inprocess", "md", stamp)
    md_path.write_text("\n".join(md) + "\n")
    results = [
        {"scenario": c.scenario.name, "framework": c.framework, "usec": c.usec, "number": c.number}
        for c in cases
    ]
    json_path = _meta.results_path("inprocess", "json", stamp)
    record = {"meta": meta, "config": config, "results": results}
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    return md_path, json_path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", help=f"comma list of {', '.join(FRAMEWORKS)}")
    parser.add_argument("--scenarios", help=f"comma list of {', '.join(s.name for s in SCENARIOS)}")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; the minimum counts")
    parser.add_argument("--target", type=float, default=0.2, help="seconds per timed batch")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.1 s batches")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.target = 3, 0.1
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the in-process benchmark; return 1 when a response was wrong."""
    args = parse_args(argv)
    frameworks = pick(args.frameworks, list(FRAMEWORKS), "framework")
    names = pick(args.scenarios, [s.name for s in SCENARIOS], "scenario")
    scenarios = [s for s in SCENARIOS if s.name in names]
    meta = _meta.collect()
    _meta.warn_if_busy(meta)
    config = {"repeat": args.repeat, "target_s": args.target, "loop": args.loop, "gc": "enabled"}
    loop = new_loop(args.loop)
    asyncio.set_event_loop(loop)
    cases, lifespans, errors = prepare(loop, frameworks, scenarios)
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    measure(loop, cases, args.repeat, args.target)
    for lifespan in lifespans:
        loop.run_until_complete(lifespan.shutdown())
    loop.close()
    rows = table_rows(cases)
    print(format_text(rows))
    meta["loadavg_at_end"] = os.getloadavg()
    if not args.no_save:
        for path in save(rows, cases, meta, config):
            print(f"wrote {path.relative_to(_meta.BENCH_DIR.parent)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
