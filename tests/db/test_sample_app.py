"""The issue's sample app, as docs/data.md shows it, runs on every backend as written."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import BACKENDS, close_namespace, open_namespace

pytestmark = pytest.mark.anyio

PAGE = Path(__file__).resolve().parents[2] / "docs" / "data.md"
SQLITE_URL = '"sqlite+aiosqlite:///app.db"'


def first_sample() -> str:
    found = re.search(r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.M | re.S)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_first_app_of_the_data_page_runs(backend: str, tmp_path: Path) -> None:
    source = first_sample()
    assert SQLITE_URL in source
    namespace = await open_namespace(backend, tmp_path, url_only=True)
    try:
        if backend != "sqlite":
            source = source.replace(SQLITE_URL, repr(namespace.url))
        (tmp_path / "test_sample.py").write_text(source, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider"]
        done = await asyncio.to_thread(
            subprocess.run,
            [*command, "test_sample.py"],
            cwd=tmp_path,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        await close_namespace(namespace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
