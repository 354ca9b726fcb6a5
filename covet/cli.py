"""The ``covet`` command line: serve an application and print its route table.

Usage::

    covet run examples.app:app --reload
    covet routes examples.app:app
    covet --version

Servers are imported only inside ``covet run``, so the rest of the command line (and the
framework) works without them.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covet import __version__
from covet._optional import require
from covet.exceptions import CovetError, MissingDependencyError
from covet.routing import Route, Router, WebSocketRoute

SERVERS = ("uvicorn", "granian")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
EXIT_USAGE = 2
EXIT_FAILURE = 1


class CommandError(CovetError):
    """A command cannot go on; the message is printed on one line and the exit code is 2."""


class AppLoadError(CommandError):
    """A ``module:attribute`` import string does not lead to an ASGI application."""


# -- loading the application ----------------------------------------------------------------


def load_app(import_string: str) -> Any:
    """Import ``module:attribute`` and return the ASGI application it names.

    The attribute may be dotted (``module:container.app``). The current directory is not
    added to ``sys.path`` here; the commands do that before calling this.

    Raises:
        AppLoadError: The string is malformed, the module does not exist or failed to import
            with an ImportError, the attribute is missing, or it is not callable.
    """
    module_name, attribute = _split_import_string(import_string)
    module = _import_module(module_name)
    app: Any = module
    for part in attribute.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise AppLoadError(
                f"Module {module_name!r} has no attribute {attribute!r} "
                f"(import string {import_string!r})."
            ) from None
    if not callable(app):
        raise AppLoadError(
            f"{import_string!r} is not an ASGI application: it is a {type(app).__name__}, "
            "which is not callable. Point it at your CovetPy() instance."
        )
    return app


def _split_import_string(import_string: str) -> tuple[str, str]:
    module_name, colon, attribute = import_string.partition(":")
    if not colon:
        raise AppLoadError(
            f"Import string {import_string!r} has no colon; write it as 'module:attribute', "
            "e.g. 'examples.hello:app'."
        )
    parts = [*module_name.split("."), *attribute.split(".")]
    if not all(part.isidentifier() for part in parts):
        raise AppLoadError(
            f"Import string {import_string!r} must look like 'package.module:attribute', "
            "with dotted Python names on both sides of the colon."
        )
    return module_name, attribute


def _import_module(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (name == missing or name.startswith(missing + ".")):
            where = "" if missing == name else f" (there is no {missing!r})"
            raise AppLoadError(
                f"Module {name!r} not found{where} in {os.getcwd()} or on sys.path; "
                "run covet from your project's root directory."
            ) from None
        raise AppLoadError(f"Importing module {name!r} failed: {_one_line(exc)}") from exc
    except ImportError as exc:
        raise AppLoadError(f"Importing module {name!r} failed: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).splitlines())}"


def _add_cwd_to_path() -> None:
    """Make modules in the current directory importable, as ``uvicorn`` does."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


# -- covet routes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteRow:
    """One line of the route table."""

    methods: str
    path: str
    name: str
    handler: str


def route_rows(app: Any, prefix: str = "") -> list[RouteRow]:
    """List the routes, WebSocket routes and mounts of ``app``, sorted by path.

    Routes of mounted CovetPy applications (and Routers) are listed too, under the
    mount's path.

    Raises:
        CommandError: ``app`` is neither a CovetPy application nor a Router.
    """
    router = _router_of(app)
    if router is None:
        raise CommandError(
            f"{_describe(app)} is not a CovetPy application or Router, so it has no route table."
        )
    rows: list[RouteRow] = []
    # A CovetPy app's ``routes`` leaves out the ones it adds itself (the OpenAPI document).
    for route in getattr(app, "routes", router.routes):
        if isinstance(route, Route):
            methods = ",".join(sorted(route.methods))
        elif isinstance(route, WebSocketRoute):
            methods = "WS"
        else:  # pragma: no cover - the router only holds these two kinds
            methods = "?"
        rows.append(RouteRow(methods, prefix + route.path, route.name, route.handler_name))
    for mount in router.mounts:
        path = prefix + mount.path
        rows.append(RouteRow("MOUNT", path or "/", mount.name or "-", _describe(mount.app)))
        if _router_of(mount.app) is not None:
            rows.extend(route_rows(mount.app, path))
    return sorted(rows, key=lambda row: (row.path, row.methods))


def format_table(rows: list[RouteRow]) -> list[str]:
    """Render rows under a ``METHODS PATH NAME HANDLER`` header, columns aligned."""
    table = [("METHODS", "PATH", "NAME", "HANDLER")]
    table += [(row.methods, row.path, row.name, row.handler) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(4)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]


def _router_of(app: Any) -> Router | None:
    if isinstance(app, Router):
        return app
    router = getattr(app, "router", None)
    return router if isinstance(router, Router) else None


def _describe(obj: Any) -> str:
    target = obj if isinstance(obj, type | types.FunctionType) else type(obj)
    return f"{target.__module__}.{target.__qualname__}"


def _cmd_routes(args: argparse.Namespace) -> int:
    _add_cwd_to_path()
    rows = route_rows(load_app(args.app))
    for line in format_table(rows):
        print(line)
    if not rows:
        print("(no routes)")
    return 0


def _cmd_openapi(args: argparse.Namespace) -> int:
    _add_cwd_to_path()
    app = load_app(args.app)
    document = getattr(app, "openapi", None)
    if not callable(document):
        raise CommandError(f"{_describe(app)} is not a CovetPy application, so it has no OpenAPI.")
    print(json.dumps(document(), indent=args.indent, ensure_ascii=False))
    return 0


# -- covet run --------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    if args.reload and args.workers > 1:
        raise CommandError(
            "--reload cannot be combined with --workers greater than 1: the reloader runs a "
            "single worker. Drop one of the two options."
        )
    _add_cwd_to_path()
    # Fail here, with a one-line message, rather than inside the server's worker.
    load_app(args.app)
    serve = _serve_granian if args.server == "granian" else _serve_uvicorn
    serve(args)
    return 0


def _serve_uvicorn(args: argparse.Namespace) -> None:
    uvicorn = require("uvicorn", extra="server")
    defaults = require("uvicorn.config", extra="server").LOGGING_CONFIG
    uvicorn.run(
        args.app,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        root_path=args.root_path,
        log_level=args.log_level,
        log_config=_with_covet_logger(defaults, "default", args.log_level),
        access_log=not args.no_access_log,
    )


def _serve_granian(args: argparse.Namespace) -> None:
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


# -- argument parsing -------------------------------------------------------------------------


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be a number from 0 to 65535, got {value!r}")
    return int(value)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``covet`` argument parser and its ``run`` and ``routes`` commands."""
    parser = argparse.ArgumentParser(prog="covet", description="The CovetPy command line.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="serve an application with an ASGI server")
    run.add_argument("app", help="the application, as 'module:attribute'")
    run.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    run.add_argument("--port", type=_port, default=8000, help="bind port (default 8000)")
    run.add_argument("--reload", action="store_true", help="restart when code changes")
    run.add_argument("--workers", type=_positive, default=1, help="worker processes")
    run.add_argument("--server", choices=SERVERS, default="uvicorn", help="default uvicorn")
    run.add_argument("--root-path", default="", help="path prefix the app is served under")
    run.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="default info")
    run.add_argument(
        "--no-access-log",
        action="store_true",
        help="turn off the server's own access log (e.g. when the app logs requests itself)",
    )
    run.set_defaults(handler=_cmd_run)

    routes = commands.add_parser("routes", help="print the route table of an application")
    routes.add_argument("app", help="the application, as 'module:attribute'")
    routes.set_defaults(handler=_cmd_routes)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document of an application")
    openapi.add_argument("app", help="the application, as 'module:attribute'")
    openapi.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")
    openapi.set_defaults(handler=_cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``covet`` command line and return its exit code.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when ``None``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already reported
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.version:
        print(f"covetpy {__version__}")
        return 0
    if args.command is None:
        parser.print_usage(sys.stderr)
        return _fail("a command is required: run or routes", EXIT_USAGE)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except MissingDependencyError as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except CommandError as exc:
        return _fail(str(exc), EXIT_USAGE)


def _fail(message: str, code: int) -> int:
    print(f"covet: error: {message}", file=sys.stderr)
    return code
