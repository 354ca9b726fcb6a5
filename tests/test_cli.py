"""The ``covet`` command line: version, route table, import errors and real servers."""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from covet import __version__
from covet.cli import Command, load_app, main, register_command, unregister_command
from tests.support.optional import require
from tests.support.servers import REPO_ROOT, answers_http, free_port, running_server


@pytest.fixture(autouse=True)
def _isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run from the repo root; undo the CLI's sys.path change and forget imported modules."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("cli_sample_"):
            del sys.modules[name]


@pytest.fixture
def write_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """Write ``name.py`` into an importable temporary directory."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))

    return write


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- version and usage ----------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--version")
    assert code == 0
    assert out == f"covetpy {__version__}\n"
    assert err == ""


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys)
    assert code == 2
    assert "a command is required" in err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0
    assert "--workers" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "examples.hello:app", "--port", "70000"],
        ["run", "examples.hello:app", "--workers", "0"],
        ["run", "examples.hello:app", "--server", "daphne"],
    ],
    ids=["port-out-of-range", "zero-workers", "unknown-server"],
)
def test_bad_run_options(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert "error:" in err


def test_reload_with_workers_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "examples.hello:app", "--reload", "--workers", "2")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "--reload cannot be combined with --workers" in err


# -- covet routes ---------------------------------------------------------------------------


def test_routes_of_the_quick_start_app(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "routes", "examples.hello:app")
    assert code == 0, err
    assert out.splitlines() == [
        "METHODS  PATH           NAME         HANDLER",
        "GET      /              hello_world  examples.hello.hello_world",
        "GET      /hello/{name}  greet_user   examples.hello.greet_user",
    ]


def test_routes_lists_routers_websockets_and_mounts(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None]
) -> None:
    write_module(
        "cli_sample_routes",
        """
        from covet import CovetPy, Router, WebSocket

        app = CovetPy()
        users = Router()
        admin = CovetPy()


        @app.get("/zeta")
        async def zeta() -> dict[str, str]:
            return {}


        @users.route("/users/{user_id:int}", methods=["PUT", "DELETE"], name="user")
        async def change_user(user_id: int) -> None:
            return None


        @app.websocket("/chat")
        async def chat(websocket: WebSocket) -> None:
            return None


        @admin.get("/stats")
        async def stats() -> dict[str, str]:
            return {}


        async def raw_asgi(scope: object, receive: object, send: object) -> None:
            return None


        app.include_router(users, prefix="/api")
        app.mount("/admin", admin, name="admin")
        app.mount("/raw", raw_asgi)
        """,
    )
    code, out, err = run_cli(capsys, "routes", "cli_sample_routes:app")
    assert code == 0, err
    assert out.splitlines() == [
        "METHODS     PATH                      NAME   HANDLER",
        "MOUNT       /admin                    admin  covet.app.CovetPy",
        "GET         /admin/stats              stats  cli_sample_routes.stats",
        "DELETE,PUT  /api/users/{user_id:int}  user   cli_sample_routes.change_user",
        "WS          /chat                     chat   cli_sample_routes.chat",
        "MOUNT       /raw                      -      cli_sample_routes.raw_asgi",
        "GET         /zeta                     zeta   cli_sample_routes.zeta",
    ]


def test_routes_of_an_empty_app(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None]
) -> None:
    write_module("cli_sample_empty", "from covet import CovetPy\napp = CovetPy()\n")
    code, out, _ = run_cli(capsys, "routes", "cli_sample_empty:app")
    assert code == 0
    assert out.splitlines() == ["METHODS  PATH  NAME  HANDLER", "(no routes)"]


def test_routes_needs_a_covet_app(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None]
) -> None:
    write_module(
        "cli_sample_plain",
        "async def app(scope: object, receive: object, send: object) -> None:\n    return None\n",
    )
    code, out, err = run_cli(capsys, "routes", "cli_sample_plain:app")
    assert code == 2
    assert out == ""
    assert err == (
        "covet: error: cli_sample_plain.app is not a CovetPy application or Router, "
        "so it has no route table.\n"
    )


# -- import string errors -------------------------------------------------------------------

BROKEN_MODULES = {
    "cli_sample_bad_import": "from covet import DoesNotExist\napp = None\n",
    "cli_sample_missing_dep": "import cli_sample_no_such_dependency\napp = None\n",
    "cli_sample_not_callable": "app = 42\n",
}


@pytest.mark.parametrize(
    ("import_string", "message"),
    [
        ("examples.hello", "Import string 'examples.hello' has no colon"),
        ("examples.hello:", "must look like 'package.module:attribute'"),
        ("examples/hello.py:app", "must look like 'package.module:attribute'"),
        ("cli_sample_nowhere:app", "Module 'cli_sample_nowhere' not found in "),
        ("cli_sample_nopkg.sub:app", "(there is no 'cli_sample_nopkg')"),
        (
            "cli_sample_bad_import:app",
            "Importing module 'cli_sample_bad_import' failed: ImportError: cannot import name "
            "'DoesNotExist' from 'covet'",
        ),
        (
            "cli_sample_missing_dep:app",
            "Importing module 'cli_sample_missing_dep' failed: ModuleNotFoundError: "
            "No module named 'cli_sample_no_such_dependency'",
        ),
        ("examples.hello:application", "Module 'examples.hello' has no attribute 'application'"),
        ("examples.hello:app.nothing", "has no attribute 'app.nothing'"),
        (
            "cli_sample_not_callable:app",
            "'cli_sample_not_callable:app' is not an ASGI application: it is a int",
        ),
    ],
    ids=[
        "no-colon",
        "empty-attribute",
        "file-path",
        "module-not-found",
        "package-not-found",
        "import-error-inside",
        "missing-dependency-inside",
        "no-attribute",
        "no-nested-attribute",
        "not-callable",
    ],
)
@pytest.mark.parametrize("command", ["routes", "run"])
def test_bad_import_string(
    capsys: pytest.CaptureFixture[str],
    write_module: Callable[[str, str], None],
    command: str,
    import_string: str,
    message: str,
) -> None:
    for name, source in BROKEN_MODULES.items():
        write_module(name, source)
    code, out, err = run_cli(capsys, command, import_string)
    assert code == 2
    assert out == ""
    assert err.startswith("covet: error: ")
    assert err.count("\n") == 1, "one line, no traceback"
    assert message in err


def test_load_app_returns_the_app_and_resolves_dotted_attributes(
    write_module: Callable[[str, str], None],
) -> None:
    write_module(
        "cli_sample_nested",
        """
        from covet import CovetPy


        class Holder:
            app = CovetPy()
        """,
    )
    loaded = load_app("cli_sample_nested:Holder.app")
    assert loaded is sys.modules["cli_sample_nested"].Holder.app


def test_missing_server_prints_the_install_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes the import fail as if uvicorn were not installed.
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    code, _, err = run_cli(capsys, "run", "examples.hello:app")
    assert code == 1
    assert "pip install 'covetpy[server]'" in err


def test_run_hands_the_import_string_and_options_to_uvicorn(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uvicorn = require("uvicorn")
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    argv = ["run", "examples.hello:app", "--port", "9001", "--workers", "3"]
    code, _, err = run_cli(capsys, *argv, "--root-path", "/api", "--log-level", "debug")
    assert code == 0, err
    [(app, options)] = calls
    assert app == "examples.hello:app"
    assert options["host"] == "127.0.0.1"
    assert options["port"] == 9001
    assert options["workers"] == 3
    assert options["reload"] is False
    assert options["root_path"] == "/api"
    assert options["log_level"] == "debug"
    assert options["log_config"]["loggers"]["covet"]["level"] == "DEBUG"
    assert str(REPO_ROOT) in sys.path


# -- real servers ---------------------------------------------------------------------------


def get_json(url: str) -> Any:
    """GET ``url`` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.e2e
@pytest.mark.parametrize("server_name", ["uvicorn", "granian"])
def test_run_serves_the_app_over_http(server_name: str, tmp_path: Path) -> None:
    require(server_name)
    port = free_port()
    argv = [sys.executable, "-m", "covet", "run", "examples.hello:app", "--port", str(port)]
    with running_server(
        [*argv, "--server", server_name],
        port=port,
        log_path=tmp_path / "server.log",
        ready=answers_http,
        timeout=30,
    ):
        url = f"http://127.0.0.1:{port}/hello/Ann"
        assert get_json(url) == {"greeting": "Hello, Ann!"}


def test_openapi_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, err = run_cli(capsys, "openapi", "examples.hello:app")
    assert code == 0, err
    document = json.loads(out)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/", "/hello/{name}"}
    assert document["paths"]["/hello/{name}"]["get"]["operationId"] == "greet_user"


def test_openapi_needs_a_covet_app(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None]
) -> None:
    write_module("cli_sample_raw", "async def app(scope, receive, send):\n    pass\n")
    code, _, err = run_cli(capsys, "openapi", "cli_sample_raw:app")
    assert code == 2
    assert "no OpenAPI" in err


# -- an application that cannot be built: one line, non-zero ----------------------------------

UNPLANNABLE = """
from covet import CovetPy

app = CovetPy()


@app.get("/items/{item_id}")
async def read_item(item_id: int, tags: dict[str, int] = {}) -> int:
    return item_id


@app.websocket("/ws")
async def chat(socket: object) -> None:
    return None
"""


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 1
    assert len(err.splitlines()) == 1, err
    assert err.startswith("covet: error: Building covet.app.CovetPy failed: ConfigurationError:")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv", [["routes"], ["routes", "--verbose"], ["openapi"]], ids=["routes", "verbose", "openapi"]
)
def test_an_app_that_cannot_be_planned_is_one_line_and_non_zero(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None], argv: list[str]
) -> None:
    write_module("cli_sample_unplannable", UNPLANNABLE)
    code, out, err = run_cli(capsys, *argv, "cli_sample_unplannable:app")
    assert_one_line_error(code, err)
    assert out == ""


def test_run_builds_the_app_before_starting_the_server(
    capsys: pytest.CaptureFixture[str],
    write_module: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uvicorn = require("uvicorn")
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(app))
    write_module("cli_sample_unplannable", UNPLANNABLE)
    code, _, err = run_cli(capsys, "run", "cli_sample_unplannable:app")
    assert_one_line_error(code, err)
    assert calls == []  # the server never started


def test_covet_run_of_an_unplannable_app_prints_one_line(tmp_path: Path) -> None:
    (tmp_path / "cli_sample_unplannable.py").write_text(UNPLANNABLE)
    result = subprocess.run(
        [sys.executable, "-m", "covet", "run", "cli_sample_unplannable:app"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert_one_line_error(result.returncode, result.stderr)


def test_no_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys)
    assert code == 2
    assert "a command is required: run, routes, openapi" in err
    for command in ("run", "routes", "openapi"):
        assert f"    {command} " in err  # the help's command list


# -- covet routes --verbose and --matcher-source -----------------------------------------------

VERBOSE_APP = """
from covet import CovetPy, Request


class Timing:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


app = CovetPy()


@app.get("/health")
async def health():
    return "ok"


@app.get("/users/{user_id:int}", middleware=[(Timing, {})])
async def user(user_id: int, request: Request, q: str = ""):
    return user_id
"""


def test_routes_verbose_shows_what_serves_each_route(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None]
) -> None:
    write_module("cli_sample_verbose", VERBOSE_APP)
    code, out, err = run_cli(capsys, "routes", "cli_sample_verbose:app", "--verbose")
    assert code == 0, err
    header, health, user = out.splitlines()
    assert header.split() == ["METHODS", "PATH", "NAME", "HANDLER", "RUNNER"]
    assert health.split()[-1] == "run_direct"
    assert user.split()[-3:] == ["Timing", ">", "run_planned"]


def test_routes_matcher_source_prints_the_generated_matcher(
    capsys: pytest.CaptureFixture[str], write_module: Callable[[str, str], None]
) -> None:
    write_module("cli_sample_verbose", VERBOSE_APP)
    code, out, err = run_cli(capsys, "routes", "cli_sample_verbose:app", "--matcher-source")
    assert code == 0, err
    assert "def match(path):" in out
    assert "if s0 == 'users':" in out
    compile(out, "<matcher>", "exec")  # what is printed is the valid Python that runs


# -- command groups from subsystems -------------------------------------------------------------


def configure_db(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND")
    upgrade = commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--to", default="head")
    upgrade.set_defaults(handler=lambda args: print(f"upgrading to {args.to}") or 0)


DB_COMMAND = Command("db", "manage the database", configure_db)


@pytest.fixture
def db_command() -> Iterator[None]:
    register_command(DB_COMMAND)
    yield
    unregister_command("db")


def test_a_registered_command_group_runs(
    capsys: pytest.CaptureFixture[str], db_command: None
) -> None:
    code, out, err = run_cli(capsys, "db", "upgrade", "--to", "0042")
    assert (code, out, err) == (0, "upgrading to 0042\n", "")


def test_a_registered_group_is_listed_and_needs_a_sub_command(
    capsys: pytest.CaptureFixture[str], db_command: None
) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    assert "manage the database" in out
    code, _, err = run_cli(capsys, "db")
    assert code == 2
    assert "upgrade" in err
    assert "'covet db' needs a sub-command" in err
    code, _, err = run_cli(capsys)
    assert "a command is required: run, routes, openapi, db" in err


def test_command_names_cannot_be_taken_twice(db_command: None) -> None:
    from covet import ConfigurationError

    with pytest.raises(ConfigurationError, match="'db' already exists"):
        register_command(DB_COMMAND)
    with pytest.raises(ConfigurationError, match="'routes' already exists"):
        register_command(Command("routes", "mine", configure_db))


WORKER_COMMAND = Command(
    "ignored",  # an entry point's name is the command's name
    "run background jobs",
    lambda parser: parser.set_defaults(handler=lambda args: print("working") or 0),
)


def test_an_installed_distribution_adds_a_command_through_an_entry_point(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "covet.commands"
    points = [
        importlib.metadata.EntryPoint("worker", "tests.test_cli:WORKER_COMMAND", group),
        importlib.metadata.EntryPoint("broken", "tests.no_such_module:COMMAND", group),
    ]
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group: points if group == "covet.commands" else [],
    )
    code, out, err = run_cli(capsys, "worker")
    assert (code, out) == (0, "working\n")
    # A plugin that fails to load is named on one line; the other commands keep working.
    assert err.splitlines() == [
        "covet: warning: command 'broken' (tests.no_such_module:COMMAND) failed to load: "
        "ModuleNotFoundError: No module named 'tests.no_such_module'"
    ]


LONG_POLL_APP = """
from covet import CovetPy, Request

app = CovetPy()


@app.get("/")
async def home():
    return "up"


@app.get("/poll")
async def poll(request: Request):
    await request.app.shutting_down
    return "drained"
"""


@pytest.mark.e2e
def test_covet_run_drains_long_polls_when_asked_to_stop(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    (tmp_path / "cli_sample_long_poll.py").write_text(LONG_POLL_APP)
    port = free_port()
    argv = [sys.executable, "-m", "covet", "run", "cli_sample_long_poll:app", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    answers: list[Any] = []
    with running_server(
        argv, port=port, env=env, log_path=tmp_path / "server.log", ready=answers_http
    ) as server:
        poller = threading.Thread(
            target=lambda: answers.append(get_json(f"http://127.0.0.1:{port}/poll"))
        )
        poller.start()
        time.sleep(0.3)  # the poll is waiting inside the handler
        assert answers == []
        server.send_signal(signal.SIGTERM)
        # Without the early signal, uvicorn would wait for this connection forever.
        poller.join(timeout=10)
        assert answers == ["drained"]
        assert server.wait(timeout=10) in (0, -signal.SIGTERM)


FAILING_STARTUP_APP = """
from contextlib import asynccontextmanager
from covet import CovetPy


@asynccontextmanager
async def lifespan(app):
    raise RuntimeError("database unreachable")
    yield


app = CovetPy(lifespan=lifespan)
"""


@pytest.mark.e2e
def test_covet_run_exits_non_zero_when_the_start_up_fails(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    (tmp_path / "cli_sample_failing.py").write_text(FAILING_STARTUP_APP)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "covet",
            "run",
            "cli_sample_failing:app",
            "--port",
            str(free_port()),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode != 0  # uvicorn's own start-up failure code (3) or covet's 1
    assert "database unreachable" in result.stderr


PROXIED_APP = """
from covet import CovetPy, Request
from covet.middleware import ProxyHeadersMiddleware

app = CovetPy()
app.add_middleware(ProxyHeadersMiddleware)


@app.get("/whoami")
async def whoami(request: Request):
    return {"client": request.client.host, "url": str(request.url)}


plain = CovetPy()
plain.get("/whoami")(whoami)
"""

FORWARDED = {
    "X-Forwarded-For": "6.6.6.6, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "shop.example.org",
}


@pytest.mark.e2e
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
@pytest.mark.parametrize("attribute", ["app", "plain"])
def test_covet_run_leaves_proxy_headers_to_the_app(
    tmp_path: Path, server: str, attribute: str
) -> None:
    """One policy, the app's: the server never rewrites the client from forwarded headers.

    With ``ProxyHeadersMiddleware`` the forwarded client, scheme and host all apply (had
    uvicorn applied X-Forwarded-For first, the middleware would see an untrusted peer and
    drop X-Forwarded-Host); without it, forwarded headers change nothing on either server.
    """
    require(server)
    (tmp_path / "cli_sample_proxied.py").write_text(PROXIED_APP)
    port = free_port()
    argv = [
        *(sys.executable, "-m", "covet", "run", f"cli_sample_proxied:{attribute}"),
        *("--port", str(port), "--server", server, "--log-level", "warning"),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    ready = functools.partial(answers_http, path="/whoami")
    with running_server(argv, port=port, env=env, log_path=tmp_path / "server.log", ready=ready):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/whoami", headers=FORWARDED)
        with urllib.request.urlopen(request, timeout=10) as response:
            seen = json.loads(response.read())
    if attribute == "app":
        assert seen == {"client": "203.0.113.9", "url": "https://shop.example.org/whoami"}
    else:
        assert seen == {"client": "127.0.0.1", "url": f"http://127.0.0.1:{port}/whoami"}
