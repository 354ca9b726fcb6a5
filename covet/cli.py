"""The ``covet`` command line: serve an application, print its route table and document.

Usage::

    covet run examples.app:app --reload
    covet routes examples.app:app --verbose
    covet openapi examples.app:app
    covet --version

Servers are imported only inside ``covet run``, so the rest of the command line (and the
framework) works without them. Subsystems add command groups (``covet db ...``) with
:func:`register_command`, or from an installed distribution through the ``covet.commands``
entry-point group.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from covet import __version__
from covet._callables import callable_name
from covet._servers import serve_granian, serve_uvicorn
from covet.app import CovetPy
from covet.exceptions import ConfigurationError, CovetError, MissingDependencyError
from covet.routing import Route, Router, WebSocketRoute

SERVERS = ("uvicorn", "granian")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
EXIT_USAGE = 2
EXIT_FAILURE = 1


class CommandError(CovetError):
    """A command cannot go on; the message is printed on one line and the exit code is 2."""


class AppLoadError(CommandError):
    """A ``module:attribute`` import string does not lead to an ASGI application."""


class AppBuildError(CovetError):
    """The application cannot be built (a handler cannot be planned, ...); exit code 1."""


# -- command groups added by subsystems ---------------------------------------------------------

Handler = Callable[[argparse.Namespace], int]
"""What a command runs: it receives the parsed arguments and returns the exit code."""


@dataclass(frozen=True)
class Command:
    """A command (or command group) of the ``covet`` command line.

    Attributes:
        name: The word after ``covet`` (``"db"`` for ``covet db ...``).
        help: One line for ``covet --help``.
        configure: Called with the command's own ``argparse`` parser: it adds arguments (or
            sub-commands) and sets ``handler=`` defaults (``parser.set_defaults(handler=f)``)
            where ``f(args) -> int`` runs the command.
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]


_BUILTIN = ("run", "routes", "openapi")
_registered: dict[str, Command] = {}
ENTRY_POINT_GROUP = "covet.commands"


def register_command(command: Command) -> None:
    """Add a command group to ``covet`` (e.g. ``covet db upgrade``), without editing cli.py.

    Installed distributions can do the same without being imported first: an entry point in
    the ``covet.commands`` group naming a :class:`Command` (its name is the entry point's).

    Raises:
        ConfigurationError: The name is taken (a built-in command or one registered before).
    """
    if command.name in _BUILTIN or command.name in _registered:
        raise ConfigurationError(f"A covet command named {command.name!r} already exists.")
    _registered[command.name] = command


def unregister_command(name: str) -> None:
    """Remove a command added with :func:`register_command` (tests, plugins that unload)."""
    _registered.pop(name, None)


def _entry_point_commands() -> list[Command]:
    found: list[Command] = []
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in _BUILTIN or entry.name in _registered:
            continue
        try:
            command = entry.load()
        except Exception as exc:  # one broken plugin must not break every covet command
            _warn(f"command {entry.name!r} ({entry.value}) failed to load: {_one_line(exc)}")
            continue
        if not isinstance(command, Command):
            _warn(f"command {entry.name!r} ({entry.value}) is not a covet.cli.Command")
            continue
        found.append(Command(entry.name, command.help, command.configure))
    return found


def _warn(message: str) -> None:
    print(f"covet: warning: {message}", file=sys.stderr)


# -- loading the application ----------------------------------------------------------------


def load_object(import_string: str) -> tuple[types.ModuleType, Any]:
    """Import ``module:attribute`` and return the module and the (dotted) attribute.

    Commands of subsystems (``covet db``) use it to find what an import string names; the
    current directory is made importable first, as for every command.

    Raises:
        AppLoadError: The string is malformed, the module does not exist or failed to import
            with an ImportError, or the attribute is missing.
    """
    _add_cwd_to_path()
    module_name, attribute = _split_import_string(import_string)
    module = _import_module(module_name)
    found: Any = module
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise AppLoadError(
                f"Module {module_name!r} has no attribute {attribute!r} "
                f"(import string {import_string!r})."
            ) from None
    return module, found


def load_app(import_string: str) -> Any:
    """Import ``module:attribute`` and return the ASGI application it names.

    The attribute may be dotted (``module:container.app``).

    Raises:
        AppLoadError: The string is malformed, the module does not exist or failed to import
            with an ImportError, the attribute is missing, or it is not callable.
    """
    _module, app = load_object(import_string)
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


def build_app(app: Any) -> None:
    """Plan every route and build the middleware stack now, mounted apps included.

    The server would otherwise do it at the first request or at start-up, printing a long
    traceback around the one line that matters.

    Raises:
        AppBuildError: Building failed (a handler cannot be planned, a bad setting, ...);
            the message is the error on one line.
    """
    try:
        if isinstance(app, CovetPy):
            app.build()
        elif isinstance(app, Router):
            app.compile()
    except Exception as exc:
        raise AppBuildError(f"Building {_describe(app)} failed: {_one_line(exc)}") from exc
    router = _router_of(app)
    for mount in router.mounts if router is not None else ():
        build_app(mount.app)


def _add_cwd_to_path() -> None:
    """Make modules in the current directory importable, as ``uvicorn`` does."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


# -- covet routes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteRow:
    """One line of the route table; ``runner`` is what serves it (for ``--verbose``)."""

    methods: str
    path: str
    name: str
    handler: str
    runner: str = "-"


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
        rows.append(
            RouteRow(
                methods, prefix + route.path, route.name, route.handler_name, _runner(route.app)
            )
        )
    for mount in router.mounts:
        path = prefix + mount.path
        rows.append(RouteRow("MOUNT", path or "/", mount.name or "-", _describe(mount.app)))
        if _router_of(mount.app) is not None:
            rows.extend(route_rows(mount.app, path))
    return sorted(rows, key=lambda row: (row.path, row.methods))


def format_table(rows: list[RouteRow], *, verbose: bool = False) -> list[str]:
    """Render rows under a ``METHODS PATH NAME HANDLER`` header, columns aligned.

    With ``verbose``, a ``RUNNER`` column names what serves each route: its route
    middleware, outermost first, then the runner chosen when the handler was planned.
    """
    table = [("METHODS", "PATH", "NAME", "HANDLER", *(("RUNNER",) if verbose else ()))]
    table += [
        (row.methods, row.path, row.name, row.handler, *((row.runner,) if verbose else ()))
        for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]


def _runner(app: Any) -> str:
    """``Middleware > ... > runner`` for a compiled route's ASGI app (``-`` if not built)."""
    chain: list[str] = []
    while app is not None and len(chain) < 50:
        if isinstance(app, types.FunctionType | types.MethodType):
            chain.append(app.__name__)
            break
        chain.append(type(app).__name__)
        app = getattr(app, "app", None)
    return " > ".join(chain) or "-"


def matcher_source(app: Any) -> str:
    """The generated source of the router's path matcher (what ``--matcher-source`` prints)."""
    router = _router_of(app)
    if router is None:
        raise CommandError(f"{_describe(app)} is not a CovetPy application or Router.")
    sources = router.matcher_sources
    if not sources:
        return "# No generated matcher: every path is static, or the table is too deep.\n"
    return "\n".join(sources)


def _router_of(app: Any) -> Router | None:
    if isinstance(app, Router):
        return app
    router = getattr(app, "router", None)
    return router if isinstance(router, Router) else None


def _describe(obj: Any) -> str:
    return callable_name(obj if isinstance(obj, type | types.FunctionType) else type(obj))


def _cmd_routes(args: argparse.Namespace) -> int:
    _add_cwd_to_path()
    app = load_app(args.app)
    rows = route_rows(app)  # refuses a non-CovetPy app before building anything
    build_app(app)
    if args.matcher_source:
        print(matcher_source(app), end="")
        return 0
    for line in format_table(route_rows(app), verbose=args.verbose):
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
    build_app(app)
    try:
        text = json.dumps(document(), indent=args.indent, ensure_ascii=False)
    except Exception as exc:
        raise AppBuildError(f"Generating the OpenAPI document failed: {_one_line(exc)}") from exc
    print(text)
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
    app = load_app(args.app)
    build_app(app)
    if args.server == "granian":
        serve_granian(args)
        return 0
    return 0 if serve_uvicorn(args, app) else EXIT_FAILURE


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
    """Build the ``covet`` argument parser: ``run``, ``routes``, ``openapi`` and the
    commands subsystems registered (:func:`register_command`, ``covet.commands``)."""
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
    routes.add_argument(
        "--verbose", "-v", action="store_true", help="also show what serves each route"
    )
    routes.add_argument(
        "--matcher-source",
        action="store_true",
        help="print the generated source of the path matcher instead of the table",
    )
    routes.set_defaults(handler=_cmd_routes)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document of an application")
    openapi.add_argument("app", help="the application, as 'module:attribute'")
    openapi.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")
    openapi.set_defaults(handler=_cmd_openapi)

    for command in [*_registered.values(), *_entry_point_commands()]:
        group = commands.add_parser(command.name, help=command.help)
        group.set_defaults(group_parser=group)
        command.configure(group)
    parser.set_defaults(command_names=", ".join(commands.choices))
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
        parser.print_help(sys.stderr)
        return _fail(f"a command is required: {args.command_names}", EXIT_USAGE)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # a command group called without one of its sub-commands
        args.group_parser.print_help(sys.stderr)
        return _fail(f"'covet {args.command}' needs a sub-command", EXIT_USAGE)
    try:
        return handler(args)
    except (MissingDependencyError, AppBuildError) as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except CommandError as exc:
        return _fail(str(exc), EXIT_USAGE)


def _fail(message: str, code: int) -> int:
    print(f"covet: error: {message}", file=sys.stderr)
    return code
