"""The ``auth`` extra: covet.security imports without it; what needs it says so when built."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from covet.exceptions import MissingDependencyError
from covet.security import PasswordHasher

BLOCKED = textwrap.dedent(
    """
    import sys
    import importlib.abc

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {{"jwt", "argon2", "cryptography"}}:
                raise ImportError(f"blocked: {name}")
            return None

    sys.meta_path.insert(0, Block())
    from covet import CovetPy
    from covet.security import HTTPBearer, OAuth2PasswordBearer, {name}
    try:
        {name}({args})
    except ImportError as exc:
        print("REFUSED:", type(exc).__name__, exc)
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in {{"jwt", "argon2"}})
    print("LOADED:", loaded)
    """
)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("PasswordHasher", ""),
        ("JWTManager", "None, issuer='i', audience='a'"),
        ("HMACKey", "b'k' * 32"),
        ("RSAKey", "b'pem'"),
    ],
    ids=["PasswordHasher", "JWTManager", "HMACKey", "RSAKey"],
)
def test_missing_library_is_refused_at_construction(name: str, args: str) -> None:
    code = BLOCKED.format(name=name, args=args)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "REFUSED: MissingDependencyError" in result.stdout
    assert "pip install 'covetpy[auth]'" in result.stdout
    assert "LOADED: []" in result.stdout


def test_jwt_manager_without_pyjwt_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from covet.security import JWTManager

    monkeypatch.setitem(sys.modules, "jwt", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'covetpy\[auth\]'"):
        JWTManager(None, issuer="i", audience="a")  # type: ignore[arg-type]


def test_missing_dependency_error_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "argon2", None)
    with pytest.raises(ImportError, match=r"covetpy\[auth\]") as info:
        PasswordHasher()
    assert isinstance(info.value, MissingDependencyError)
