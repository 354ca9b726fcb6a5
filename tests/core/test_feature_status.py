"""FEATURE_STATUS.md names tests that exist: a renamed or deleted proof fails here."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `tests/x.py`, `tests/x.py::test_name`, or `::test_name` (in the file named before it).
REFERENCE = re.compile(r"`((?:tests/[^`\s:]+)?)(?:::([A-Za-z0-9_*\[\]-]+))?`")


def test_every_test_the_table_names_exists() -> None:
    problems = []
    for number, line in enumerate((ROOT / "FEATURE_STATUS.md").read_text().splitlines(), 1):
        if not line.startswith("|"):
            continue
        current: Path | None = None
        for path, name in REFERENCE.findall(line):
            if path:
                current = ROOT / path
                if not current.exists():
                    problems.append(f"line {number}: {path} does not exist")
                    continue
            if not name or current is None or not current.is_file():
                continue
            tree = ast.parse(current.read_text())
            defined = [
                node.name
                for node in ast.walk(tree)
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            if not fnmatch.filter(defined, name.split("[", 1)[0]):
                problems.append(f"line {number}: {current.relative_to(ROOT)}::{name} not found")
    assert problems == []


def test_every_works_row_names_its_proof() -> None:
    unproven = []
    for number, line in enumerate((ROOT / "FEATURE_STATUS.md").read_text().splitlines(), 1):
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if not line.startswith("|") or len(cells) < 3 or not cells[1].startswith("works"):
            continue
        proof = cells[-1]
        if "tests/" not in proof and "(no test)" not in proof:
            unproven.append(f"line {number}: {cells[0][:60]}")
    assert unproven == [], "name the tests, or say the row is proven without one"
