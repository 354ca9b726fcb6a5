"""Every ```python block of the documentation site runs, and its asserts hold.

Each block is a complete small program (it builds an app and checks it with ``TestClient``),
run as a module of its own; a block written as a pytest module has its ``test_*`` functions
called. A block may be left out only when it cannot run, by putting
``<!-- no-test: why -->`` on the line before its fence; the reason is required.
"""

from __future__ import annotations

import re
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
    assert {"index.md"} <= pages
    for page in DOCS.rglob("*.md"):  # a fence this module would not see
        assert not re.search(r"^[ \t]+```python", page.read_text(encoding="utf-8"), re.M), page


@pytest.mark.parametrize("sample", ALL, ids=lambda sample: sample.id)
def test_sample_runs(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    if sample.skip:
        pytest.skip(sample.skip)
    module = ModuleType(f"docs_sample_{abs(hash(sample.id))}")
    module.__file__ = str(sample.page)
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look it up
    # Blank lines before the block keep tracebacks pointing at the page's own line numbers.
    code = compile("\n" * sample.line + sample.source, str(sample.page), "exec")
    exec(code, module.__dict__)
    for name, test in list(vars(module).items()):
        if name.startswith("test_") and callable(test):
            test()


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
