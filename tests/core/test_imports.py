"""The core imports nothing outside the standard library."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent(
    """
    import sys
    import importlib.abc

    ALLOWED_THIRD_PARTY = set()

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top in sys.stdlib_module_names or top == "covet" or top.startswith("_"):
                return None
            raise ImportError(f"third-party import blocked: {name}")

    sys.meta_path.insert(0, Block())
    import covet
    import covet.routing, covet.middleware, covet.responses, covet.forms, covet.websockets
    import covet.encoders
    from covet import CovetPy

    app = CovetPy()

    @app.get("/")
    async def index():
        return {"ok": True}

    app.build()
    loaded = sorted(
        m for m in sys.modules
        if m.partition(".")[0] not in sys.stdlib_module_names
        and not m.startswith(("covet", "_"))
    )
    print("LOADED:" + ",".join(loaded))
    """
)


def test_core_imports_only_the_standard_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip().removeprefix("LOADED:")
    assert loaded == ""
    for name in ("sqlalchemy", "redis", "graphql", "pydantic", "msgspec", "httpx", "orjson"):
        assert name not in loaded


def test_public_api_is_curated() -> None:
    import covet

    assert sorted(covet.__all__) == sorted(set(covet.__all__))
    for name in covet.__all__:
        assert hasattr(covet, name), name
    assert covet.__version__


def test_missing_optional_dependency_names_the_extra() -> None:
    import pytest

    from covet._optional import require
    from covet.exceptions import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"pip install 'covetpy\[db\]'") as info:
        require("surely_not_installed_module_xyz", extra="db")
    assert isinstance(info.value, ImportError)
