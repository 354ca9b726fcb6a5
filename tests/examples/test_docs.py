"""Every ```python block of the documentation site runs, and its asserts hold.

Each block is a complete small program (it builds an app and checks it with ``TestClient``),
run as a module of its own; a block written as a pytest module (it defines ``test_*``
functions) is run by pytest, in a subprocess, as a user would run it. A block may be left out
only when it cannot run, by putting ``<!-- no-test: why -->`` on the line before its fence;
the reason is required.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from covet import CovetPy, Router
from covet.routing import router as router_module

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"<!--\s*no-test:\s*(?P<why>\S.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Sample:
    page: Path
    line: int
    source: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"


def samples(page: Path) -> list[Sample]:
    """The python blocks of ``page``, with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        start = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        found.append(Sample(page, start, match.group(1), skip and skip.group("why")))
    return found


ALL = [sample for page in sorted(DOCS.rglob("*.md")) for sample in samples(page)]


def test_every_page_is_searched() -> None:
    pages = {sample.page.name for sample in ALL}
    assert {"index.md", "tutorial.md"} <= pages
    for page in DOCS.rglob("*.md"):  # a fence this module would not see
        assert not re.search(r"^[ \t]+```python", page.read_text(encoding="utf-8"), re.M), page


@pytest.mark.parametrize("sample", ALL, ids=lambda sample: sample.id)
def test_sample_runs(sample: Sample, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if sample.skip:
        pytest.skip(sample.skip)
    if re.search(r"^(async )?def test_", sample.source, re.MULTILINE):
        run_with_pytest(sample, tmp_path)
        return
    module = ModuleType(f"docs_sample_{abs(hash(sample.id))}")
    module.__file__ = str(sample.page)
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look it up
    # Blank lines before the block keep tracebacks pointing at the page's own line numbers.
    code = compile("\n" * sample.line + sample.source, str(sample.page), "exec")
    exec(code, module.__dict__)


def run_with_pytest(sample: Sample, folder: Path) -> None:
    """Run ``sample`` as the pytest module ``test_sample.py``; every test in it must pass."""
    (folder / "test_sample.py").write_text("\n" * sample.line + sample.source, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider"]
    # Only the plugin the async samples use: loading every installed one takes seconds.
    command += ["-p", "anyio.pytest_plugin", "test_sample.py"]
    environment = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        command, cwd=folder, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{sample.id}:\n{done.stdout}{done.stderr}"
    assert " passed" in done.stdout


LOGGERS = {"covet.access", "covet.error"}


def test_code_the_pages_name_exists() -> None:
    """``covet.x.y.name`` and ``covet/x/y.py`` in backticks name real code (request-flow.md)."""
    root = DOCS.parent
    missing = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for path in re.findall(r"`(covet/[\w/]+\.py)`", text):
            if not (root / path).is_file():
                missing.append(f"{page.name}: {path}")
        for dotted in re.findall(r"`(covet(?:\.\w+)+)", text):
            if dotted not in LOGGERS and not _resolves(dotted):
                missing.append(f"{page.name}: {dotted}")
    assert missing == [], "\n".join(missing)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


ROUTE_DECORATORS = [
    Router.route,
    CovetPy.route,
    *(getattr(Router, method) for method in ("get", "post", "put", "patch", "delete")),
    *(getattr(Router, method) for method in ("head", "options")),
]


@pytest.mark.parametrize("decorator", ROUTE_DECORATORS, ids=lambda d: d.__qualname__)
def test_route_decorators_list_every_option(decorator: object) -> None:
    """A new route option is named in each decorator's docstring (shortcuts.py, router.py)."""
    options = (router_module.ROUTE_OPTIONS | router_module._ROUTE_PARAMETERS) - {"methods"}
    doc = decorator.__doc__ or ""
    undocumented = [name for name in sorted(options) if f"``{name}``" not in doc]
    undocumented = [name for name in undocumented if f"{name}:" not in doc]
    assert undocumented == [], f"add them to the docstring of {decorator.__qualname__}"
