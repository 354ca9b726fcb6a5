"""The Makefile's bootstrap: a venv made by another Python is rebuilt; ``make run`` installs less.

Run against a copy of the Makefile in a temporary folder with a fake interpreter, so nothing is
installed: the fake answers the version question and makes a bare "venv".
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.optional import missing

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"

if shutil.which("make") is None:
    missing("make is not installed")

FAKE_PYTHON = """#!/bin/sh
# A stand-in interpreter: `-c CODE` prints its identity, `-m venv DIR` makes DIR/bin/python.
if [ "$1" = "-c" ]; then echo "{identity}"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
exit 1
"""


def fake_python(path: Path, identity: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FAKE_PYTHON.format(identity=identity))
    path.chmod(0o755)
    return path


def make(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(MAKEFILE, tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    return tmp_path


def test_a_venv_made_by_another_python_is_rebuilt(project: Path) -> None:
    fake_python(project / ".venv" / "bin" / "python", "3.11.7 /old/python")
    (project / ".venv" / "leftover").write_text("from the old venv")
    python = fake_python(project / "py" / "python3", "3.12.1 /new/python")

    output = make(project, ".venv/.python", f"PYTHON={python}")

    assert ".venv was made by Python 3.11.7 /old/python; rebuilding it" in output
    assert not (project / ".venv" / "leftover").exists()
    assert (project / ".venv" / ".python").read_text() == "3.12.1 /new/python\n"


def test_a_venv_of_the_same_python_is_kept(project: Path) -> None:
    python = fake_python(project / "py" / "python3", "3.12.1 /new/python")
    make(project, ".venv/.python", f"PYTHON={python}")
    (project / ".venv" / "kept").write_text("")
    stamp = (project / ".venv" / ".python").stat().st_mtime_ns

    assert "rebuilding" not in make(project, ".venv/.python", f"PYTHON={python}")
    assert (project / ".venv" / "kept").exists()
    assert (project / ".venv" / ".python").stat().st_mtime_ns == stamp

    (project / ".venv" / ".installed-run").touch()  # installed after the check: up to date
    assert make(project, ".venv/.installed-run", f"PYTHON={python}") == ""  # no pip run


def test_make_run_installs_the_server_and_database_extras_only(project: Path) -> None:
    python = fake_python(project / "py" / "python3", "3.12.1 /new/python")
    run = make(project, "-n", "run", f"PYTHON={python}")
    assert "-e '.[server,postgres,mysql]'" in run
    assert "[dev]" not in run
    assert "-e '.[dev]'" in make(project, "-n", "test", f"PYTHON={python}")
