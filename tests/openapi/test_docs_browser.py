"""Swagger UI (/docs) and ReDoc (/redoc) rendered by a real headless Chromium, offline.

A uvicorn subprocess serves ``app`` below; Debian's ``chromium`` loads the page and the test
reads the operations the page's JavaScript rendered. The static HTML shell holds none of them,
so these tests only pass if the packaged assets load, run, fetch /openapi.json and render it.

Chromium is driven over the DevTools protocol (a websocket) rather than ``--dump-dom``: the test
waits for the operations to appear instead of guessing a virtual-time budget, sees every request
the page makes (it must make none outside the app's origin) and every uncaught JS exception.

``make test`` installs chromium when run as root on Debian; elsewhere the tests skip, except
under ``CI=true``, where a missing chromium fails them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from covet import CovetPy
from covet.middleware import SecurityHeadersMiddleware
from tests.support.optional import missing
from tests.support.servers import answers_http, free_port, running_server

pytestmark = pytest.mark.e2e

MODULE = "tests.openapi.test_docs_browser"
BROWSER_TIMEOUT = 15.0  # start Chromium, load the page, render: well under the 30 s budget
# Every host name but 127.0.0.1 fails to resolve, so nothing can leave the machine even if the
# page or Chromium tried; requests the page makes are asserted on separately.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-first-run",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)

# -- the application under test (uvicorn imports it from this module) ------------------------


def make_shop(*, secured: bool = False) -> CovetPy:
    """The shop the pages document; ``secured`` adds the default security headers."""
    shop = CovetPy(title="Browser Shop")
    if secured:
        # The default CSP allows no inline script or style: the docs pages send their own.
        shop.add_middleware(SecurityHeadersMiddleware)

    @shop.get("/items/{item_id:int}")
    async def read_item(item_id: int) -> dict[str, int]:
        """Read one item by its id."""
        return {"id": item_id}

    @shop.post("/items")
    async def create_item(item: dict[str, Any]) -> dict[str, Any]:
        """Create an item from a JSON body."""
        return item

    @shop.delete("/items/{item_id:int}")
    async def delete_item(item_id: int) -> None:
        """Delete an item."""

    return shop


app = make_shop()
secured_app = make_shop(secured=True)

OPERATIONS = [
    ("DELETE", "/items/{item_id}", "Delete an item."),
    ("GET", "/items/{item_id}", "Read one item by its id."),
    ("POST", "/items", "Create an item from a JSON body."),
]

# -- what each page renders: [method, path, summary] per operation, read from the live DOM -----

SWAGGER_OPERATIONS = """
Array.from(document.querySelectorAll("#swagger-ui .opblock"), (block) => [
  block.querySelector(".opblock-summary-method")?.textContent,
  block.querySelector(".opblock-summary-path")?.dataset.path,
  block.querySelector(".opblock-summary-description")?.textContent,
])
"""
REDOC_OPERATIONS = """
Array.from(document.querySelectorAll('[id^="operation/"]'), (operation) => {
  const verb = operation.querySelector(".http-verb");
  return [
    verb?.textContent.toUpperCase(),
    verb?.nextElementSibling?.textContent,
    operation.querySelector("h2")?.textContent.trim(),
  ];
})
"""


@dataclass
class Page:
    """One browser tab driven over CDP: send commands, keep the events that arrive meanwhile."""

    ws: ClientConnection
    deadline: float
    events: list[dict[str, Any]] = field(default_factory=list)
    _last_id: int = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a CDP command and return its result, failing the test on an error or timeout."""
        self._last_id += 1
        self.ws.send(json.dumps({"id": self._last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=self._left()))
            if message.get("id") == self._last_id:
                if "error" in message:
                    pytest.fail(f"CDP {method} failed: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """Return the JSON value of a JavaScript expression evaluated in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            pytest.fail(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def requested_urls(self) -> list[str]:
        """Every URL the page requested so far, but those the browser blocked (CSP, say)."""
        blocked = {
            event["params"]["requestId"]
            for event in self.events
            if event.get("method") == "Network.loadingFailed"
            and event["params"].get("blockedReason")
        }
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
            and event["params"]["requestId"] not in blocked
        ]

    def exceptions(self) -> list[str]:
        """Every uncaught JavaScript exception so far."""
        return [
            json.dumps(event["params"]["exceptionDetails"])
            for event in self.events
            if event.get("method") == "Runtime.exceptionThrown"
        ]

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"Chromium did not answer within {BROWSER_TIMEOUT} s")
        return left


@pytest.fixture(scope="module")
def chromium() -> str:
    """The chromium executable; a skip without it, or a failure on CI (CI=true)."""
    path = shutil.which("chromium")
    if path is None:
        missing("chromium is not installed (`make test` as root installs Debian's chromium)")
    return path


@pytest.fixture(scope="module", params=["app", "secured_app"], ids=["plain", "secured"])
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A uvicorn subprocess serving ``app``, or ``secured_app`` (with security headers)."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", f"{MODULE}:{request.param}", "--port", str(port)]
    argv += ["--host", "127.0.0.1", "--log-level", "warning"]
    log = tmp_path_factory.mktemp("docs-server") / "server.log"
    with running_server(argv, port=port, log_path=log, ready=answers_http):
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Visit:
    """What one page did in the browser: the operations it rendered and the URLs it requested."""

    url: str
    asset: str
    operations: list[list[str]]
    requested: list[str]
    exceptions: list[str]


PAGES = {
    "/docs": (SWAGGER_OPERATIONS, "swagger-ui-bundle.js"),
    "/redoc": (REDOC_OPERATIONS, "redoc.standalone.js"),
}


@pytest.fixture(scope="module", params=list(PAGES), ids=["swagger", "redoc"])
def visit(
    request: pytest.FixtureRequest,
    chromium: str,
    base_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Visit:
    """Load the page in a fresh headless Chromium and record what it rendered and requested."""
    path: str = request.param
    expression, asset = PAGES[path]
    with open_page(chromium, tmp_path_factory.mktemp("chromium")) as page:
        operations = render(page, base_url + path, expression)
        return Visit(base_url, asset, operations, page.requested_urls(), page.exceptions())


@contextlib.contextmanager
def open_page(chromium: str, tmp_path: Path) -> Iterator[Page]:
    """Start Chromium (own profile, its log in ``tmp_path``) and connect to its blank tab."""
    profile = tmp_path / "profile"
    log_path = tmp_path / "chromium.log"
    argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
    deadline = time.monotonic() + BROWSER_TIMEOUT
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        port = _devtools_port(process, profile / "DevToolsActivePort", deadline, log_path)
        with connect(_tab_websocket(port), open_timeout=5, max_size=None) as ws:
            yield Page(ws, deadline)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _devtools_port(
    process: subprocess.Popen[bytes], port_file: Path, deadline: float, log_path: Path
) -> int:
    # Chromium writes the port it picked (--remote-debugging-port=0) to this file once listening;
    # it may be read half-written, hence IndexError and ValueError.
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, IndexError, ValueError):
            return int(port_file.read_text().split()[0])
        if process.poll() is not None:
            pytest.fail(f"chromium exited with {process.returncode}:\n{log_path.read_text()}")
        time.sleep(0.05)
    pytest.fail(f"chromium opened no DevTools port:\n{log_path.read_text()}")


def _tab_websocket(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
        targets = json.load(response)
    url: str = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
    return url


def render(page: Page, url: str, expression: str) -> list[list[str]]:
    """Open ``url`` and poll ``expression`` until it lists :data:`OPERATIONS` or time is up."""
    expected = sorted(list(operation) for operation in OPERATIONS)
    page.call("Network.enable")
    page.call("Runtime.enable")
    page.call("Page.navigate", url=url)
    rendered: list[list[str]] = []
    while time.monotonic() < page.deadline - 1:
        rendered = sorted(page.evaluate(expression) or [])
        if rendered == expected:
            break
        time.sleep(0.1)
    time.sleep(0.5)  # requests the render set off last (images, fonts) reach the events too
    page.evaluate("0")
    return rendered


def test_page_renders_every_operation(visit: Visit) -> None:
    assert visit.operations == sorted(list(operation) for operation in OPERATIONS)


def test_page_loads_its_script_and_the_document_from_the_app_without_errors(
    visit: Visit,
) -> None:
    assert f"{visit.url}/docs-assets/{visit.asset}" in visit.requested
    assert f"{visit.url}/openapi.json" in visit.requested
    assert visit.exceptions == []


def test_page_requests_nothing_outside_the_app(visit: Visit) -> None:
    # data: and blob: URLs (inline images, generated downloads) never touch the network.
    local = (visit.url + "/", "data:", "blob:")

    assert [url for url in visit.requested if not url.startswith(local)] == []
