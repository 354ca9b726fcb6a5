"""The servers ``covet run`` hands an application to (imported only when it runs)."""

from __future__ import annotations

import argparse
import asyncio
import copy
from pathlib import Path
from types import FrameType
from typing import Any

from covet._optional import require
from covet.app import CovetPy


def serve_uvicorn(args: argparse.Namespace, app: Any) -> bool:
    """Serve ``args.app`` with uvicorn; return whether it started (``False``: start-up failed).

    One worker without reload runs uvicorn's server in this process, told to signal a
    CovetPy ``app``'s shutdown as soon as the process is asked to stop, before uvicorn waits
    for open connections: long polls, streams and WebSocket loops that watch
    ``app.shutting_down`` then end, so the graceful shutdown does not wait for them.
    """
    uvicorn = require("uvicorn", extra="server")
    defaults = require("uvicorn.config", extra="server").LOGGING_CONFIG
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "reload": args.reload,
        "workers": args.workers,
        "root_path": args.root_path,
        "log_level": args.log_level,
        "log_config": _with_covet_logger(defaults, "default", args.log_level),
        "access_log": not args.no_access_log,
        # Forwarded headers are the app's policy (ProxyHeadersMiddleware), the same under
        # every server: applied here first, they would hide the proxy from that middleware.
        "proxy_headers": False,
    }
    if args.reload or args.workers > 1 or not isinstance(app, CovetPy):
        uvicorn.run(args.app, **options)  # the supervisors run their own servers
        return True
    server = _draining_server(uvicorn.Server, app)(uvicorn.Config(args.app, **options))
    server.run()
    return bool(server.started)


def _draining_server(base: type[Any], app: CovetPy) -> type[Any]:
    class DrainingServer(base):  # type: ignore[misc]
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            try:  # the signal arrives in the loop's thread, between two of its steps
                loop = asyncio.get_running_loop()
            except RuntimeError:  # pragma: no cover - a signal before the loop started
                return
            loop.call_soon_threadsafe(app.signal_shutdown)

    return DrainingServer


def serve_granian(args: argparse.Namespace) -> None:
    """Serve ``args.app`` with granian."""
    granian = require("granian", extra="granian")
    constants = require("granian.constants", extra="granian")
    log = require("granian.log", extra="granian")
    server = granian.Granian(
        args.app,
        address=args.host,
        port=args.port,
        interface=constants.Interfaces.ASGI,
        workers=args.workers,
        reload=args.reload,
        log_level=log.LogLevels(args.log_level),
        log_dictconfig=_with_covet_logger(log.LOGGING_CONFIG, "console", args.log_level),
        url_path_prefix=args.root_path or None,
        working_dir=Path.cwd(),
    )
    server.serve()


def _with_covet_logger(config: dict[str, Any], handler: str, level: str) -> dict[str, Any]:
    """Copy a server's logging config, routing the ``covet.*`` loggers to ``handler``."""
    merged = copy.deepcopy(config)
    merged.setdefault("loggers", {})["covet"] = {
        "handlers": [handler],
        "level": level.upper(),
        "propagate": False,
    }
    return merged
