"""The tests' optional-dependency helper: a skip locally, a failure under CI=true."""

from __future__ import annotations

import pytest

from tests.support.optional import require


def test_a_missing_package_is_a_skip_on_a_developer_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require("surely_not_installed_module_xyz")


def test_a_missing_package_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require("surely_not_installed_module_xyz")


def test_an_installed_package_is_returned() -> None:
    assert require("json").dumps([1]) == "[1]"
